"""The line a JSON pointer names in a JSON, YAML or Terraform text."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from app.engine.json_pointer import pointer_tokens
from app.engine.pipeline.detect import parse_pipeline_source
from app.engine.pipeline.source_lines import SourceLines
from app.engine.pipeline.source_map import template_pointer
from tests.hypothesis_profiles import examples

TEMPLATE = """\
Parameters:
  Env: {Type: String}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Resources:
  Pipeline:
    Type: AWS::CodePipeline::Pipeline
    Properties:
      RoleArn: arn:aws:iam::111122223333:role/p
      Stages:
        - Name: Source
          Actions:
            - Name: Src
              Configuration:
                S3Bucket: !If
                  - IsProd
                  - prod-bucket
                  - !Sub "${Env}-bucket"
        - Name: Deploy
          Actions: []
  "a/b~c":
    Type: AWS::S3::Bucket
"""

TERRAFORM = """\
variable "env" {
  default = "dev"
}
resource "aws_codepipeline" "main" {
  name     = "main"
  role_arn = "arn:aws:iam::111122223333:role/p"
  stage {
    name = "Source"
    action {
      name = "Src"
      configuration = {
        S3Bucket = "b"
        Items    = ["x",
          "y"]
      }
    }
  }
  dynamic "stage" {
    for_each = var.stages
    content {
      name = stage.value
    }
  }
  stage {
    name = "Last"
  }
}
resource "aws_iam_policy" "p" {
  policy = jsonencode({
    Statement = [{
      Resource = "*"
    }]
  })
}
"""

# (case, text, pointer, line)
CASES = [
    ("cfn-root", TEMPLATE, "", 1),
    ("cfn-key", TEMPLATE, "/Resources/Pipeline/Properties/RoleArn", 9),
    ("cfn-model-key-case", TEMPLATE, "/Resources/Pipeline/Properties/roleArn", 9),
    ("cfn-list-item", TEMPLATE, "/Resources/Pipeline/Properties/Stages/1", 19),
    ("cfn-action", TEMPLATE, "/Resources/Pipeline/Properties/Stages/0/Actions/0", 13),
    (
        "cfn-intrinsic",
        TEMPLATE,
        "/Resources/Pipeline/Properties/Stages/0/Actions/0/Configuration/S3Bucket/Fn::If/2",
        18,
    ),
    ("cfn-past-the-text", TEMPLATE, "/Resources/Pipeline/Properties/Stages/1/Actions/0/Name", 20),
    ("cfn-index-out-of-range", TEMPLATE, "/Resources/Pipeline/Properties/Stages/7", 10),
    ("cfn-unknown-key", TEMPLATE, "/Resources/Nope/Properties", 5),
    ("cfn-escaped-key", TEMPLATE, "/Resources/a~1b~0c/Type", 22),
    ("tf-attribute", TERRAFORM, "/resource/aws_codepipeline/main/role_arn", 6),
    ("tf-model-key", TERRAFORM, "/resource/aws_codepipeline/main/roleArn", 6),
    ("tf-block", TERRAFORM, "/resource/aws_codepipeline/main/stage/0/action/0", 9),
    (
        "tf-object-key",
        TERRAFORM,
        "/resource/aws_codepipeline/main/stage/0/action/0/configuration/S3Bucket",
        12,
    ),
    (
        "tf-tuple-item",
        TERRAFORM,
        "/resource/aws_codepipeline/main/stage/0/action/0/configuration/Items/1",
        14,
    ),
    ("tf-dynamic-first", TERRAFORM, "/resource/aws_codepipeline/main/stage/1/name", 21),
    ("tf-after-dynamic", TERRAFORM, "/resource/aws_codepipeline/main/stage/2/name", 18),
    ("tf-variable", TERRAFORM, "/variable/env/default", 2),
    ("tf-jsonencode", TERRAFORM, "/resource/aws_iam_policy/p/policy/Statement/0/Resource", 31),
    ("tf-jsonencode-past-the-text", TERRAFORM, "/resource/aws_iam_policy/p/policy/Version", 29),
    ("tf-other-resource", TERRAFORM, "/resource/aws_s3_bucket/main/bucket", None),
    ("tf-unknown-attribute", TERRAFORM, "/resource/aws_codepipeline/main/nope", 4),
    ("unreadable-json", '{"a": [1,', "/a", None),
    ("unreadable-terraform", 'resource "x" "y" {\n  a = \n', "/resource/x/y/a", None),
    ("empty", "", "/a", None),
]


@pytest.mark.parametrize(
    ("text", "pointer", "line"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_the_line_of_a_pointer(text: str, pointer: str, line: int | None) -> None:
    assert SourceLines(text).line(pointer) == line


@pytest.mark.parametrize(
    ("pointer", "tokens"),
    [("", ()), ("/", ("",)), ("/a/0", ("a", "0")), ("/a~1b/c~0d/~01", ("a/b", "c~d", "~1"))],
)
def test_pointer_tokens(pointer: str, tokens: tuple[str, ...]) -> None:
    assert pointer_tokens(pointer) == tokens


PIPELINE_TEMPLATE = """\
Parameters:
  Bucket: {Type: String}
