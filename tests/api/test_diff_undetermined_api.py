"""POST /v1/policies/diff with `current.from_sources`, when the service role's policy holds a
value its source does not determine (a parameter without a value, a variable without a
default): a WARNING at that value, what is granted only through it `unverifiable`, and the
will-it-run check it allows not definite. Given the value, it is granted."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from ..template_sources import CLOUDFORMATION_SOURCE_AND_BUILD, TERRAFORM_SOURCE_AND_BUILD

ACCOUNT, REGION = "111122223333", "eu-west-1"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/pipeline-role"
PROJECT = f"arn:aws:codebuild:{REGION}:{ACCOUNT}:project/app"
BODY = "/required/sources/0/body"

TEMPLATE = (
    """
Parameters:
  ProjectName: {Type: String}
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      RoleName: pipeline-role
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {Service: codepipeline.amazonaws.com}
            Action: sts:AssumeRole
      Policies:
        - PolicyName: pipeline
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - {Effect: Allow, Action: ["codecommit:*", "s3:*"], Resource: "*"}
              - Effect: Allow
                Action: [codebuild:StartBuild, codebuild:BatchGetBuilds]
                Resource: !Sub "arn:aws:codebuild:eu-west-1:111122223333:project/${ProjectName}"
  Pipeline:
    Type: AWS::CodePipeline::Pipeline
    Properties:
      RoleArn: !GetAtt Role.Arn
      ArtifactStore: {Type: S3, Location: artifacts}
      Stages:
"""
    + CLOUDFORMATION_SOURCE_AND_BUILD
)

TERRAFORM = (
    """
variable "project_name" {
  type = string
}

resource "aws_iam_role" "pipeline" {
  name = "pipeline-role"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect = "Allow", Principal = { Service = "codepipeline.amazonaws.com" },
      Action = "sts:AssumeRole"
    }]
  })
  inline_policy {
    name = "pipeline"
    policy = jsonencode({
      Version = "2012-10-17"
      Statement = [
        { Effect = "Allow", Action = ["codecommit:*", "s3:*"], Resource = "*" },
        {
          Effect = "Allow"
          Action = ["codebuild:StartBuild", "codebuild:BatchGetBuilds"]
          Resource = "arn:aws:codebuild:eu-west-1:111122223333:project/${var.project_name}"
        },
      ]
    })
  }
}

resource "aws_codepipeline" "main" {
  name     = "main"
  role_arn = aws_iam_role.pipeline.arn
  artifact_store {
    location = "artifacts"
    type     = "S3"
  }
"""
    + TERRAFORM_SOURCE_AND_BUILD
    + """}
"""
)

LANGUAGES = [
    pytest.param(
        TEMPLATE,
        "cloudformation",
        {"parameters": {"ProjectName": "app"}},
        f"{BODY}/Resources/Role/Properties/Policies/0/PolicyDocument/Statement/1/Resource",
        "Resource: !Sub",
        id="cloudformation",
    ),
    pytest.param(
        TERRAFORM,
        "terraform",
        {"variables": {"project_name": "app"}},
        f"{BODY}/resource/aws_iam_role/pipeline/inline_policy/0/policy/Statement/1/Resource",
        "${var.project_name}",
        id="terraform",
    ),
]


def _diff(
    client: TestClient, source: str, language: str, given: dict[str, Any] | None = None
) -> dict[str, Any]:
    request = {
        "current": {"from_sources": True, "authorization": {}},
        "required": {
            "sources": [{"body": source, "format": language, **(given or {})}],
            "context": {"account": ACCOUNT, "region": REGION},
        },
    }
    response = client.post("/v1/policies/diff", json=request)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _codebuild(body: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [g for g in body[kind] if any(a.startswith("codebuild:") for a in g["actions"])]


@pytest.mark.parametrize(("source", "language", "given", "place", "written"), LANGUAGES)
def test_a_grant_through_an_undetermined_value_is_unverifiable_and_a_warning_at_it(
    client: TestClient,
    source: str,
    language: str,
    given: dict[str, Any],
    place: str,
    written: str,
) -> None:
    body = _diff(client, source, language)
    (warning,) = [f for f in body["findings"] if f["code"] == "CURRENT_POLICY_VALUE_UNDETERMINED"]
    assert (warning["finding_type"], warning["path"]) == ("WARNING", place)
    assert warning["line"] == next(
        i for i, line in enumerate(source.splitlines(), 1) if written in line
    )
    # Widened, the project would read `project/*` and the build be granted: it is not.
    gaps = _codebuild(body, "unverifiable")
    assert {a for g in gaps for a in g["actions"]} == {
        "codebuild:StartBuild",
        "codebuild:BatchGetBuilds",
    }
    for gap in gaps:
        assert gap["resources"] == [PROJECT]
        assert (
            gap["reason"] == "granted only if the values the template does not determine allow it"
        )
        assert [s["path"] for s in gap["granted_by"]] == [place.removesuffix("/Resource")]
    assert _codebuild(body, "missing") == []
    assert body["verdict"] == "unverified"
    # The run depends on the value too: the build is not allowed for sure, nor denied.
    run = body["will_run"]
    builds = [c for c in run["checks"] if c["action"] == "codebuild:StartBuild"]
    assert [(c["decision"], c["definite"]) for c in builds] == [("implicitly_denied", False)]
    assert builds[0]["note"].startswith("allowed only if the values the template does not")
    assert run["verdict"] == "undecided"

    # Given the value, the template determines the policy: the build is granted.
    body = _diff(client, source, language, given)
    assert "CURRENT_POLICY_VALUE_UNDETERMINED" not in {f["code"] for f in body["findings"]}
    assert _codebuild(body, "unverifiable") == _codebuild(body, "missing") == []
    builds = [c for c in body["will_run"]["checks"] if c["action"] == "codebuild:StartBuild"]
    assert [(c["decision"], c["definite"]) for c in builds] == [("allowed", True)]
