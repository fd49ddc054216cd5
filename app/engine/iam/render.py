"""A policy as deployable text: a CloudFormation snippet or a Terraform resource."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

import yaml

_NAME = re.compile(r"[^A-Za-z0-9]")


def _logical_id(name: str, index: int, count: int) -> str:
    base = _NAME.sub("", name.title()) or "PipelineServiceRolePolicy"
    return base if count == 1 else f"{base}Part{index + 1}"


def to_cloudformation(documents: Sequence[Mapping[str, Any]], *, name: str) -> str:
    """`AWS::IAM::ManagedPolicy` resources (one per document), ready to attach to the role."""
    resources = {
        _logical_id(name, i, len(documents)): {
            "Type": "AWS::IAM::ManagedPolicy",
            "Properties": {
                "Description": f"{name} ({i + 1} of {len(documents)})"
                if len(documents) > 1
                else name,
                "PolicyDocument": dict(doc),
            },
        }
        for i, doc in enumerate(documents)
    }
    return yaml.safe_dump({"Resources": resources}, sort_keys=False, width=1000)


def _hcl_string_safe(text: str) -> str:
    # Terraform interpolates `${` and `%{` inside strings; IAM policy variables must survive.
    return text.replace("${", "$${").replace("%{", "%%{")


def to_terraform(documents: Sequence[Mapping[str, Any]], *, name: str) -> str:
    """`aws_iam_policy` resources with the document in `jsonencode(...)`."""
    blocks = []
    slug = _NAME.sub("_", name.lower()).strip("_") or "pipeline_service_role"
    for i, doc in enumerate(documents):
        suffix = "" if len(documents) == 1 else f"_part{i + 1}"
        body = _hcl_string_safe(json.dumps(dict(doc), indent=2))
        indented = body.replace("\n", "\n  ")
        blocks.append(
            f'resource "aws_iam_policy" "{slug}{suffix}" {{\n'
            f'  name   = "{name}{suffix.replace("_", "-")}"\n'
            f"  policy = jsonencode({indented})\n"
            "}\n"
        )
    return "\n".join(blocks)
