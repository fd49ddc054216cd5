"""Policies as CloudFormation and Terraform, through every way of asking (the text operations,
`?format=`, Accept) of every decision that offers them (compute's policy, diff's patched policy):
the findings in each, never a 200 behind an ERROR, the snippet attached to the service role, and
text that cfn-lint's decoder and python-hcl2 read back."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ..documents import pipeline
from ..snippets import (
    answer_companions,
    finding_comment,
    header_comments,
    parse_cloudformation,
    snippet_companions,
    terraform_blocks,
    terraform_policies,
    terraform_variables,
)
from ..unit.engine.companions.scenario import (
    BUCKET_AWAY,
    BUCKET_HOME,
    KEY_AWAY,
    KEY_HOME,
    cross_account_pipeline,
)

REFERENCE_ROLE = "AWSCodePipelineServiceRole-eu-west-2-MyFirstPipeline"
FORMATS = ("cloudformation", "terraform")
# How a snippet is asked for: (path suffix, query, headers, media type of the answer).
WAYS: dict[str, Callable[[str], tuple[str, dict[str, str], dict[str, str], str]]] = {
    "operation": lambda f: (f"/{f}", {}, {}, "text/plain"),
    "query": lambda f: (
        "",
        {"format": f},
        {},
        {"cloudformation": "application/x-yaml", "terraform": "text/x-hcl"}[f],
    ),
    "accept": lambda f: (
        "",
        {},
        {"accept": {"cloudformation": "application/x-yaml", "terraform": "text/x-hcl"}[f]},
        {"cloudformation": "application/x-yaml", "terraform": "text/x-hcl"}[f],
    ),
}


def _compute(pipelines: list[dict[str, Any]], _: dict[str, Any]) -> dict[str, Any]:
    return {"pipelines": pipelines}


def _diff(pipelines: list[dict[str, Any]], legacy: dict[str, Any]) -> dict[str, Any]:
    return {"current": {"documents": [legacy]}, "required": {"pipelines": pipelines}}


# decision -> (request body, the documents the snippet must hold, from the JSON answer)
DECISIONS: dict[
    str,
    tuple[
        Callable[[list[dict[str, Any]], dict[str, Any]], dict[str, Any]],
        Callable[[dict[str, Any]], list[dict[str, Any]]],
    ],
] = {
    "compute": (_compute, lambda answer: answer["policies"] or [answer["policy"]]),
    "diff": (_diff, lambda answer: [answer["patched_policy"]]),
}


def _documents(text: str, chosen: str) -> list[dict[str, Any]]:
    """The policy documents of a snippet, each with the roles it is attached to."""
    if chosen == "cloudformation":
        return [r["Properties"]["PolicyDocument"] for r in _managed_policies(text)]
    return terraform_policies(text)


def _managed_policies(text: str) -> list[dict[str, Any]]:
    resources = parse_cloudformation(text)["Resources"].values()
    return [r for r in resources if r["Type"] == "AWS::IAM::ManagedPolicy"]


def _attached_roles(text: str, chosen: str) -> list[list[Any]]:
    """For each policy document of a snippet, what it is attached to."""
    if chosen == "cloudformation":
        return [r["Properties"]["Roles"] for r in _managed_policies(text)]
    attachments = terraform_blocks(text, "aws_iam_role_policy_attachment").values()
    return [
        [a["role"] for a in attachments if a["policy_arn"] == f"${{aws_iam_policy.{name}.arn}}"]
        for name in terraform_blocks(text, "aws_iam_policy")
    ]


def _ask(
    client: TestClient, decision: str, way: str, chosen: str, body: dict[str, Any]
) -> tuple[Any, str]:
    suffix, query, headers, media = WAYS[way](chosen)
    return client.post(
        f"/v1/policies/{decision}{suffix}", json=body, params=query, headers=headers
    ), media


@pytest.mark.parametrize("chosen", FORMATS)
@pytest.mark.parametrize("way", WAYS)
@pytest.mark.parametrize("decision", DECISIONS)
def test_every_format_carries_the_findings_and_the_role(
    client: TestClient,
    reference: dict[str, Any],
    legacy: dict[str, Any],
    decision: str,
    way: str,
    chosen: str,
) -> None:
    build, documents_of = DECISIONS[decision]
    body = build([reference], legacy)
    as_json = client.post(f"/v1/policies/{decision}", json=body)
    assert as_json.status_code == 200, as_json.text
    findings = as_json.json()["findings"]
    assert findings
    assert as_json.headers["x-findings"] == str(len(findings))
    for _ in range(2):  # the second answer is the kept one
        answer, media = _ask(client, decision, way, chosen, body)
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"].startswith(media)
        assert answer.headers["x-findings"] == str(len(findings))
        comments = header_comments(answer.text)
        assert comments[0] == f"Findings: {len(findings)}"
        assert comments[1 : 1 + len(findings)] == [finding_comment(f) for f in findings]
        assert _documents(answer.text, chosen) == documents_of(as_json.json())
        role = REFERENCE_ROLE if chosen == "cloudformation" else f'"{REFERENCE_ROLE}"'
        assert _attached_roles(answer.text, chosen) == [[role]]


def _without_artifact_store(reference: dict[str, Any]) -> dict[str, Any]:
    broken = copy.deepcopy(reference)
    del broken["pipeline"]["artifactStore"]
    return broken


@pytest.mark.parametrize("chosen", FORMATS)
@pytest.mark.parametrize("way", WAYS)
@pytest.mark.parametrize("decision", DECISIONS)
def test_an_error_is_never_behind_a_200_snippet(
    client: TestClient,
    reference: dict[str, Any],
    legacy: dict[str, Any],
    decision: str,
    way: str,
    chosen: str,
) -> None:
    build, _ = DECISIONS[decision]
    body = build([_without_artifact_store(reference)], legacy)
    as_json = client.post(f"/v1/policies/{decision}", json=body)
    assert as_json.status_code == 200  # the decision itself, findings and all, is data
    findings = as_json.json()["findings"]
    assert ("ERROR", "NO_ARTIFACT_STORE") in {(f["finding_type"], f["code"]) for f in findings}
    for _ in range(2):  # a refusal is not kept as a 200 either
        refused, _media = _ask(client, decision, way, chosen, body)
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.headers["x-findings"] == str(len(findings))
        problem = refused.json()
        assert problem["type"].endswith("/undeployable-policy")
        assert problem["findings"] == findings
        errors = [f for f in findings if f["finding_type"] == "ERROR"]
        assert [e["pointer"] for e in problem["errors"]] == [f["path"] for f in errors]
        assert all(
            e["detail"].startswith(f["code"])
            for e, f in zip(problem["errors"], errors, strict=True)
        )


CFN_TEMPLATE = """
Resources:
  PipelineRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {}
  Pipeline:
    Type: AWS::CodePipeline::Pipeline
    Properties:
      RoleArn: ROLE
      ArtifactStore: {Type: S3, Location: artifact-bucket}
      Stages:
        - Name: Source
          Actions:
            - Name: S
              ActionTypeId: {Category: Source, Owner: AWS, Provider: S3, Version: "1"}
              Configuration: {S3Bucket: source-bucket, S3ObjectKey: k}
              OutputArtifacts: [{Name: o}]
        - Name: Build
          Actions:
            - Name: B
              ActionTypeId: {Category: Build, Owner: AWS, Provider: CodeBuild, Version: "1"}
              Configuration: {ProjectName: build}
              InputArtifacts: [{Name: o}]
