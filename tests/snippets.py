"""Reading the policy snippets back: CloudFormation with cfn-lint's template decoder, Terraform
with python-hcl2, and the findings comments at their top."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import hcl2
from cfnlint.decode import decode_str


def parse_cloudformation(text: str) -> dict[str, Any]:
    """The template, as cfn-lint reads it; fails on anything it cannot decode."""
    template, problems = decode_str(text)
    assert not problems, [str(p) for p in problems]
    assert template is not None
    return json.loads(json.dumps(template))  # plain dicts and lists


def parse_terraform(text: str) -> dict[str, Any]:
    """The configuration, as python-hcl2 reads it; fails on anything it cannot parse."""
    parsed: dict[str, Any] = hcl2.loads(text)
    return parsed


def terraform_blocks(text: str, kind: str) -> dict[str, dict[str, Any]]:
    """The `resource` (or `variable`) blocks of a configuration of `kind` (e.g.
    `aws_iam_policy`; None for variables), by name, labels unquoted."""
    parsed = parse_terraform(text)
    out: dict[str, dict[str, Any]] = {}
    for block in parsed.get("resource", []):
        for rtype, named in block.items():
            if rtype.strip('"') == kind:
                out.update({name.strip('"'): body for name, body in named.items()})
    return out


def terraform_variables(text: str) -> set[str]:
    return {
        name.strip('"') for block in parse_terraform(text).get("variable", []) for name in block
    }


def _unescape_template(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("$${", "${").replace("%%{", "%{")
    if isinstance(value, list):
        return [_unescape_template(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _unescape_template(v) for k, v in value.items()}
    return value


def terraform_policies(text: str) -> list[dict[str, Any]]:
    """The policy documents inside `jsonencode(...)`, in order, as IAM reads them."""
    decoder = json.JSONDecoder()
    documents = []
    at = text.find("jsonencode(")
    while at >= 0:
        document, _ = decoder.raw_decode(text, at + len("jsonencode("))
        documents.append(_unescape_template(document))
        at = text.find("jsonencode(", at + 1)
    return documents


def header_comments(text: str) -> list[str]:
    """The comment lines a snippet starts with, without their `# `."""
    lines = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        lines.append(line[2:])
    return lines


def finding_comment(finding: Mapping[str, Any]) -> str:
    """The comment line a finding (as JSON) is given as, without the line's escapes."""
    where = f" (line {finding['line']})" if finding.get("line") is not None else ""
    return (
        f"  {finding['finding_type']} {finding['code']} at {finding['path'] or '/'}{where}: "
        f"{finding['message']}"
    )
