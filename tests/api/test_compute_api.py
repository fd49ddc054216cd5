"""POST /v1/policies/compute through httpx against the real app, on SQLite and PostgreSQL."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ..template_sources import (
    CLOUDFORMATION,
    CONTEXT,
    PROPERTIES,
    TERRAFORM,
    has_place,
    reason_paths,
)
from ..unit.engine.companions.scenario import (
    AWAY,
    BUCKET_AWAY,
    BUCKET_HOME,
    HOME,
    KEY_AWAY,
    ROLE_B,
    cross_account_pipeline,
)

PROBLEM = "application/problem+json"


def test_compute_reference_pipeline(client: TestClient, reference: dict[str, Any]) -> None:
    response = client.post("/v1/policies/compute", json={"pipelines": [reference]})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["decision_id"]
    provenance = body["provenance"]
    assert provenance["profile_set_revision"] >= 1
    assert provenance["catalog"]["actions"] >= 20_000
    assert len(provenance["catalog"]["sha256"]) == 64
    used = {p["action_type"] for p in provenance["profiles"]}
    assert {
        "Source/AWS/CodeCommit/1",
        "Build/AWS/CodeBuild/1",
        "Pipeline/AWS/ArtifactStore/1",
    } <= used
    assert body["policy"]["Version"] == "2012-10-17"
    assert [s["Sid"] for s in body["policy"]["Statement"]] == [s["sid"] for s in body["statements"]]
    for statement in body["statements"]:
        for required in statement["required_by"]:
            assert required["pipeline"] == "MyFirstPipeline"
            assert required["citation"]["url"].startswith("https://")
            assert required["path"].startswith("/pipelines/0")
    assert body["size"]["fits_managed_policy"] is True
    assert body["policies"] == []


def test_two_pipelines_share_one_policy(client: TestClient, reference: dict[str, Any]) -> None:
    other = json.loads(json.dumps(reference))
    other["pipeline"]["name"] = "SecondPipeline"
    other["pipeline"]["stages"][1]["actions"][0]["configuration"]["ProjectName"] = "other-build"
    body = client.post("/v1/policies/compute", json={"pipelines": [reference, other]}).json()
    start = [s for s in body["statements"] if "codebuild:StartBuild" in s["actions"]]
    assert len(start) == 1
    assert set(start[0]["resources"]) == {
        "arn:aws:codebuild:eu-west-2:111122223333:project/my-build",
        "arn:aws:codebuild:eu-west-2:111122223333:project/other-build",
    }
    assert {r["pipeline"] for r in start[0]["required_by"]} == {"MyFirstPipeline", "SecondPipeline"}


def test_context_overrides_account_and_region(
    client: TestClient, reference: dict[str, Any]
) -> None:
    body = client.post(
        "/v1/policies/compute",
        json={
            "pipelines": [reference],
            "context": {"account": "999988887777", "region": "us-east-1"},
        },
    ).json()
    codebuild = next(s for s in body["statements"] if "codebuild:StartBuild" in s["actions"])
    assert codebuild["resources"] == ["arn:aws:codebuild:us-east-1:999988887777:project/my-build"]


def test_hint_narrows_and_its_absence_is_a_finding(
    client: TestClient, reference: dict[str, Any]
) -> None:
    plain = client.post("/v1/policies/compute", json={"pipelines": [reference]}).json()
    assert any(f["code"] == "HINT_WOULD_NARROW" for f in plain["findings"])
    roles = ["arn:aws:iam::111122223333:role/web-task", "web-exec"]
    hinted = client.post(
        "/v1/policies/compute",
        json={
            "pipelines": [reference],
            "hints": [
                {"stage": "Deploy", "action": "DeployService", "hints": {"pass_roles": roles}}
            ],
        },
    ).json()
    pass_roles = {
        r
        for s in hinted["statements"]
        if "iam:PassRole" in s["actions"]
        and "ecs-tasks.amazonaws.com" in json.dumps(s["condition"])
        for r in s["resources"]
    }
    assert pass_roles == {
        "arn:aws:iam::111122223333:role/web-task",
        "arn:aws:iam::111122223333:role/web-exec",
    }


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({}, ""),
        ({"pipelines": []}, ""),
        ({"pipelines": [{"name": 3}]}, "/pipelines/0"),
        ({"pipelines": [{"name": 3, "stages": [], "roleArn": "r"}]}, "/pipelines/0/name"),
        ({"sources": [{"body": 'resource "aws_codepipeline" "p" {'}]}, "/sources/0/body"),
        ({"sources": [{"body": "Resources: [", "format": "cloudformation"}]}, "/sources/0/body"),
        ({"sources": [{"body": "x", "format": "yaml"}]}, "/sources/0/format"),
        ({"pipelines": [{"name": "p", "roleArn": "r", "stages": {}}]}, "/pipelines/0/stages"),
        (
            {
                "pipelines": [
                    {
                        "name": "p",
                        "roleArn": "r",
                        "stages": [{"name": "s", "actions": [{"name": "a"}]}],
                    }
                ]
            },
            "/pipelines/0/stages/0/actions/0/actionTypeId",
        ),
        ({"pipelines": [{"name": "p"}], "context": {"account": "12"}}, "/context/account"),
    ],
)
def test_bad_input_is_a_located_problem(
    client: TestClient, body: dict[str, Any], pointer: str
) -> None:
    response = client.post("/v1/policies/compute", json=body)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith(PROBLEM)
    problem = response.json()
    assert problem["status"] == 422
    assert pointer in [e["pointer"] for e in problem["errors"]]


def test_malformed_json_is_a_problem(client: TestClient) -> None:
    response = client.post(
        "/v1/policies/compute",
        content=b'{"pipelines": [',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith(PROBLEM)


def test_unknown_path_is_a_problem(client: TestClient) -> None:
    response = client.get("/v1/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith(PROBLEM)


def test_as_of_drops_what_was_added_later(client: TestClient, reference: dict[str, Any]) -> None:
    now = client.post("/v1/policies/compute", json={"pipelines": [reference]}).json()
    then = client.post(
        "/v1/policies/compute", json={"pipelines": [reference], "profiles": {"as_of": "2018-06-01"}}
    ).json()
    actions_now = {a for s in now["statements"] for a in s["actions"]}
    actions_then = {a for s in then["statements"] for a in s["actions"]}
    assert "codecommit:GetRepository" in actions_now
    assert "codecommit:GetRepository" not in actions_then  # full clone came in November 2020
    assert any(f["code"] == "PROFILE_PREDATES_AS_OF" for f in then["findings"])


def test_unknown_pin_is_located(client: TestClient, reference: dict[str, Any]) -> None:
    response = client.post(
        "/v1/policies/compute",
        json={
            "pipelines": [reference],
            "profiles": {"pins": [{"action_type": "Source/AWS/CodeCommit/1", "revision": 99}]},
        },
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "/profiles/pins/0"


@pytest.mark.parametrize(
    ("query", "accept", "media", "marker"),
    [
        ({"format": "cloudformation"}, None, "application/x-yaml", "Type: AWS::IAM::ManagedPolicy"),
        ({}, "application/x-yaml", "application/x-yaml", "PolicyDocument:"),
        ({"format": "terraform"}, None, "text/x-hcl", 'resource "aws_iam_policy"'),
        ({}, "text/x-hcl", "text/x-hcl", "jsonencode("),
    ],
)
def test_policy_as_deployable_text(
    client: TestClient,
    reference: dict[str, Any],
    query: dict[str, str],
    accept: str | None,
    media: str,
    marker: str,
) -> None:
    headers = {"accept": accept} if accept else {}
    response = client.post(
        "/v1/policies/compute", json={"pipelines": [reference]}, params=query, headers=headers
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(media)
    assert marker in response.text
    assert "arn:aws:codebuild:eu-west-2:111122223333:project/my-build" in response.text


@pytest.mark.parametrize(
    ("profiles", "where"),
    [
        ({"set_revision": 2**63}, "/profiles/set_revision"),
        (
            {"pins": [{"action_type": "Source/AWS/S3/1", "revision": 2**31}]},
            "/profiles/pins/0/revision",
        ),
    ],
)
def test_revision_numbers_beyond_32_bits_are_refused(
    client: TestClient, reference: dict[str, Any], profiles: dict[str, Any], where: str
) -> None:
    # Found by the long fuzz run: the number reached the database driver and overflowed (500).
    response = client.post(
        "/v1/policies/compute", json={"pipelines": [reference], "profiles": profiles}
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["pointer"] for e in response.json()["errors"]] == [where]


@pytest.mark.parametrize(
    ("path", "wrap", "base"),
    [
        ("/v1/policies/compute", lambda body: body, ""),
        ("/v1/pipelines/validate", lambda body: body, ""),
        (
            "/v1/policies/diff",
            lambda body: {"current": {"documents": [{"Statement": []}]}, "required": body},
            "/required",
        ),
    ],
)
def test_a_hint_that_is_not_used_says_so_where_it_was_given(
    client: TestClient,
    reference: dict[str, Any],
    path: str,
    wrap: Callable[[dict[str, Any]], dict[str, Any]],
    base: str,
) -> None:
    role = ["arn:aws:iam::111122223333:role/web-task"]
    body = {
        "pipelines": [reference],
        "hints": [
            {"stage": "Deploy", "action": "DeployService", "hints": {"pass_roles": role}},
            {"stage": "Deploy", "action": "NoSuchAction", "hints": {"pass_roles": role}},
            {"stage": "Deploy", "action": "DeployService", "hints": {"pass_role": role}},
        ],
    }
    response = client.post(path, json=wrap(body))
    assert response.status_code == 200, response.text
    unused = sorted(
        (f["code"], f["path"])
        for f in response.json()["findings"]
        if f["code"] in ("HINT_UNMATCHED", "HINT_UNKNOWN")
    )
    assert unused == [
        ("HINT_UNKNOWN", f"{base}/hints/2/hints/pass_role"),
        ("HINT_UNMATCHED", f"{base}/hints/1"),
    ]


def test_unused_hints_change_nothing_in_the_policy(
    client: TestClient, reference: dict[str, Any]
) -> None:
    role = ["arn:aws:iam::111122223333:role/web-task"]
    used = {"stage": "Deploy", "action": "DeployService", "hints": {"pass_roles": role}}
    unused = [
        {"stage": "Deploy", "action": "NoSuchAction", "hints": {"pass_roles": role}},
        {"stage": "Deploy", "action": "DeployService", "hints": {"pass_role": role}},
    ]
    answers = [
        client.post("/v1/policies/compute", json={"pipelines": [reference], "hints": hints}).json()
        for hints in ([used], [used, *unused])
    ]
    assert answers[0]["policy"] == answers[1]["policy"]
    assert answers[0]["statements"] == answers[1]["statements"]


SAM_TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Gate:
    Type: AWS::Serverless::Function
    Properties: {FunctionName: release-gate, Handler: index.handler, Runtime: python3.12}
  Unnamed:
    Type: AWS::Serverless::Function
    Properties: {Handler: index.handler, Runtime: python3.12}
  Pipeline:
    Type: AWS::CodePipeline::Pipeline
    Properties:
      RoleArn: arn:aws:iam::111122223333:role/pipeline
      ArtifactStore: {Type: S3, Location: artifacts}
      Stages:
        - Name: Source
          Actions:
            - Name: Src
              ActionTypeId: {Category: Source, Owner: AWS, Provider: CodeCommit, Version: "1"}
              Configuration: {RepositoryName: repo, BranchName: main}
              OutputArtifacts: [{Name: Src}]
        - Name: Gate
          Actions:
            - Name: Named
              ActionTypeId: {Category: Invoke, Owner: AWS, Provider: Lambda, Version: "1"}
              Configuration: {FunctionName: !Ref Gate}
            - Name: Generated
              ActionTypeId: {Category: Invoke, Owner: AWS, Provider: Lambda, Version: "1"}
              Configuration: {FunctionName: !Ref Unnamed}
"""


