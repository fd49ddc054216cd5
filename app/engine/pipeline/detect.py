"""One entry for every pipeline source: tell the format, hand it to its parser."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from app.engine.budget import WorkBudget
from app.engine.errors import PipelineParseError
from app.engine.pipeline.api_json import parse_pipeline_json
from app.engine.pipeline.cloudformation import parse_cloudformation
from app.engine.pipeline.template_values import ParsedTemplate, TemplateContext
from app.engine.pipeline.terraform import parse_terraform

FORMATS = ("codepipeline-json", "cloudformation", "terraform")

_TERRAFORM = re.compile(r'^\s*resource\s+"?aws_codepipeline"?\s', re.MULTILINE)
_CFN_YAML = re.compile(r"^(Resources|AWSTemplateFormatVersion)\s*:", re.MULTILINE)


def parse_pipeline_source(
    source: str | Mapping[str, Any],
    *,
    format: str | None = None,
    parameters: Mapping[str, str] | None = None,
    variables: Mapping[str, str] | None = None,
    context: TemplateContext | None = None,
    pointer: str = "",
    budget: WorkBudget | None = None,
) -> ParsedTemplate:
    """Pipelines from a get-pipeline document, a CloudFormation template or Terraform text.

    `format` is one of FORMATS, or None to detect it. `parameters` and `context` serve
    CloudFormation, `variables` (and `context`) Terraform.
    """
    kind = format or detect_format(source, pointer)
    if kind == "codepipeline-json":
        document = _json_document(source, pointer)
        pipeline, findings = parse_pipeline_json(document, pointer)
        return ParsedTemplate(pipelines=[pipeline], findings=findings)
    if kind == "cloudformation":
        text = source if isinstance(source, str) else json.dumps(source)
        return parse_cloudformation(
            text, parameters=parameters, context=context, pointer=pointer, budget=budget
        )
    if kind == "terraform":
        if not isinstance(source, str):
            raise PipelineParseError("a Terraform source must be HCL text", pointer)
        return parse_terraform(
            source, variables=variables, context=context, pointer=pointer, budget=budget
        )
    raise PipelineParseError(f"unknown format `{kind}`; expected one of {FORMATS}", pointer)


def detect_format(source: str | Mapping[str, Any], pointer: str = "") -> str:
    """The format of a pipeline source, from its shape; PipelineParseError when none fits."""
    document: Any = source
    if isinstance(source, str):
        text = source.lstrip("\ufeff \t\r\n")
        if not text.startswith("{"):
            if _TERRAFORM.search(text):
                return "terraform"
            if _CFN_YAML.search(text):
                return "cloudformation"
            raise PipelineParseError(
                "the source is not a get-pipeline document, a CloudFormation template "
                'or Terraform with a resource "aws_codepipeline"',
                pointer,
            )
        try:
            document = json.loads(text)
        except ValueError:
            # Not strict JSON; CloudFormation's decoder also reads, e.g., trailing commas.
            if '"Resources"' in text or '"AWSTemplateFormatVersion"' in text:
                return "cloudformation"
            raise PipelineParseError("the source is not valid JSON", pointer) from None
    if isinstance(document, Mapping):
        if "Resources" in document or "AWSTemplateFormatVersion" in document:
            return "cloudformation"
        if "pipeline" in document or ("stages" in document and "roleArn" in document):
            return "codepipeline-json"
    raise PipelineParseError(
        "the document is neither a get-pipeline document (`pipeline`, or `stages` and "
        "`roleArn`) nor a CloudFormation template (`Resources`)",
        pointer,
    )


def _json_document(source: str | Mapping[str, Any], pointer: str) -> Any:
    if not isinstance(source, str):
        return source
    try:
        return json.loads(source)
    except ValueError as exc:
        raise PipelineParseError(f"the source is not valid JSON: {exc}", pointer) from None
