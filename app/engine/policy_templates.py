"""A policy as deployable text: a CloudFormation snippet or a Terraform configuration.

Both carry the findings of the answer they come from as comments at the top (type, code, path,
message), and attach each policy document to the service roles the pipelines name: by name, by
the template resource that declares the role (when the pipeline came from a template of the same
kind), or, when the role is not known, through a parameter (CloudFormation) or variable
(Terraform) left for the user to fill. The companion documents the pipelines need (trust, bucket,
key and topic policies) follow it, as app/engine/companion_templates.py renders them. A policy
with an ERROR finding is not rendered at all: `UndeployableError` carries the findings instead,
so no caller can hand out a deployable-looking snippet that hides one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import yaml

from app.engine.companion_templates import cloudformation_companions, terraform_companions
from app.engine.companions.documents import CompanionDocument
from app.engine.errors import EngineError
from app.engine.findings import Finding, FindingType
from app.engine.hcl_text import hcl_document, hcl_string, terraform_name
from app.engine.pipeline.roles import ServiceRole

DEFAULT_NAME = "PipelineServiceRolePolicy"
ROLE_PARAMETER = "PipelineServiceRoleName"  # CloudFormation, when the role is not known
ROLE_VARIABLE = "pipeline_service_role_name"  # Terraform, likewise

_NAME = re.compile(r"[^A-Za-z0-9]")


class UndeployableError(EngineError):
    """The policy has ERROR findings: it is not given as deployable text."""

    def __init__(self, findings: Sequence[Finding]) -> None:
        errors = [f for f in findings if f.finding_type is FindingType.ERROR]
        super().__init__(
            f"{len(errors)} ERROR finding(s) stand against this policy; it is not given as a "
            "deployable snippet until they are resolved (the findings say where)",
            errors[0].path if errors else "",
        )
        self.findings = tuple(findings)
        self.errors = tuple(errors)


def _refuse_errors(findings: Sequence[Finding]) -> None:
    if any(f.finding_type is FindingType.ERROR for f in findings):
        raise UndeployableError(findings)


def _one_line(text: str) -> str:
    """`text` fit for one comment line: line breaks and other invisible characters escaped, so
    nothing in a finding (which may quote the request) ends the comment."""
    return "".join(
        c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text
    )


def _role_label(role: ServiceRole) -> str:
    if role.resource is not None and role.name is not None:
        return f"`{role.name}` ({role.resource.format} resource `{role.resource.address}`)"
    if role.resource is not None:
        return f"{role.resource.format} resource `{role.resource.address}`"
    return f"`{role.name}`"


def _unknown_role(role: ServiceRole) -> str:
    if role.resource is not None:  # of the other template language, its name not set there
        return f"{_role_label(role)}, whose name the {role.resource.format} source does not set"
    return "not known from the definition"


def _header(
    findings: Sequence[Finding],
    roles: Sequence[ServiceRole],
    attached: Sequence[str],
    unknown_note: str | None,
    companion_notes: Sequence[str] = (),
) -> str:
    lines = [f"Findings: {len(findings)}" if findings else "Findings: none"]
    for f in findings:
        where = f" (line {f.line})" if f.line is not None else ""
        lines.append(f"  {f.finding_type.value} {f.code} at {f.path or '/'}{where}: {f.message}")
    for role, how in zip(roles, attached, strict=True):
        users = ", ".join(role.pipelines)
        lines.append(f"Service role of {users}: {how}")
    if unknown_note:
        lines.append(unknown_note)
    lines.extend(companion_notes)
    return "".join(f"# {_one_line(line)}\n" for line in lines)


def _logical_id(name: str, index: int, count: int) -> str:
    base = _NAME.sub("", name) or DEFAULT_NAME
    return base if count == 1 else f"{base}Part{index + 1}"


def to_cloudformation(
    documents: Sequence[Mapping[str, Any]],
    findings: Sequence[Finding],
    roles: Sequence[ServiceRole],
    *,
    name: str = DEFAULT_NAME,
    companions: Sequence[CompanionDocument] = (),
) -> str:
    """A template of `AWS::IAM::ManagedPolicy` resources (one per document), each attached to
    every role in `roles`: by name, by `Ref` to a role resource of the CloudFormation template
    the pipeline came from, else by `Ref` to a parameter that asks for the role's name."""
    _refuse_errors(findings)
    targets: list[Any] = []
    attached: list[str] = []
    unknown = not roles
    for role in roles:
        if role.resource is not None and role.resource.format == "cloudformation":
            targets.append({"Ref": role.resource.address})
            attached.append(f"attached by Ref to {_role_label(role)} (merge into its template)")
        elif role.name is not None:
            targets.append(role.name)
            attached.append(f"attached to role {_role_label(role)}")
        else:
            unknown = True
            attached.append(f"{_unknown_role(role)}; attached to parameter {ROLE_PARAMETER}")
    template: dict[str, Any] = {"AWSTemplateFormatVersion": "2010-09-09"}
    if unknown:
        targets.append({"Ref": ROLE_PARAMETER})
        template["Parameters"] = {
            ROLE_PARAMETER: {
                "Type": "String",
                "Description": "Name of the service role to attach the policy to (the "
                "pipeline definitions do not tell it)",
            }
        }
    count = len(documents)
    template["Resources"] = {
        _logical_id(name, i, count): {
            "Type": "AWS::IAM::ManagedPolicy",
            "Properties": {
                "Description": f"{name} ({i + 1} of {count})" if count > 1 else name,
                "Roles": targets,
                "PolicyDocument": dict(doc),
            },
        }
        for i, doc in enumerate(documents)
    }
    extra = cloudformation_companions(companions, set(template["Resources"]))
    template["Resources"].update(extra.resources)
    note = (
        f"The role is not known: give its name in parameter {ROLE_PARAMETER}" if unknown else None
    )
    header = _header(findings, roles, attached, note, extra.notes)
    return header + yaml.safe_dump(template, sort_keys=False, width=1000)


