"""Reading the policy snippets back: CloudFormation with cfn-lint's template decoder, Terraform
with python-hcl2, and the findings comments at their top."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import hcl2
from cfnlint.decode import decode_str

from app.engine.companion_templates import renderable
from app.engine.companions.documents import DocumentKind


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


_RESOURCE = re.compile(r'^resource "([a-z0-9_]+)" "([^"]+)" \{$', re.MULTILINE)


def terraform_documents(text: str) -> list[tuple[str, str, dict[str, Any]]]:
    """(resource type, name, document) of each `jsonencode(...)` policy document, in order, as
    IAM reads it."""
    decoder = json.JSONDecoder()
    out = []
    for block in _RESOURCE.finditer(text):
        at = text.find("jsonencode(", block.end())
        following = _RESOURCE.search(text, block.end())
        if at < 0 or (following is not None and at > following.start()):
            continue
        document, _ = decoder.raw_decode(text, at + len("jsonencode("))
        out.append((block[1], block[2], _unescape_template(document)))
    return out


def terraform_policies(text: str) -> list[dict[str, Any]]:
    """The documents of the service-role policies (`aws_iam_policy`), in order."""
    return [doc for kind, _, doc in terraform_documents(text) if kind == "aws_iam_policy"]


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


# The companion resources of the snippets: resource type -> (document kind, the property that
# names the target, the property that holds the document).
_CLOUDFORMATION_COMPANIONS = {
    "AWS::IAM::Role": ("trust-policy", "RoleName", "AssumeRolePolicyDocument"),
    "AWS::S3::BucketPolicy": ("bucket-policy", "Bucket", "PolicyDocument"),
    "AWS::KMS::Key": ("key-policy", "Description", "KeyPolicy"),
    "AWS::SNS::TopicPolicy": ("sns-topic-policy", "Topics", "PolicyDocument"),
}
_TERRAFORM_COMPANIONS = {
    "aws_iam_role": ("trust-policy", "name"),
    "aws_s3_bucket_policy": ("bucket-policy", "bucket"),
    "aws_kms_key_policy": ("key-policy", "key_id"),
    "aws_sns_topic_policy": ("sns-topic-policy", "arn"),
}


def companion_target(kind: str, target: str) -> str:
    """A target as the snippets name it: a role by its path and name, the others whole."""
    return target.split(":role", 1)[1] if kind == "trust-policy" else target


def snippet_companions(text: str, chosen: str) -> list[tuple[str, str, dict[str, Any]]]:
    """(kind, target as `companion_target` gives it, document) of each companion resource of a
    snippet, sorted."""
    out = []
    if chosen == "cloudformation":
        for resource in parse_cloudformation(text)["Resources"].values():
            known = _CLOUDFORMATION_COMPANIONS.get(resource["Type"])
            if known is None:
                continue
            kind, named, held = known
            properties = resource["Properties"]
            target = properties[named]
            if kind == "trust-policy":
                target = properties["Path"] + target
            elif isinstance(target, list):
                (target,) = target
            out.append((kind, target, properties[held]))
        return sorted(out, key=lambda c: (c[0], c[1]))
    for rtype, name, document in terraform_documents(text):
        if rtype not in _TERRAFORM_COMPANIONS:
            continue
        kind, named = _TERRAFORM_COMPANIONS[rtype]
        body = terraform_blocks(text, rtype)[name]
        target = _hcl_value(body[named])
        if kind == "trust-policy":
            target = _hcl_value(body["path"]) + target
        out.append((kind, target, document))
    return sorted(out, key=lambda c: (c[0], c[1]))


def _hcl_value(value: str) -> str:
    """A string as python-hcl2 reads it (in its quotes) without them."""
    unquoted: str = json.loads(value) if value.startswith('"') else value
    return unquoted


def answer_companions(answer: Mapping[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """The companion documents of a compute answer that its snippets give as resources, as
    `snippet_companions` reads them."""
    out = [
        (d["kind"], companion_target(d["kind"], d["target"]), d["policy"])
        for d in answer["companions"]["documents"]
        if renderable(DocumentKind(d["kind"]), d["target"])
    ]
    return sorted(out, key=lambda c: (c[0], c[1]))
