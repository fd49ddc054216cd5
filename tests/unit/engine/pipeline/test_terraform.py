"""Reading Terraform: expressions evaluated or widened in place, dynamic blocks expanded."""

from __future__ import annotations

import time

import pytest

from app.engine.errors import PipelineParseError
from app.engine.findings import Finding
from app.engine.pipeline.detect import detect_format, parse_pipeline_source
from app.engine.pipeline.model import Action
from app.engine.pipeline.source_map import template_pointer
from app.engine.pipeline.template_values import ParsedTemplate, TemplateContext
from app.engine.pipeline.terraform import parse_terraform

UNRESOLVED = "UNRESOLVED_TEMPLATE_VALUE"
VALUE_AT = "/resource/aws_codepipeline/main/stage/1/action/0/configuration/Value"

DECLARATIONS = """
variable "env" {
  type    = string
  default = "dev"
}
variable "missing" {
  type = string
}
variable "names" {
  default = ["a", "b"]
}
locals {
  prefix = "app-${var.env}"
  sizes  = { small = 1, large = 2 }
}
data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}
resource "aws_s3_bucket" "artifacts" {
  bucket = "${local.prefix}-artifacts"
}
resource "aws_s3_bucket" "nameless" {}
resource "aws_iam_role" "deployer" {
  name = "deployer"
  path = "/svc/"
}
resource "aws_codebuild_project" "build" {
  name = "${var.env}-build"
}
resource "aws_kms_key" "key" {}
resource "aws_lambda_function" "fn" {
  function_name = "fn"
}
resource "aws_sns_topic" "alerts" {
  name = "alerts"
}
resource "aws_sfn_state_machine" "flow" {
  name = "flow"
}
resource "aws_ecr_repository" "images" {
  name = "images"
}
resource "aws_codecommit_repository" "code" {
  repository_name = "code"
}
resource "aws_codestarconnections_connection" "gh" {
  name          = "gh"
  provider_type = "GitHub"
}
resource "aws_iam_policy" "policy" {
  name = "policy"
}
data "aws_iam_policy_document" "doc" {
  statement {
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.artifacts.arn}/*"]
  }
}
"""


def _file(value: str, *, extra: str = "") -> str:
    """A two-stage pipeline whose second action has `configuration = { Value = <value> }`."""
    return (
        DECLARATIONS
        + extra
        + f"""
resource "aws_codepipeline" "main" {{
  name     = "pipe-${{var.env}}"
  role_arn = aws_iam_role.deployer.arn
  artifact_store {{
    location = aws_s3_bucket.artifacts.bucket
    type     = "S3"
  }}
  stage {{
    name = "Source"
    action {{
      name             = "Src"
      category         = "Source"
      owner            = "AWS"
      provider         = "S3"
      version          = "1"
      output_artifacts = ["out"]
      configuration = {{
        S3Bucket    = "b"
        S3ObjectKey = "k"
      }}
    }}
  }}
  stage {{
    name = "Run"
    action {{
      name     = "Act"
      category = "Invoke"
      owner    = "AWS"
      provider = "Lambda"
      version  = "1"
      configuration = {{
        Value = {value}
      }}
    }}
  }}
}}
"""
    )


def _value_line(text: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if "Value =" in line)


def _action(result: ParsedTemplate, stage: int = 1, index: int = 0) -> Action:
    return result.pipelines[0].stages[stage].actions[index]


def _unresolved(result: ParsedTemplate) -> list[Finding]:
    return [f for f in result.findings if f.code == UNRESOLVED]


CONTEXT = TemplateContext(account="111122223333", region="eu-west-1")

