"""Findings about a template's pipeline point at places of the template, in its spelling, on
their lines, and a
name the template does not determine is not called invalid."""

from __future__ import annotations

import pytest

from app.engine.findings import Finding, FindingType
from app.engine.pipeline.detect import parse_pipeline_source
from app.engine.pipeline.source_lines import SourceLines
from app.engine.pipeline.source_map import in_template_places, template_places
from app.engine.pipeline.structure import validate_pipeline

from ..profile_fixtures import shipped_profiles

CFN = """
Resources:
  Bucket:
    Type: AWS::S3::Bucket
  P:
    Type: AWS::CodePipeline::Pipeline
    Properties:
      RoleArn: ROLE
      ArtifactStore: {Type: S3, Location: LOCATION}
      Stages:
        - Name: Source
          Actions:
            - Name: Src
              ActionTypeId: {Category: Source, Owner: AWS, Provider: CodeCommit, Version: "1"}
              Configuration: {RepositoryName: repo, BranchName: main}
              OutputArtifacts: [{Name: ARTIFACT}]
        - Name: Build
          Actions:
            - Name: B
              ActionTypeId: {Category: Build, Owner: AWS, Provider: CodeBuild, Version: "1"}
              Configuration: {ProjectName: p}
              InputArtifacts: [{Name: ARTIFACT}]
"""
TF = """
resource "aws_codepipeline" "web" {
  name     = "web"
  role_arn = "ROLE"
  artifact_store {
    location = "LOCATION"
    type     = "S3"
  }
  stage {
    name = "Source"
    action {
      name             = "Src"
      category         = "Source"
      owner            = "AWS"
      provider         = "CodeCommit"
      version          = "1"
      output_artifacts = ["ARTIFACT"]
      configuration    = { RepositoryName = "repo", BranchName = "main" }
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
      input_artifacts = ["ARTIFACT"]
      configuration   = { ProjectName = "p" }
    }
  }
}
"""
GOOD = {"ROLE": "arn:aws:iam::111122223333:role/p", "LOCATION": "artifacts", "ARTIFACT": "src"}


def filled(template: str, **changes: str) -> str:
    """The template with its placeholders given their good values, but for `changes`."""
    text = template
    for placeholder, value in {**GOOD, **changes}.items():
        text = text.replace(placeholder, value)
    return text


def findings(template: str, **changes: str) -> list[Finding]:
    pipelines = parse_pipeline_source(filled(template, **changes)).pipelines
    return in_template_places(
        [f for p in pipelines for f in validate_pipeline(p, shipped_profiles())], pipelines
    )


@pytest.mark.parametrize(
    ("template", "change", "code", "path"),
    [
        (
            CFN,
            {"LOCATION": "x"},
            "INVALID_ARTIFACT_STORE_LOCATION",
            "/Resources/P/Properties/ArtifactStore/Location",
        ),
        (CFN, {"ROLE": "not-a-role"}, "INVALID_ROLE_ARN", "/Resources/P/Properties/RoleArn"),
        (
            CFN,
            {"ARTIFACT": "a.b"},
            "INVALID_ARTIFACT_NAME",
            "/Resources/P/Properties/Stages/0/Actions/0/OutputArtifacts/0",
        ),
        (
            TF,
            {"LOCATION": "x"},
            "INVALID_ARTIFACT_STORE_LOCATION",
            "/resource/aws_codepipeline/web/artifact_store/0/location",
        ),
        (TF, {"ROLE": "not-a-role"}, "INVALID_ROLE_ARN", "/resource/aws_codepipeline/web/role_arn"),
        (
            TF,
            {"ARTIFACT": "a.b"},
            "INVALID_ARTIFACT_NAME",
            "/resource/aws_codepipeline/web/stage/0/action/0/output_artifacts/0",
        ),
    ],
)
def test_a_finding_points_at_the_templates_own_place(
    template: str, change: dict[str, str], code: str, path: str
) -> None:
    found = [f for f in findings(template, **change) if f.code == code]
    assert found
    assert path in {f.path for f in found}
    lines = SourceLines(filled(template, **change))
    assert all(f.line is not None and f.line == lines.line(f.path) for f in found), found


@pytest.mark.parametrize(
    "change",
    [
        {"LOCATION": "!Ref Bucket"},
        {"LOCATION": "!Sub '${AWS::StackName}-artifacts'"},
        {"ROLE": "!ImportValue shared-role"},
        {"ARTIFACT": "!Sub '${AWS::StackName}Out'"},
    ],
)
def test_a_name_the_template_does_not_determine_is_not_invalid(change: dict[str, str]) -> None:
    assert not [f for f in findings(CFN, **change) if f.finding_type.value == "ERROR"]


def test_configuration_keys_keep_their_spelling() -> None:
    pipelines = parse_pipeline_source(filled(CFN)).pipelines
    action = pipelines[0].stages[1].actions[0]
    probe = Finding(
        code="UNKNOWN_CONFIGURATION_KEY",
        finding_type=FindingType.WARNING,
        message="",
        path=f"{action.pointer}/configuration/myKey/0",
    )
    (moved,) = in_template_places([probe], pipelines)
    assert moved.path == "/Resources/P/Properties/Stages/1/Actions/0/Configuration/myKey/0"


@pytest.mark.parametrize(
    ("template", "places"),
    [
        (
            CFN,
            {
                "": "/Resources/P/Properties",
                "/stages/1/actions/0": "/Resources/P/Properties/Stages/1/Actions/0",
                "/stages/1/actions/0/roleArn": "/Resources/P/Properties/Stages/1/Actions/0/RoleArn",
            },
        ),
        (
            TF,
            {
                "": "/resource/aws_codepipeline/web",
                "/stages/1/actions/0": "/resource/aws_codepipeline/web/stage/1/action/0",
                "/stages/1/actions/0/roleArn": (
                    "/resource/aws_codepipeline/web/stage/1/action/0/role_arn"
                ),
            },
        ),
    ],
)
def test_a_rendered_pointer_has_its_place_in_the_template(
    template: str, places: dict[str, str]
) -> None:
    pipelines = parse_pipeline_source(filled(template)).pipelines
    place = template_places(pipelines)
    assert place is not None
    mount = pipelines[0].pointer
    assert {rendered: place(mount + rendered) for rendered in places} == places
    assert place("/elsewhere/0") == "/elsewhere/0"


def test_pipelines_of_no_template_have_no_places() -> None:
    document = {"pipeline": {"name": "p", "roleArn": GOOD["ROLE"], "stages": []}}
    assert template_places(parse_pipeline_source(document).pipelines) is None