def to_terraform(
    documents: Sequence[Mapping[str, Any]],
    findings: Sequence[Finding],
    roles: Sequence[ServiceRole],
    *,
    name: str = DEFAULT_NAME,
    companions: Sequence[CompanionDocument] = (),
) -> str:
    """`aws_iam_policy` resources (the document in `jsonencode(...)`), each attached to every
    role in `roles` by an `aws_iam_role_policy_attachment`: by name, by reference to an
    `aws_iam_role` of the Terraform file the pipeline came from, else through a variable that
    asks for the role's name."""
    _refuse_errors(findings)
    targets: list[tuple[str, str]] = []  # (what names the role, in HCL; a resource label)
    attached: list[str] = []
    unknown = not roles
    for role in roles:
        if role.resource is not None and role.resource.format == "terraform":
            targets.append((f"{role.resource.address}.name", role.resource.address))
            attached.append(f"attached by reference to {_role_label(role)}")
        elif role.name is not None:
            targets.append((hcl_string(role.name), role.name))
            attached.append(f"attached to role {_role_label(role)}")
        else:
            unknown = True
            attached.append(f"{_unknown_role(role)}; attached to var.{ROLE_VARIABLE}")
    blocks: list[str] = []
    if unknown:
        targets.append((f"var.{ROLE_VARIABLE}", ROLE_VARIABLE))
        blocks.append(
            f'variable "{ROLE_VARIABLE}" {{\n'
            "  type        = string\n"
            '  description = "Name of the service role to attach the policy to (the pipeline '
            'definitions do not tell it)"\n'
            "}\n"
        )
    policy_slug = terraform_name(name) or "pipeline_service_role"
    used: set[str] = set()
    for i, doc in enumerate(documents):
        suffix = "" if len(documents) == 1 else f"_part{i + 1}"
        policy = f"{policy_slug}{suffix}"
        indented = hcl_document(doc)
        blocks.append(
            f'resource "aws_iam_policy" "{policy}" {{\n'
            f"  name   = {hcl_string(name + suffix.replace('_', '-'))}\n"
            f"  policy = jsonencode({indented})\n"
            "}\n"
        )
        for expression, label in targets:
            attachment = f"{policy}_{terraform_name(label)}"
            while attachment in used:
                attachment += "_"
            used.add(attachment)
            blocks.append(
                f'resource "aws_iam_role_policy_attachment" "{attachment}" {{\n'
                f"  role       = {expression}\n"
                f"  policy_arn = aws_iam_policy.{policy}.arn\n"
                "}\n"
            )
    extra = terraform_companions(companions, set())
    blocks.extend(extra.blocks)
    note = f"The role is not known: give its name in variable {ROLE_VARIABLE}" if unknown else None
    return _header(findings, roles, attached, note, extra.notes) + "\n" + "\n".join(blocks)