# (case id, value expression, variables, context, expected value, an UNRESOLVED finding expected)
CASES: list[tuple[str, str, dict[str, str], TemplateContext | None, str, bool]] = [
    ("literal", '"plain"', {}, None, "plain", False),
    ("number", "5", {}, None, "5", False),
    ("bool", "true", {}, None, "true", False),
    ("variable-default", "var.env", {}, None, "dev", False),
    ("variable-given", "var.env", {"env": "prod"}, None, "prod", False),
    ("variable-unknown", "var.missing", {}, None, "*", True),
    ("variable-undeclared", "var.nowhere", {}, None, "*", True),
    ("local", "local.prefix", {}, None, "app-dev", False),
    ("local-map-index", 'local.sizes["large"]', {}, None, "2", False),
    ("local-map-attribute", "local.sizes.small", {}, None, "1", False),
    ("list-index", "var.names[1]", {}, None, "b", False),
    (
        "interpolation",
        '"arn:aws:s3:::${local.prefix}/*"',
        {},
        None,
        "arn:aws:s3:::app-dev/*",
        False,
    ),
    (
        "interpolation-partly-unknown",
        '"arn:aws:s3:::${var.missing}-logs"',
        {},
        None,
        "arn:aws:s3:::*-logs",
        True,
    ),
    ("escaped-interpolation", '"$${literal}-${var.env}"', {}, None, "${literal}-dev", False),
    ("escapes", '"a\\tb\\"c"', {}, None, 'a\tb"c', False),
    ("heredoc", "<<-EOT\n    x-${var.env}\n    EOT", {}, None, "x-dev\n", False),
    ("conditional-known", 'var.env == "prod" ? "big" : "small"', {}, None, "small", False),
    ("conditional-unknown", 'var.missing == "x" ? "app-one" : "app-two"', {}, None, "app-*", True),
    ("logic", '!(var.env == "prod") && 1 + 2 * 3 > 6', {}, None, "true", False),
    ("join", 'join("-", ["a", var.env])', {}, None, "a-dev", False),
    ("format", 'format("%s-%d", var.env, 3)', {}, None, "dev-3", False),
    ("upper", "upper(var.env)", {}, None, "DEV", False),
    ("lookup", 'lookup(local.sizes, "small", 0)', {}, None, "1", False),
    ("split-element", 'element(split(",", "a,b"), 1)', {}, None, "b", False),
    (
        "for-expression",
        'join(",", [for n in var.names : upper(n) if n != "b"])',
        {},
        None,
        "A",
        False,
    ),
    ("unknown-function", "timestamp()", {}, None, "*", True),
    ("bucket", "aws_s3_bucket.artifacts.bucket", {}, None, "app-dev-artifacts", False),
    ("bucket-id", "aws_s3_bucket.artifacts.id", {}, None, "app-dev-artifacts", False),
    (
        "bucket-arn",
        "aws_s3_bucket.artifacts.arn",
        {},
        None,
        "arn:aws:s3:::app-dev-artifacts",
        False,
    ),
    ("bucket-generated-name", "aws_s3_bucket.nameless.bucket", {}, None, "terraform-*", True),
    ("role-arn", "aws_iam_role.deployer.arn", {}, None, "arn:aws:iam::*:role/svc/deployer", True),
    (
        "role-arn-known-account",
        "aws_iam_role.deployer.arn",
        {},
        CONTEXT,
        "arn:aws:iam::111122223333:role/svc/deployer",
        False,
    ),
    ("role-name", "aws_iam_role.deployer.name", {}, None, "deployer", False),
    ("codebuild-name", "aws_codebuild_project.build.name", {}, None, "dev-build", False),
    ("instance-key", 'aws_codebuild_project.build["k"].name', {}, None, "dev-build", False),
    ("instance-index", "aws_codebuild_project.build[0].name", {}, None, "dev-build", False),
    (
        "kms-key-arn",
        "aws_kms_key.key.arn",
        {},
        CONTEXT,
        "arn:aws:kms:eu-west-1:111122223333:key/*",
        True,
    ),
    ("lambda-name", "aws_lambda_function.fn.function_name", {}, None, "fn", False),
    (
        "lambda-arn",
        "aws_lambda_function.fn.arn",
        {},
        CONTEXT,
        "arn:aws:lambda:eu-west-1:111122223333:function:fn",
        False,
    ),
    (
        "sns-arn",
        "aws_sns_topic.alerts.arn",
        {},
        CONTEXT,
        "arn:aws:sns:eu-west-1:111122223333:alerts",
        False,
    ),
    (
        "state-machine-arn",
        "aws_sfn_state_machine.flow.arn",
        {},
        CONTEXT,
        "arn:aws:states:eu-west-1:111122223333:stateMachine:flow",
        False,
    ),
    ("ecr-name", "aws_ecr_repository.images.name", {}, None, "images", False),
    ("codecommit-name", "aws_codecommit_repository.code.repository_name", {}, None, "code", False),
    (
        "connection-arn",
        "aws_codestarconnections_connection.gh.arn",
        {},
        CONTEXT,
        "arn:aws:codestar-connections:eu-west-1:111122223333:connection/*",
        True,
    ),
    (
        "policy-arn",
        "aws_iam_policy.policy.arn",
        {},
        CONTEXT,
        "arn:aws:iam::111122223333:policy/policy",
        False,
    ),
    ("jsonencode", "jsonencode({ a = var.env, b = [1] })", {}, None, '{"a":"dev","b":[1]}', False),
    (
        "jsonencode-partly-unknown",
        'jsonencode(["${aws_kms_key.key.arn}/x"])',
        {},
        CONTEXT,
        '["arn:aws:kms:eu-west-1:111122223333:key/*/x"]',
        True,
    ),
    ("jsonencode-unknown", "jsonencode(var.missing)", {}, None, "*", True),
    (
        "jsonencode-escaped-text",
        'jsonencode("\\\\u0000")',  # the text `\\u0000`, no unknown part
        {},
        None,
        '"\\\\u0000"',
        False,
    ),
    (
        "policy-document-json",
        "data.aws_iam_policy_document.doc.json",
        {},
        None,
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject",'
        '"Resource":"arn:aws:s3:::app-dev-artifacts/*"}]}',
        False,
    ),
    ("policy-document-elsewhere", "data.aws_iam_policy_document.none.json", {}, None, "*", True),
    ("resource-elsewhere", "aws_codebuild_project.other.name", {}, None, "*", True),
    ("unknown-resource-type", "aws_instance.web.public_dns", {}, None, "*", True),
    (
        "caller-account",
        '"${data.aws_caller_identity.current.account_id}-logs"',
        {},
        None,
        "*-logs",
        True,
    ),
    (
        "caller-account-known",
        "data.aws_caller_identity.current.account_id",
        {},
        CONTEXT,
        "111122223333",
        False,
    ),
    ("region-known", "data.aws_region.current.name", {}, CONTEXT, "eu-west-1", False),
    ("partition", "data.aws_partition.current.partition", {}, None, "aws", False),
    ("module-output", "module.shared.bucket", {}, None, "*", True),
    ("splat", "aws_s3_bucket.artifacts[*].bucket", {}, None, "*", True),
]


