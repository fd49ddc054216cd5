"""The service roles pipelines name: the name an ARN ends with, the template resource, none."""

from __future__ import annotations

import pytest

from app.engine.pipeline.cloudformation import parse_cloudformation
from app.engine.pipeline.model import Pipeline, TemplateResource
from app.engine.pipeline.roles import ServiceRole, role_name, service_roles
from app.engine.pipeline.terraform import parse_terraform


@pytest.mark.parametrize(
    ("arn", "name"),
    [
        ("arn:aws:iam::111122223333:role/web", "web"),
        ("arn:aws:iam::111122223333:role/service-role/AWSCodePipeline-web", "AWSCodePipeline-web"),
        ("arn:aws-cn:iam::111122223333:role/a/b/c+=,.@_-9", "c+=,.@_-9"),
        ("arn:aws:iam::*:role/web", "web"),  # the account does not matter for attaching
        ("arn:aws:iam::111122223333:role/*", None),
        ("arn:aws:iam::111122223333:role/stack-PipelineRole-*", None),
        ("arn:aws:iam::111122223333:role/#{variables.role}", None),
        ("arn:aws:iam::111122223333:role/" + "x" * 65, None),
        ("arn:aws:iam::111122223333:user/web", None),
        ("arn:aws:iam::111122223333:role/rôle", None),
        ("*", None),
        ("", None),
    ],
)
def test_role_name(arn: str, name: str | None) -> None:
    assert role_name(arn) == name


def _pipeline(name: str, arn: str, resource: TemplateResource | None = None) -> Pipeline:
    return Pipeline(name, arn, (), (), "/", role_resource=resource)


def test_pipelines_sharing_a_role_name_it_once() -> None:
    arn = "arn:aws:iam::111122223333:role/shared"
    pipelines = [_pipeline("a", arn), _pipeline("b", arn), _pipeline("c", "*")]
    assert service_roles(pipelines) == (
        ServiceRole("shared", None, ("a", "b")),
        ServiceRole(None, None, ("c",)),
    )


CFN = """
Resources:
  PipelineRole:
    Type: AWS::IAM::Role
    Properties: {AssumeRolePolicyDocument: {}}
  Bucket:
    Type: AWS::S3::Bucket
  Pipeline:
    Type: AWS::CodePipeline::Pipeline
    Properties:
      RoleArn: ROLE
      ArtifactStore: {Type: S3, Location: !Ref Bucket}
      Stages: []
"""


@pytest.mark.parametrize(
    ("role", "resource"),
    [
        ("!GetAtt PipelineRole.Arn", "PipelineRole"),
        ("!GetAtt [PipelineRole, Arn]", "PipelineRole"),
        ("!GetAtt PipelineRole.RoleId", None),
        ("!GetAtt Bucket.Arn", None),
        ("!GetAtt Missing.Arn", None),
        ("arn:aws:iam::111122223333:role/web", None),
    ],
)
def test_a_cloudformation_role_resource_is_kept(role: str, resource: str | None) -> None:
    parsed = parse_cloudformation(CFN.replace("ROLE", role), pointer="/t")
    (pipeline,) = parsed.pipelines
    expected = TemplateResource("cloudformation", resource) if resource else None
    assert pipeline.role_resource == expected


TF = """
resource "aws_iam_role" "pipeline" {
  name = "web-pipeline"
  assume_role_policy = "{}"
}
resource "aws_codepipeline" "web" {
  name     = "web"
  role_arn = ROLE
  artifact_store {
    location = "bucket"
    type     = "S3"
  }
}
"""


@pytest.mark.parametrize(
    ("role", "resource", "name"),
    [
        ("aws_iam_role.pipeline.arn", "aws_iam_role.pipeline", "web-pipeline"),
        ("aws_iam_role.pipeline.name", None, None),
        ("aws_iam_role.other.arn", None, None),
        ("aws_iam_role.pipeline[0].arn", None, "web-pipeline"),
        ('"arn:aws:iam::111122223333:role/web"', None, "web"),
    ],
)
def test_a_terraform_role_resource_is_kept(
    role: str, resource: str | None, name: str | None
) -> None:
    parsed = parse_terraform(TF.replace("ROLE", role), pointer="/t")
    (pipeline,) = parsed.pipelines
    expected = TemplateResource("terraform", resource) if resource else None
    assert pipeline.role_resource == expected
    assert role_name(pipeline.role_arn) == name
