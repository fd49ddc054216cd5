"""Every definition of the corpus, with and without an account and Region, computes over HTTP
to the reviewed answer (tests/corpus/golden/compute/): the service-role policy, the action-role
policies, the companion documents and the findings, or a located 4xx; never a 5xx."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.corpus.golden_files import GOLDEN, UPDATING, check_golden
from tests.invariants.pipelines import Case, corpus_cases

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"


def _definitions() -> list[tuple[str, str]]:
    manifest = CORPUS / "MANIFEST.tsv"
    if not manifest.is_file():
        return []
    with manifest.open(encoding="utf-8") as handle:
        return [(row["file"], row["kind"]) for row in csv.DictReader(handle, delimiter="\t")]


DEFINITIONS = _definitions()
CASES = corpus_cases()


# The fields a user acts on, by their name in the golden files; a field left empty is left out.
# Of a statement, what it grants (why, with profile revisions, is left out).
STATEMENT_FIELDS = {f: f for f in ("sid", "effect", "actions", "resources", "condition")}
FINDING_FIELDS = {
    "code": "code",
    "severity": "finding_type",
    "path": "path",
    "line": "line",
    "message": "message",
}


def _kept(items: list[dict[str, Any]], fields: dict[str, str]) -> list[dict[str, Any]]:
    return [
        {name: item[field] for name, field in fields.items() if item.get(field) not in (None, {})}
        for item in items
    ]


def canonical_answer(status: int, body: dict[str, Any]) -> dict[str, Any]:
    """A compute answer without what changes from run to run or database to database (decision
    id, provenance with its revisions and catalogue hash): what a user acts on."""
    if status != 200:
        return {
            "status": status,
            "type": body["type"],
            "errors": [{"pointer": e["pointer"], "detail": e["detail"]} for e in body["errors"]],
            "findings": _kept(body.get("findings", []), FINDING_FIELDS),
        }
    answer: dict[str, Any] = {
        "status": status,
        "statements": _kept(body["statements"], STATEMENT_FIELDS),
        "action_roles": [
            {"role_arn": r["role_arn"], "statements": _kept(r["statements"], STATEMENT_FIELDS)}
            for r in body["action_roles"]
        ],
        # Of a companion document, its policy (the reasons are left out, as statements' are).
        "companions": [
            {"kind": d["kind"], "target": d["target"], "policy": d["policy"]}
            for d in body["companions"]["documents"]
        ],
        "findings": _kept(body["findings"], FINDING_FIELDS),
    }
    if body["policies"]:  # split into documents that fit: which statement went where
        answer["documents"] = [[s.get("Sid") for s in p["Statement"]] for p in body["policies"]]
    return answer


def _golden_path(case: Case) -> Path:
    definition, _, variant = case.name.partition("+")
    stem = Path(definition).stem
    return GOLDEN / "compute" / (f"{stem}+{variant}.json" if variant else f"{stem}.json")


@pytest.mark.skipif(not CASES, reason="../shared/corpus is absent")
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_corpus_definition_computes_the_reviewed_answer(client: TestClient, case: Case) -> None:
    response = client.post("/v1/policies/compute", json=case.request())
    assert response.status_code < 500, response.text
    body = response.json()
    if response.status_code == 200:
        assert body["policy"]["Statement"], "an empty policy for a real pipeline"
    else:
        assert response.status_code == 422
        assert body["errors"], "a rejection must say where"
        assert body["errors"][0]["pointer"].startswith("/sources/0")
    check_golden(_golden_path(case), canonical_answer(response.status_code, body))


def test_cloudformation_refs_resolve_to_real_names(client: TestClient) -> None:
    template = """
Resources:
  Artifacts:
    Type: AWS::S3::Bucket
    Properties: {BucketName: team-artifacts}
  Build:
    Type: AWS::CodeBuild::Project
    Properties: {Name: team-build}
  Pipeline:
    Type: AWS::CodePipeline::Pipeline
    Properties:
      RoleArn: arn:aws:iam::111122223333:role/pipeline
      ArtifactStore: {Type: S3, Location: !Ref Artifacts}
      Stages:
        - Name: Source
          Actions:
            - Name: Src
              ActionTypeId: {Category: Source, Owner: AWS, Provider: S3, Version: "1"}
              Configuration: {S3Bucket: !Ref Artifacts, S3ObjectKey: src.zip}
              OutputArtifacts: [{Name: Src}]
        - Name: Build
          Actions:
            - Name: Build
              ActionTypeId: {Category: Build, Owner: AWS, Provider: CodeBuild, Version: "1"}
              Configuration: {ProjectName: !Ref Build}
              InputArtifacts: [{Name: Src}]
"""
    response = client.post(
        "/v1/policies/compute",
        json={"sources": [{"body": template}], "context": {"region": "eu-west-1"}},
    )
    assert response.status_code == 200, response.text
    resources = {r for s in response.json()["statements"] for r in s["resources"]}
    assert "arn:aws:s3:::team-artifacts/*" in resources
    assert "arn:aws:codebuild:eu-west-1:111122223333:project/team-build" in resources
    assert not any(r == "*" or r.endswith(":project/*") for r in resources)


@pytest.mark.skipif(not CASES, reason="../shared/corpus is absent")
def test_every_golden_answer_is_of_a_corpus_definition() -> None:
    """A golden answer whose definition left the corpus is removed (by `make golden`), not kept."""
    kept = set((GOLDEN / "compute").glob("*.json"))
    orphans = kept - {_golden_path(case) for case in CASES}
    if UPDATING:
        for path in orphans:
            path.unlink()
        return
    assert not orphans, sorted(p.name for p in orphans)
