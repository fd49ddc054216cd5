"""Every definition of the corpus computes over HTTP: a policy, or a located 4xx, never a 5xx."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"


def _definitions() -> list[tuple[str, str]]:
    manifest = CORPUS / "MANIFEST.tsv"
    if not manifest.is_file():
        return []
    with manifest.open(encoding="utf-8") as handle:
        return [(row["file"], row["kind"]) for row in csv.DictReader(handle, delimiter="\t")]


DEFINITIONS = _definitions()


@pytest.mark.skipif(not DEFINITIONS, reason="../shared/corpus is absent")
@pytest.mark.parametrize(("name", "kind"), DEFINITIONS)
def test_corpus_definition_computes(client: TestClient, name: str, kind: str) -> None:
    text = (CORPUS / name).read_text(encoding="utf-8")
    response = client.post("/v1/policies/compute", json={"sources": [{"body": text}]})
    assert response.status_code < 500, response.text
    body = response.json()
    if response.status_code == 200:
        assert body["policy"]["Statement"], "an empty policy for a real pipeline"
    else:
        assert response.status_code == 422
        assert body["errors"], "a rejection must say where"
        assert body["errors"][0]["pointer"].startswith("/sources/0")


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
