"""Grammar rules IAM itself enforces: Effect, action names, resource ARNs (§1.2, §1.4, §1.5)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from app.engine.findings import Finding, finding
from app.engine.iam.conditions.values import TemplateError, parse_template
from app.engine.iam.patterns.glob import glob_intersects, glob_match
from app.engine.iam.validation.view import Entry, PolicyContext, StatementView

PARTITIONS = frozenset(
    {"aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc"}
)
IAM_PATH_PREFIXES = (
    "user/",
    "federated-user/",
    "role/",
    "group/",
    "instance-profile/",
    "mfa/",
    "server-certificate/",
    "policy/",
    "sms-mfa/",
    "saml-provider/",
    "oidc-provider/",
    "report/",
    "access-report/",
)
_VENDOR = re.compile(r"[A-Za-z0-9.\-]+")


@dataclass(frozen=True, slots=True)
class ActionName:
    """An action entry split as IAM reads it; `problem` says why it is not `svc:action`."""

    service: str
    name: str
    problem: str | None


@lru_cache(maxsize=16384)
def split_action(text: str) -> ActionName:
    if text == "*":
        return ActionName("*", "*", None)
    if ":" not in text:
        return ActionName("", text, "has no service prefix (`service:action`)")
    if text.count(":") > 1:
        return ActionName("", text, "has more than one colon")
    service, _, name = text.partition(":")
    if not service or not name:
        return ActionName(service, name, "needs both a service prefix and an action name")
    wild = "*" in service or "?" in service
    if not wild and not _VENDOR.fullmatch(service):
        return ActionName(service, name, "has characters a service prefix cannot have")
    return ActionName(service, name, None)


def action_matches(pattern: str, action: str) -> bool:
    """Does an action pattern match a concrete action name (case-insensitively)?"""
    if "*" not in pattern and "?" not in pattern:
        return pattern.lower() == action.lower()
    return glob_match(pattern, action, ignore_case=True, variables=False)


def has_service_wildcard(action: ActionName) -> bool:
    return "*" in action.service or "?" in action.service


def effect(ctx: PolicyContext) -> Iterator[Finding]:
    for stmt in ctx.statements:
        value = stmt.ir.effect
        if value is None or value in ("Allow", "Deny"):
            continue
        fixed = {"allow": "Allow", "deny": "Deny"}.get(value.strip().lower())
        hint = f"; did you mean `{fixed}`? (Effect is case-sensitive)" if fixed else ""
        yield finding(
            "INVALID_EFFECT",
            f"Effect must be exactly `Allow` or `Deny`, not `{value}`{hint}",
            stmt.element_pointer("Effect"),
            suggestions=[fixed] if fixed else None,
        )


def action_format(ctx: PolicyContext) -> Iterator[Finding]:
    for stmt in ctx.statements:
        for entry in stmt.actions:
            action = split_action(entry.value)
            if action.problem is not None:
                yield finding(
                    "INVALID_ACTION_FORMAT",
                    f"action `{entry.value}` {action.problem}",
                    entry.pointer,
                )
            elif action.service == "*" and action.name != "*":
                yield finding(
                    "WILDCARD_IN_SERVICE_NAME",
                    f"`{entry.value}` matches actions of every service, including future ones; "
                    "name the services",
                    entry.pointer,
                )
            elif has_service_wildcard(action) and action.service != "*":
                yield finding(
                    "SERVICE_PREFIX_WILDCARD",
                    f"`{entry.value}` has a wildcard in its service prefix; IAM accepts only a "
                    "bare `*` there",
                    entry.pointer,
                )


def _arn_parts(text: str) -> list[str] | None:
    parts = text.split(":", 5)
    return parts if len(parts) == 6 and parts[0] == "arn" else None


def _template_problem(text: str) -> str | None:
    try:
        parse_template(text, variables=True)
    except TemplateError as exc:
        return str(exc)
    return None


def _iam_path_ok(resource: str) -> bool:
    if resource == "*" or resource.startswith(IAM_PATH_PREFIXES):
        return True
    head = resource.split("/", 1)[0]
    if "*" in head or "?" in head or "$" in head:
        return any(glob_intersects(resource, p + "*", variables=True) for p in IAM_PATH_PREFIXES)
    return False


def _resource_findings(stmt: StatementView, entry: Entry) -> Iterator[Finding]:
    text = entry.value
    if stmt.policy_variables:
        problem = _template_problem(text)
        if problem is not None:
            yield finding("MALFORMED_VARIABLE", f"`{text}`: {problem}", entry.pointer, value=text)
    elif "${" in text:
        yield finding(
            "VARIABLE_IN_OLD_VERSION",
            f"`{text}` looks like it uses a policy variable, but without "
            '"Version": "2012-10-17" it is read literally',
            entry.pointer,
        )
    if text == "*":
        return
    parts = _arn_parts(text)
    if parts is None or not parts[1] or not parts[2] or not parts[5]:
        yield finding(
            "INVALID_RESOURCE",
            f'resource `{text}` must be "*" or an ARN '
            "(arn:partition:service:region:account:resource)",
            entry.pointer,
        )
        return
    _, partition, service, region, _, resource = parts
    if not any(ch in partition for ch in "*?$") and partition not in PARTITIONS:
        yield finding(
            "INVALID_ARN_PARTITION",
            f"`{partition}` in `{text}` is not an AWS partition",
            entry.pointer,
            partitions=sorted(PARTITIONS),
        )
    if any(ch in service for ch in "*?$"):
        yield finding(
            "RESOURCE_SERVICE_WILDCARD",
            f"the service segment of `{text}` must be fully qualified; wildcards and variables "
            "are not allowed there",
            entry.pointer,
        )
        return
    if service != service.lower():
        fixed = ":".join([*parts[:2], service.lower(), *parts[3:]])
        yield finding(
            "RESOURCE_SERVICE_CASE",
            f"the service segment `{service}` of `{text}` must be lower case; did you mean "
            f"`{fixed}`?",
            entry.pointer,
            suggestions=[fixed],
        )
    if service.lower() == "iam":
        if region:
            yield finding(
                "IAM_ARN_REGION",
                f"IAM ARNs have no Region; remove `{region}` from `{text}`",
                entry.pointer,
            )
        if not _iam_path_ok(resource):
            yield finding(
                "IAM_ARN_PATH",
                f"the IAM resource `{resource}` must be `*` or start with "
                + ", ".join(IAM_PATH_PREFIXES),
                entry.pointer,
            )


def resource_format(ctx: PolicyContext) -> Iterator[Finding]:
    for stmt in ctx.statements:
        for entry in stmt.resources:
            yield from _resource_findings(stmt, entry)