def _invoked(body: dict[str, Any]) -> set[str]:
    return {
        r
        for s in body["statements"]
        if "lambda:InvokeFunction" in s["actions"]
        for r in s["resources"]
    }


def test_a_serverless_function_and_the_stack_name_resolve_names(client: TestClient) -> None:
    source = {"body": SAM_TEMPLATE}
    context = {"account": "111122223333", "region": "eu-west-1"}
    without = client.post("/v1/policies/compute", json={"sources": [source], "context": context})
    assert without.status_code == 200, without.text
    assert "arn:aws:lambda:eu-west-1:111122223333:function:release-gate" in _invoked(without.json())
    asks = [f for f in without.json()["findings"] if "stack_name" in f["message"]]
    assert asks, "the stack name a generated name needs must be asked for"
    named = {**source, "stack_name": "web-prod"}
    with_name = client.post("/v1/policies/compute", json={"sources": [named], "context": context})
    assert with_name.status_code == 200, with_name.text
    assert "arn:aws:lambda:eu-west-1:111122223333:function:web-prod-Unnamed-*" in _invoked(
        with_name.json()
    )
    assert not [f for f in with_name.json()["findings"] if "stack_name" in f["message"]]


def test_compute_reports_the_structural_errors_pipeline_validation_reports(
    client: TestClient, reference: dict[str, Any]
) -> None:
    broken = copy.deepcopy(reference)
    stages = broken["pipeline"]["stages"]
    stages[1]["actions"][0]["inputArtifacts"] = [{"name": "NoSuchArtifact"}]
    validated = client.post("/v1/pipelines/validate", json={"pipelines": [broken]}).json()
    computed = client.post("/v1/policies/compute", json={"pipelines": [broken]}).json()
    errors = {(f["code"], f["path"]) for f in validated["findings"] if f["finding_type"] == "ERROR"}
    assert errors, "the broken pipeline must be invalid"
    assert errors <= {(f["code"], f["path"]) for f in computed["findings"]}