@pytest.mark.parametrize(
    ("value", "variables", "context", "expected", "finding"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_expressions(
    value: str,
    variables: dict[str, str],
    context: TemplateContext | None,
    expected: str,
    finding: bool,
) -> None:
    text = _file(value)
    result = parse_terraform(text, variables=variables, context=context)
    assert _action(result).configuration["Value"] == expected
    located = [f for f in _unresolved(result) if f.path == VALUE_AT]
    assert bool(located) == finding, [(f.path, f.message) for f in result.findings]
    for f in located:
        assert f.line == _value_line(text)


def test_pipeline_arguments_resolve_through_other_resources() -> None:
    result = parse_terraform(_file('"x"'), context=CONTEXT)
    pipeline = result.pipelines[0]
    assert pipeline.name == "pipe-dev"
    assert pipeline.role_arn == "arn:aws:iam::111122223333:role/svc/deployer"
    assert [s.location for s in pipeline.artifact_stores] == ["app-dev-artifacts"]
    assert pipeline.pointer == "/resource/aws_codepipeline/main"
    assert pipeline.extras["terraformAddress"] == "aws_codepipeline.main"
    assert _action(result, 0).output_artifacts == ("out",)
    assert not result.findings


def test_an_unknown_value_is_located_in_the_pipeline() -> None:
    text = _file("aws_codebuild_project.elsewhere.name").replace("Value =", "ProjectName =")
    result = parse_terraform(text, context=CONTEXT)
    [finding] = _unresolved(result)
    assert finding.path == (
        "/resource/aws_codepipeline/main/stage/1/action/0/configuration/ProjectName"
    )
    assert finding.line == next(
        i for i, line in enumerate(text.splitlines(), 1) if "ProjectName =" in line
    )
    assert "aws_codebuild_project.elsewhere" in finding.message


DYNAMIC = """
variable "environments" {
  default = ["test", "prod"]
}
locals {
  projects = { lint = "lint-project", unit = "unit-project" }
}
resource "aws_codepipeline" "main" {
  name     = "p"
  role_arn = "arn:aws:iam::111122223333:role/p"
  artifact_store {
    location = "bucket"
    type     = "S3"
    encryption_key {
      id   = "alias/key"
      type = "KMS"
    }
  }
  stage {
    name = "Source"
    action {
      name             = "Src"
      category         = "Source"
      owner            = "AWS"
      provider         = "S3"
      version          = "1"
      output_artifacts = ["src"]
      configuration    = { S3Bucket = "b", S3ObjectKey = "k" }
    }
  }
  stage {
    name = "Checks"
    dynamic "action" {
      for_each = local.projects
      iterator = check
      content {
        name            = check.key
        category        = "Test"
        owner           = "AWS"
        provider        = "CodeBuild"
        version         = "1"
        input_artifacts = ["src"]
        run_order       = 2
        configuration   = { ProjectName = check.value }
      }
    }
  }
  dynamic "stage" {
    for_each = var.environments
    content {
      name = "Deploy-${stage.value}"
      dynamic "action" {
        for_each = ["one"]
        content {
          name     = "Deploy-${stage.value}-${action.value}"
          category = "Deploy"
          owner    = "AWS"
          provider = "S3"
          version  = "1"
          region   = "eu-west-1"
          configuration = {
            BucketName = "site-${stage.value}"
            Extract    = "true"
          }
        }
      }
    }
  }
  stage {
    name = "Last"
    action {
      name     = "Approve"
      category = "Approval"
      owner    = "AWS"
      provider = "Manual"
      version  = "1"
    }
  }
}
"""


def test_dynamic_blocks_expand_in_order() -> None:
    result = parse_terraform(DYNAMIC)
    pipeline = result.pipelines[0]
    assert [s.name for s in pipeline.stages] == [
        "Source",
        "Checks",
        "Deploy-test",
        "Deploy-prod",
        "Last",
    ]
    checks = pipeline.stages[1].actions
    assert [(a.name, a.configuration["ProjectName"], a.run_order) for a in checks] == [
        ("lint", "lint-project", 2),
        ("unit", "unit-project", 2),
    ]
    deploy = pipeline.stages[3].actions[0]
    assert deploy.name == "Deploy-prod-one"
    assert deploy.configuration == {"BucketName": "site-prod", "Extract": "true"}
    assert deploy.region == "eu-west-1"
    assert (
        template_pointer(deploy.pointer, result.pipelines)
        == "/resource/aws_codepipeline/main/stage/3/action/0"
    )
    assert pipeline.artifact_stores[0].kms_key_id == "alias/key"
    assert not result.findings


def test_a_dynamic_block_over_an_unknown_collection_stands_for_its_instances() -> None:
    text = DYNAMIC.replace('default = ["test", "prod"]', "type = list(string)")
    result = parse_terraform(text)
    stages = result.pipelines[0].stages
    assert [s.name for s in stages] == ["Source", "Checks", "Deploy-*", "Last"]
    assert stages[2].actions[0].configuration["BucketName"] == "site-*"
    assert any("for_each" in f.message for f in _unresolved(result))
    given = parse_terraform(text, variables={"environments": '["qa"]'})
    assert [s.name for s in given.pipelines[0].stages][2] == "Deploy-qa"


def test_v2_pipeline_arguments_reach_the_model() -> None:
    text = """
resource "aws_codepipeline" "v2" {
  name           = "v2"
  role_arn       = "arn:aws:iam::111122223333:role/p"
  pipeline_type  = "V2"
  execution_mode = "QUEUED"
  artifact_store {
    location = "b"
    type     = "S3"
    region   = "eu-west-1"
  }
  variable {
    name          = "Env"
    default_value = "dev"
  }
  trigger {
    provider_type = "CodeStarSourceConnection"
    git_configuration {
      source_action_name = "Src"
      push {
        branches {
          includes = ["main"]
        }
      }
    }
  }
  stage {
    name = "Source"
    action {
      name      = "Src"
      category  = "Source"
      owner     = "AWS"
      provider  = "CodeStarSourceConnection"
      version   = "1"
      namespace = "SourceVariables"
      configuration = {
        ConnectionArn    = "arn:aws:codeconnections:eu-west-1:111122223333:connection/x"
        FullRepositoryId = "o/r"
        DetectChanges    = false
      }
    }
  }
  stage {
    name = "Deploy"
    on_failure {
      result = "ROLLBACK"
    }
    action {
      name               = "Approve"
      category           = "Approval"
      owner              = "AWS"
      provider           = "Manual"
      version            = "1"
      timeout_in_minutes = 60
    }
  }
}
"""
    pipeline = parse_terraform(text, pointer="/pipelines/2").pipelines[0]
    assert pipeline.pointer == "/pipelines/2/resource/aws_codepipeline/v2"
    assert pipeline.pipeline_type == "V2"
    assert pipeline.extras["executionMode"] == "QUEUED"
    assert pipeline.variables == {"Env": "dev"}
    push = pipeline.extras["triggers"][0]["gitConfiguration"]["push"][0]
    assert push["branches"]["includes"] == ["main"]
    assert pipeline.artifact_stores[0].region == "eu-west-1"
    source = pipeline.stages[0].actions[0]
    assert source.namespace == "SourceVariables"
    assert source.configuration["DetectChanges"] == "false"
    assert pipeline.stages[1].extras == {"onFailure": {"result": "ROLLBACK"}}
    assert pipeline.stages[1].actions[0].extras == {"timeoutInMinutes": 60}


def test_every_pipeline_resource_is_read() -> None:
    text = _file('"a"') + _file('"b"').split(DECLARATIONS, 1)[1].replace('"main"', '"other"')
    result = parse_terraform(text)
    assert [p.extras["terraformAddress"] for p in result.pipelines] == [
        "aws_codepipeline.main",
        "aws_codepipeline.other",
    ]


@pytest.mark.parametrize(
    ("text", "line"),
    [
        pytest.param('resource "aws_codepipeline" "p" {\n  name = \n}\n', 2, id="missing-value"),
        pytest.param('resource "aws_codepipeline" "p" {\n  name = "x"\n', 3, id="unclosed"),
        pytest.param('resource "aws_codepipeline" "p" {\n  a = [1,\n  b = )\n}\n', 3, id="bad"),
    ],
)
def test_malformed_hcl_is_a_parse_error_with_its_line(text: str, line: int) -> None:
    with pytest.raises(PipelineParseError) as caught:
        parse_terraform(text)
    assert "cannot be read" in caught.value.message
    assert f"line {line}" in caught.value.message


def test_a_file_without_a_pipeline_is_a_parse_error() -> None:
    with pytest.raises(PipelineParseError, match='no resource "aws_codepipeline"'):
        parse_terraform('resource "aws_s3_bucket" "b" {\n  bucket = "x"\n}\n')


def test_a_pipeline_missing_required_parts_is_located() -> None:
    text = _file('"a"').replace('      category = "Invoke"\n', "")
    with pytest.raises(PipelineParseError) as caught:
        parse_terraform(text)
    assert caught.value.pointer == "/resource/aws_codepipeline/main/stage/1/action/0/category"


def test_a_counted_pipeline_stands_for_its_instances() -> None:
    text = _file('"v-${count.index}"').replace(
        'resource "aws_codepipeline" "main" {\n',
        'resource "aws_codepipeline" "main" {\n  count = 2\n',
    )
    result = parse_terraform(text)
    assert _action(result).configuration["Value"] == "v-*"
    assert any(f.path == "/resource/aws_codepipeline/main/count" for f in _unresolved(result))


def test_self_referencing_locals_end() -> None:
    extra = 'locals {\n  a = local.b\n  b = "${local.a}-x"\n}\n'
    result = parse_terraform(_file("local.a", extra=extra))
    assert _action(result).configuration["Value"] == "*-x"
    assert any("refers back to itself" in f.message for f in result.findings)


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("[" * 400 + "]" * 400, id="tuples"),
        pytest.param("upper(" * 200 + '"x"' + ")" * 200, id="calls"),
        pytest.param(" + ".join(["1"] * 400), id="long-sum"),
    ],
)
def test_deep_nesting_ends_fast_with_an_error_or_a_result(value: str) -> None:
    started = time.monotonic()
    outcome: ParsedTemplate | PipelineParseError
    try:
        outcome = parse_terraform(_file(value))
    except PipelineParseError as exc:
        outcome = exc
    assert time.monotonic() - started < 10
    if isinstance(outcome, PipelineParseError):
        assert "nests too deeply" in outcome.message
        assert outcome.pointer == ""
    else:
        assert outcome.pipelines


def test_terraform_is_detected_and_delegated() -> None:
    text = _file("var.env")
    assert detect_format(text) == "terraform"
    result = parse_pipeline_source(text, variables={"env": "qa"})
    assert _action(result).configuration["Value"] == "qa"
