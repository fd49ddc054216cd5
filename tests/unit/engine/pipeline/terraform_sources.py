"""Terraform files of a pipeline and the roles, keys and buckets around it, for the readers of
the policies a file defines."""

from __future__ import annotations

from app.engine.pipeline.template_values import ParsedTemplate, TemplateContext
from app.engine.pipeline.terraform import parse_terraform

ACCOUNT, OTHER, REGION = "111122223333", "444455556666", "eu-west-1"
CONTEXT = TemplateContext(account=ACCOUNT, region=REGION)
PIPELINE_ROLE = f"arn:aws:iam::{ACCOUNT}:role/pipeline-role"
KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/*"  # a key's ID is assigned at creation
DEPLOY_ROLE_OTHER = f"arn:aws:iam::{OTHER}:role/deploy"


def trust(service: str = "codepipeline.amazonaws.com") -> str:
    """A trust policy as `jsonencode(...)`."""
    return (
        'jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", '
        f'Principal = {{ Service = "{service}" }}, Action = "sts:AssumeRole" }}] }})'
    )


def allow(action: str, resource: str = '"*"') -> str:
    """An identity policy granting one action, as `jsonencode(...)`."""
    return (
        'jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", '
        f'Action = "{action}", Resource = {resource} }}] }})'
    )


def role(name: str, *lines: str, trusted: str | None = None) -> str:
    """`resource "aws_iam_role" "<name>"` named `<name>-role`, trusting CodePipeline."""
    body = "\n".join(f"  {line}" for line in lines)
    return f"""
resource "aws_iam_role" "{name}" {{
  name               = "{name}-role"
  assume_role_policy = {trusted or trust()}
{body}
}}
"""


def resource(rtype: str, name: str, *lines: str) -> str:
    body = "\n".join(f"  {line}" for line in lines)
    return f'\nresource "{rtype}" "{name}" {{\n{body}\n}}\n'


def configuration(
    *parts: str,
    role_arn: str = "aws_iam_role.pipeline.arn",
    store: tuple[str, ...] = ('location = "artifacts"',),
    deploy: tuple[str, ...] = (),
    stage: tuple[str, ...] = (),
    service_role: bool = True,
) -> str:
    """A CodeCommit -> CloudFormation pipeline whose service role is `aws_iam_role.pipeline`
    (declared unless `service_role` is false); `deploy` lines go into the deploy action (its
    configuration is `ActionMode`, `StackName` and what `deploy` adds in a `configuration`
    line of its own), `stage` lines into the deploy stage, `store` into the artifact store."""
    store_lines = "\n    ".join(['type = "S3"', *store])
    deploy_lines = "\n      ".join(deploy) if deploy else ""
    if not any(line.startswith("configuration") for line in deploy):
        deploy_lines += (
            '\n      configuration = { ActionMode = "CREATE_UPDATE", StackName = "app" }'
        )
    stage_lines = "\n    ".join(stage)
    return (
        (role("pipeline") if service_role else "")
        + "".join(parts)
        + f"""
resource "aws_codepipeline" "main" {{
  name     = "main"
  role_arn = {role_arn}
  artifact_store {{
    {store_lines}
  }}
  stage {{
    name = "Source"
    action {{
      name             = "Source"
      category         = "Source"
      owner            = "AWS"
      provider         = "CodeCommit"
      version          = "1"
      output_artifacts = ["src"]
      configuration    = {{ RepositoryName = "repo", BranchName = "main" }}
    }}
  }}
  stage {{
    name = "Deploy"
    {stage_lines}
    action {{
      name            = "Stack"
      category        = "Deploy"
      owner           = "AWS"
      provider        = "CloudFormation"
      version         = "1"
      input_artifacts = ["src"]
      {deploy_lines}
    }}
  }}
}}
"""
    )


def parsed(text: str, context: TemplateContext = CONTEXT) -> ParsedTemplate:
    return parse_terraform(text, context=context)


def line_of(text: str, fragment: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if fragment in line)