def test_compute_answers_the_companion_documents(client: TestClient) -> None:
    """A cross-account, cross-Region pipeline: the answer carries the trust policies of its
    roles and its stores' bucket and key policies, with reasons; validate accepts each as what
    it is; the companions' findings are compute's findings, at their places in the request."""
    answer = client.post("/v1/policies/compute", json={"pipelines": [cross_account_pipeline()]})
    assert answer.status_code == 200, answer.text
    companions = answer.json()["companions"]
    kinds = {(d["kind"], d["target"]) for d in companions["documents"]}
    assert ("trust-policy", ROLE_B) in kinds
    assert ("key-policy", KEY_AWAY) in kinds
    assert {(s["region"], s["location"]) for s in companions["artifact_stores"]} == {
        (HOME, BUCKET_HOME),
        (AWAY, BUCKET_AWAY),
    }
    kind_to_type = {"trust-policy": "trust", "bucket-policy": "bucket", "key-policy": "key"}
    for companion in companions["documents"]:
        assert all(s["reasons"] for s in companion["statements"]), companion
        checked = client.post(
            "/v1/policies/validate",
            json={
                "policy": {"documents": [companion["policy"]]},
                "policy_type": kind_to_type[companion["kind"]],
            },
        )
        assert checked.status_code == 200, checked.text
        assert checked.json()["valid"], (companion["target"], checked.json()["findings"])

    broken = cross_account_pipeline()
    del broken["pipeline"]["artifactStores"][AWAY]
    answer = client.post("/v1/policies/compute", json={"pipelines": [broken]})
    assert answer.status_code == 200, answer.text
    (missing,) = [f for f in answer.json()["findings"] if f["code"] == "COMPANION_STORE_MISSING"]
    assert missing["path"] == "/pipelines/0/pipeline/artifactStores"
    assert missing["finding_type"] == "ERROR"