"""
TF_CONFIG = """
resource "aws_iam_role" "pipeline" {
  assume_role_policy = "{}"
}
resource "aws_codepipeline" "web" {
  name     = "web"
  role_arn = ROLE
  artifact_store {
    location = "artifact-bucket"
    type     = "S3"
  }
  stage {
    name = "Source"
    action {
      name             = "S"
      category         = "Source"
      owner            = "AWS"
      provider         = "S3"
      version          = "1"
      output_artifacts = ["o"]
      configuration = {
        S3Bucket    = "source-bucket"
        S3ObjectKey = "k"
      }
    }
  }
  stage {
    name = "Build"
    action {
      name            = "B"
      category        = "Build"
      owner           = "AWS"
      provider        = "CodeBuild"
      version         = "1"
      input_artifacts = ["o"]
      configuration = {
        ProjectName = "build"
      }
    }
  }
}
"""
CONTEXT = {"account": "111122223333", "region": "eu-west-2"}
PARAMETER = {"Ref": "PipelineServiceRoleName"}
VARIABLE = "${var.pipeline_service_role_name}"

# source format, source text, roleArn -> what the CloudFormation and Terraform snippets attach to
TEMPLATE_ROLES = [
    ("cloudformation", CFN_TEMPLATE, "!GetAtt PipelineRole.Arn", {"Ref": "PipelineRole"}, VARIABLE),
    ("cloudformation", CFN_TEMPLATE, "!ImportValue shared-role-arn", PARAMETER, VARIABLE),
    (
        "cloudformation",
        CFN_TEMPLATE,
        "arn:aws:iam::111122223333:role/web",
        "web",
        '"web"',
    ),
    (
        "terraform",
        TF_CONFIG,
        "aws_iam_role.pipeline.arn",
        PARAMETER,
        "${aws_iam_role.pipeline.name}",
    ),
    ("terraform", TF_CONFIG, "var.role_arn", PARAMETER, VARIABLE),
]


@pytest.mark.parametrize(
    ("source_format", "text", "role_arn", "cfn_role", "tf_role"),
    TEMPLATE_ROLES,
    ids=[f"{t[0]}:{t[2]}" for t in TEMPLATE_ROLES],
)
@pytest.mark.parametrize("decision", DECISIONS)
def test_the_snippet_is_attached_to_the_role_the_source_names(
    client: TestClient,
    legacy: dict[str, Any],
    decision: str,
    source_format: str,
    text: str,
    role_arn: str,
    cfn_role: Any,
    tf_role: str,
) -> None:
    source = {"format": source_format, "body": text.replace("ROLE", role_arn)}
    build, _ = DECISIONS[decision]
    body = build([], legacy)
    where = body["required"] if decision == "diff" else body
    where.update(sources=[source], context=CONTEXT)
    for chosen, role in (("cloudformation", cfn_role), ("terraform", tf_role)):
        answer = client.post(f"/v1/policies/{decision}/{chosen}", json=body)
        assert answer.status_code == 200, answer.text
        assert _attached_roles(answer.text, chosen) == [[role]]
        unknown = role in (PARAMETER, VARIABLE)
        comments = header_comments(answer.text)
        assert any(c.startswith("The role is not known") for c in comments) == unknown
        if chosen == "cloudformation":
            parameters = parse_cloudformation(answer.text).get("Parameters", {})
            assert ("PipelineServiceRoleName" in parameters) == unknown
        else:
            variables = terraform_variables(answer.text)
            assert ("pipeline_service_role_name" in variables) == unknown


def _large_pipeline() -> dict[str, Any]:
    """A valid pipeline (at most 50 stages) whose policy is over one managed policy."""
    codebuild = {"category": "Build", "owner": "AWS", "provider": "CodeBuild", "version": "1"}
    document = pipeline(*[codebuild] * 40)
    for i, stage in enumerate(document["pipeline"]["stages"][1:]):
        first = stage["actions"][0]
        stage["actions"] = [
            {
                **first,
                "name": f"{first['name']}x{j}",
                "configuration": {"ProjectName": f"project-{i}-{j}-with-a-rather-long-name"},
            }
            for j in range(3)
        ]
    return document


@pytest.mark.parametrize("chosen", FORMATS)
def test_every_part_of_a_split_policy_is_attached(client: TestClient, chosen: str) -> None:
    body = {"pipelines": [_large_pipeline()]}
    parts = client.post("/v1/policies/compute", json=body).json()["policies"]
    assert len(parts) > 1
    answer = client.post(f"/v1/policies/compute/{chosen}", json=body)
    assert answer.status_code == 200, answer.text
    assert _documents(answer.text, chosen) == parts
    role = "pipeline" if chosen == "cloudformation" else '"pipeline"'
    assert _attached_roles(answer.text, chosen) == [[role]] * len(parts)


@pytest.mark.parametrize("chosen", FORMATS)
def test_a_request_that_cannot_be_read_is_the_usual_problem(
    client: TestClient, chosen: str
) -> None:
    answer = client.post(f"/v1/policies/compute/{chosen}", json={"pipelines": [{"x": 1}]})
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert "findings" not in answer.json()


@pytest.mark.parametrize("chosen", FORMATS)
def test_two_pipelines_snippets_do_not_clash(client: TestClient, chosen: str) -> None:
    """Each snippet's resources are named after its pipeline: two in one stack or Terraform
    configuration do not collide."""
    codebuild = {"category": "Build", "owner": "AWS", "provider": "CodeBuild", "version": "1"}
    names = []
    for name in ("web", "api"):
        document = pipeline(codebuild, name=name)
        document["pipeline"]["stages"][1]["actions"][0]["configuration"] = {"ProjectName": name}
        answer = client.post(f"/v1/policies/compute/{chosen}", json={"pipelines": [document]})
        assert answer.status_code == 200, answer.text
        if chosen == "cloudformation":
            # The companion resources stand for the role the pipelines share (one trust
            # policy): only the service-role policies are the pipelines' own.
            resources = parse_cloudformation(answer.text)["Resources"].items()
            names.append({n for n, r in resources if r["Type"] == "AWS::IAM::ManagedPolicy"})
        else:
            names.append(
                {
                    f"{kind}.{label}"
                    for kind in ("aws_iam_policy", "aws_iam_role_policy_attachment")
                    for label in terraform_blocks(answer.text, kind)
                }
            )
    assert names[0]
    assert names[1]
    assert not names[0] & names[1]


@pytest.mark.parametrize("chosen", FORMATS)
def test_snippets_carry_the_companion_documents(client: TestClient, chosen: str) -> None:
    """A cross-account, cross-Region pipeline: the trust policies of its roles, and the bucket
    and key policy statements of each Region's store, are resources of the snippet, holding the
    documents of the JSON answer."""
    body = {"pipelines": [cross_account_pipeline()]}
    as_json = client.post("/v1/policies/compute", json=body)
    assert as_json.status_code == 200, as_json.text
    expected = answer_companions(as_json.json())
    assert {(kind, target) for kind, target, _ in expected} == {
        ("trust-policy", "/service-role/PipelineRole"),
        ("trust-policy", "/DeployRole"),
        ("trust-policy", "/StackActionRole"),
        ("trust-policy", "/StackRole"),
        ("bucket-policy", BUCKET_HOME),
        ("bucket-policy", BUCKET_AWAY),
        ("key-policy", KEY_HOME),
        ("key-policy", KEY_AWAY),
    }
    answer = client.post(f"/v1/policies/compute/{chosen}", json=body)
    assert answer.status_code == 200, answer.text
    assert snippet_companions(answer.text, chosen) == expected
    assert _documents(answer.text, chosen) == [as_json.json()["policy"]]