Resources:
  Pipeline:
    Type: AWS::CodePipeline::Pipeline
    Properties:
      RoleArn: !Sub arn:aws:iam::${AWS::AccountId}:role/p
      ArtifactStore: {Type: S3, Location: !Ref Bucket}
      Stages:
        - Name: Source
          Actions:
            - Name: Src
              ActionTypeId: {Category: Source, Owner: AWS, Provider: S3, Version: "1"}
              Configuration:
                S3Bucket: !Ref Bucket
                S3ObjectKey: k.zip
              OutputArtifacts: [{Name: out}]
        - Name: Build
          Actions:
            - ActionTypeId: {Category: Build, Owner: AWS, Provider: CodeBuild, Version: "1"}
              Name: Build
              Configuration: {ProjectName: !ImportValue build-project}
              InputArtifacts: [{Name: out}]
"""

PIPELINE_TERRAFORM = """\
resource "aws_codepipeline" "main" {
  name     = "main"
  role_arn = var.role
  artifact_store {
    location = var.bucket
    type     = "S3"
  }
  stage {
    name = "Source"
    action {
      name             = "Src"
      category         = "Source"
      owner            = "AWS"
      provider         = "S3"
      version          = "1"
      output_artifacts = ["out"]
      configuration = {
        S3Bucket    = var.bucket
        S3ObjectKey = "k.zip"
      }
    }
  }
  stage {
    name = "Build"
    action {
      category        = "Build"
      name            = "Build"
      owner           = "AWS"
      provider        = "CodeBuild"
      version         = "1"
      input_artifacts = ["out"]
      configuration   = { ProjectName = local.project }
    }
  }
}
"""


@pytest.mark.parametrize(
    ("text", "first_line"), [(PIPELINE_TEMPLATE, "- "), (PIPELINE_TERRAFORM, "action {")]
)
def test_every_action_the_parser_reads_is_found_where_it_begins(text: str, first_line: str) -> None:
    lines = SourceLines(text)
    rows = text.splitlines()
    pipelines = parse_pipeline_source(text).pipelines
    actions = [a for p in pipelines for s in p.stages for a in s.actions]
    assert len(actions) == 2
    for action in actions:
        line = lines.line(template_pointer(action.pointer, pipelines))
        assert line is not None
        assert rows[line - 1].strip().startswith(first_line), action.pointer


@pytest.mark.parametrize("text", [PIPELINE_TEMPLATE, PIPELINE_TERRAFORM])
def test_the_lines_the_readers_give_are_the_lines_of_their_pointers(text: str) -> None:
    located = [f for f in parse_pipeline_source(text).findings if f.line is not None]
    assert len(located) >= 3
    lines = SourceLines(text)
    assert [lines.line(f.path) for f in located] == [f.line for f in located]


# -- any document ---------------------------------------------------------------------------------

KEYS = st.text("abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=6)
TREES = st.recursive(
    st.one_of(st.text("xyz ", max_size=5), st.booleans()),
    lambda children: st.dictionaries(KEYS, children, min_size=1, max_size=4),
    max_leaves=30,
)


def _key_paths(tree: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    if not isinstance(tree, dict):
        return []
    out: list[tuple[str, ...]] = []
    for key, value in tree.items():
        out.append((*prefix, key))
        out.extend(_key_paths(value, (*prefix, key)))
    return out


@settings(max_examples=examples(60), deadline=None)
@given(tree=st.dictionaries(KEYS, TREES, min_size=1, max_size=4))
def test_every_key_is_found_on_its_own_line_in_json_and_yaml(tree: dict[str, Any]) -> None:
    for text in (json.dumps(tree, indent=2), yaml.safe_dump(tree, default_flow_style=False)):
        lines = SourceLines(text)
        rows = text.splitlines()
        for path in _key_paths(tree):
            line = lines.line("/" + "/".join(path))
            assert line is not None
            written = re.match(r"""\s*['"]?([^'":]+)['"]?:""", rows[line - 1])
            assert written is not None, (text, path)
            assert written.group(1) == path[-1], (text, path)