def test_the_reasons_of_a_cloudformation_pipeline_point_at_places_of_its_template(
    client: TestClient,
) -> None:
    request = {"sources": [{"body": json.dumps(CLOUDFORMATION)}], "context": CONTEXT}
    response = client.post("/v1/policies/compute", json=request)
    assert response.status_code == 200, response.text
    paths = list(reason_paths(response.json()))
    body = "/sources/0/body"
    assert {
        (section, path) for section, path in paths if path.startswith(body + PROPERTIES + "/")
    } >= {
        ("statements/required_by", f"{body}{PROPERTIES}/Stages/1/Actions/0"),
        ("statements/required_by", f"{body}{PROPERTIES}/Stages/1/BeforeEntry/Conditions/0/Rules/0"),
        ("action_roles/statements/required_by", f"{body}{PROPERTIES}/Stages/2/Actions/0"),
        ("companions/documents/statements/reasons", f"{body}{PROPERTIES}/Stages/2/Actions/0"),
    }
    nowhere = [
        (s, p) for s, p in paths if not has_place({"sources": [{"body": CLOUDFORMATION}]}, p)
    ]
    assert not nowhere


def test_the_reasons_of_a_terraform_pipeline_are_spelt_as_terraform_spells_them(
    client: TestClient,
) -> None:
    request = {"sources": [{"body": TERRAFORM}], "context": CONTEXT}
    response = client.post("/v1/policies/compute", json=request)
    assert response.status_code == 200, response.text
    pipeline = "/sources/0/body/resource/aws_codepipeline/p"
    build = f"{pipeline}/stage/1/action/0"
    by_section: dict[str, set[str]] = {}
    for section, path in reason_paths(response.json()):
        by_section.setdefault(section, set()).add(path)
    assert by_section == {
        "statements/required_by": {pipeline, f"{pipeline}/stage/0/action/0", build},
        "action_roles/statements/required_by": {build},
        "companions/documents/statements/reasons": {pipeline, build},
    }
