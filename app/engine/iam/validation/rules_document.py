"""Document-level rules: parse issues, Version, Id, Sid, characters, size (§1.1, §1.2, §1.6)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from app.engine.findings import Finding, finding
from app.engine.iam.errors import IssueCode
from app.engine.iam.policy.quotas import (
    BUCKET_POLICY_QUOTA,
    KEY_POLICY_QUOTA,
    MANAGED_POLICY_QUOTA,
    ROLE_INLINE_QUOTA,
    TRUST_POLICY_QUOTA,
)
from app.engine.iam.policy.serialize import canonical_json
from app.engine.iam.validation.view import RESOURCE_POLICY_TYPES, PolicyContext, PolicyType
from app.engine.json_pointer import pointer_join

VALID_VERSIONS = ("2012-10-17", "2008-10-17")
NEAR_QUOTA_SHARE = 0.95
_SID = re.compile(r"[A-Za-z0-9]+")
# IAM's Sid is ASCII letters and digits ("The Sid element supports ASCII uppercase letters (A-Z),
# lowercase letters (a-z), and numbers (0-9)", IAM User Guide, "IAM JSON policy elements: Sid",
# which leaves other services' policies to their own documentation). That rule binds the
# documents IAM stores: identity policies and a role's trust policy. KMS and S3 store key and
# bucket policies themselves and accept more: the default key policy KMS writes names its first
# statement "Enable IAM User Permissions" (AWS KMS Developer Guide, "Default key policy"), and
# the S3 User Guide's "Bucket policy examples" restrict a referer with the Sid "Allow get
# requests originating from www.example.com and example.com.".
_ALPHANUMERIC_SID_POLICY_TYPES: frozenset[PolicyType] = frozenset({"managed", "inline", "trust"})
_ALLOWED_CHARS = re.compile(r"[^\t\n\r\u0020-\u00ff]")

_ISSUE_CODES: Mapping[IssueCode, str] = {
    IssueCode.DUPLICATE_KEY: "DUPLICATE_KEY",
    IssueCode.WRONG_TYPE: "WRONG_TYPE",
    IssueCode.UNKNOWN_ELEMENT: "UNKNOWN_ELEMENT",
    IssueCode.EMPTY_STATEMENT: "EMPTY_STATEMENT",
    IssueCode.STATEMENT_NOT_OBJECT: "STATEMENT_NOT_OBJECT",
    IssueCode.MISSING_EFFECT: "MISSING_EFFECT",
    IssueCode.MISSING_ACTION: "MISSING_ACTION",
    IssueCode.ACTION_AND_NOT_ACTION: "ACTION_AND_NOT_ACTION",
    IssueCode.MISSING_RESOURCE: "MISSING_RESOURCE",
    IssueCode.RESOURCE_AND_NOT_RESOURCE: "RESOURCE_AND_NOT_RESOURCE",
    IssueCode.EMPTY_ARRAY: "EMPTY_ARRAY",
    IssueCode.EMPTY_CONDITION_BLOCK: "EMPTY_CONDITION_BLOCK",
    IssueCode.PRINCIPAL_PRESENT: "PRINCIPAL_PRESENT",
}


@dataclass(frozen=True)
class PolicySize:
    """Characters IAM counts (white space excluded), per document and in total."""

    documents: tuple[int, ...]
    total: int
    policy_type: PolicyType
    quota: int

    @property
    def fits(self) -> bool:
        if self.policy_type == "inline":
            return self.total <= self.quota
        return all(n <= self.quota for n in self.documents)


_QUOTAS: Mapping[str, int] = {
    "managed": MANAGED_POLICY_QUOTA,
    "inline": ROLE_INLINE_QUOTA,
    "trust": TRUST_POLICY_QUOTA,
    "bucket": BUCKET_POLICY_QUOTA,
    "key": KEY_POLICY_QUOTA,
}
# What one document is, in the size findings' messages.
_ONE_DOCUMENT = {
    "managed": "managed policy",
    "trust": "trust policy",
    "bucket": "bucket policy",
    "key": "key policy",
}


def quota_for(policy_type: PolicyType) -> int:
    return _QUOTAS[policy_type]


def compact_text(ctx: PolicyContext, index: int) -> str:
    """A document as compact JSON, as submitted (the IR's form if it is not serialisable)."""
    try:
        return json.dumps(ctx.documents[index].raw, separators=(",", ":"), ensure_ascii=False)
    except (TypeError, ValueError):
        return canonical_json(ctx.parsed.documents[index])


def characters_counted(text: str) -> int:
    """Characters IAM counts: white space excluded (as serialize.policy_size counts)."""
    return len("".join(text.split()))


def measure_size(ctx: PolicyContext) -> PolicySize:
    sizes = [characters_counted(compact_text(ctx, i)) for i in range(len(ctx.documents))]
    return PolicySize(tuple(sizes), sum(sizes), ctx.policy_type, quota_for(ctx.policy_type))


def _in_condition(ctx: PolicyContext, pointer: str) -> bool:
    return any(pointer.startswith(s.element_pointer("Condition") + "/") for s in ctx.statements)


def parse_issues(ctx: PolicyContext) -> Iterator[Finding]:
    """Every structural problem the parser kept, as a finding at its pointer."""
    for issue in ctx.parsed.issues:
        if _allowed_here(ctx, issue.code):
            continue
        if issue.code is IssueCode.EMPTY_ARRAY and _in_condition(ctx, issue.pointer):
            yield finding(
                "CONDITION_NEVER_MATCHES",
                "the condition key has an empty value list: a positive operator never matches "
                "it, a negated one always does",
                issue.pointer,
            )
            continue
        yield finding(_ISSUE_CODES.get(issue.code, "WRONG_TYPE"), issue.message, issue.pointer)


def _allowed_here(ctx: PolicyContext, code: IssueCode) -> bool:
    """What the parser (which reads identity policies) calls wrong that a resource policy has:
    a Principal, and in a trust policy no Resource (principals.py checks both)."""
    if ctx.policy_type not in RESOURCE_POLICY_TYPES:
        return False
    return code is IssueCode.PRINCIPAL_PRESENT or (
        code is IssueCode.MISSING_RESOURCE and ctx.policy_type == "trust"
    )


def version(ctx: PolicyContext) -> Iterator[Finding]:
    managed = ctx.policy_type == "managed"
    for doc in ctx.documents:
        where = pointer_join(doc.pointer, "Version")
        raw = doc.raw.get("Version")
        if "Version" in doc.raw and not isinstance(raw, str):
            continue  # WRONG_TYPE already
        if raw is None:
            if managed:
                yield finding(
                    "MISSING_VERSION",
                    'a managed policy must have "Version": "2012-10-17" (IAM rejects it: '
                    '"Policy document must be version 2012-10-17 or greater")',
                    doc.pointer,
                )
            else:
                yield finding(
                    "NO_VERSION",
                    "the policy has no Version, so policy variables are read literally; "
                    'add "Version": "2012-10-17"',
                    doc.pointer,
                )
        elif raw not in VALID_VERSIONS:
            yield finding(
                "INVALID_VERSION",
                f'Version `{raw}` is not valid; use "2012-10-17"',
                where,
                suggestions=["2012-10-17"],
            )
        elif raw == "2008-10-17":
            if managed:
                yield finding(
                    "OLD_VERSION_IN_MANAGED",
                    'a managed policy must be version 2012-10-17; IAM rejects "2008-10-17"',
                    where,
                    suggestions=["2012-10-17"],
                )
            else:
                yield finding(
                    "OLD_VERSION",
                    'Version "2008-10-17" reads policy variables literally; use "2012-10-17"',
                    where,
                    suggestions=["2012-10-17"],
                )


def policy_id(ctx: PolicyContext) -> Iterator[Finding]:
    for doc in ctx.documents:
        if "Id" in doc.raw:
            yield finding(
                "ID_PRESENT",
                "Id must not be included in identity-based policies; IAM ignores it here",
                pointer_join(doc.pointer, "Id"),
            )


def sid(ctx: PolicyContext) -> Iterator[Finding]:
    alphanumeric = ctx.policy_type in _ALPHANUMERIC_SID_POLICY_TYPES
    for doc in ctx.documents:
        seen: dict[str, str] = {}
        for stmt in doc.statements:
            value = stmt.ir.sid
            if value is None:
                continue
            where = stmt.element_pointer("Sid")
            if value == "":
                yield finding(
                    "EMPTY_SID", "the Sid is empty; remove it or name the statement", where
                )
                continue
            if alphanumeric and not _SID.fullmatch(value):
                cleaned = re.sub(r"[^A-Za-z0-9]", "", value)
                yield finding(
                    "INVALID_SID",
                    f"Sid `{value}` may use only A-Z, a-z and 0-9",
                    where,
                    suggestions=[cleaned] if cleaned else None,
                )
            if value in seen:
                yield finding(
                    "DUPLICATE_SID",
                    f"Sid `{value}` is also used at {seen[value]}; Sids must be unique in a policy",
                    where,
                    first=seen[value],
                )
            else:
                seen[value] = where


def _strings(node: Any, pointer: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, str):
        yield node, pointer
    elif isinstance(node, Mapping):
        for key, value in node.items():
            child = pointer_join(pointer, str(key))
            yield str(key), child
            yield from _strings(value, child)
    elif isinstance(node, list | tuple):
        for i, value in enumerate(node):
            yield from _strings(value, pointer_join(pointer, i))


def characters(ctx: PolicyContext) -> Iterator[Finding]:
    for i, doc in enumerate(ctx.documents):
        if not _ALLOWED_CHARS.search(compact_text(ctx, i)):
            continue
        for text, where in _strings(doc.raw, doc.pointer):
            bad = sorted(set(_ALLOWED_CHARS.findall(text)))
            if bad:
                listed = ", ".join(f"U+{ord(ch):04X}" for ch in bad)
                yield finding(
                    "INVALID_CHARACTER",
                    f"IAM accepts only tab, LF, CR and U+0020-U+00FF; this text has {listed}",
                    where,
                    characters=[f"U+{ord(ch):04X}" for ch in bad],
                )


def size(ctx: PolicyContext) -> Iterator[Finding]:
    measured = measure_size(ctx)
    quota = measured.quota
    if ctx.policy_type == "inline":
        checks = [(measured.total, ctx.pointer, "role's inline policies together use")]
    else:
        checks = [
            (n, doc.pointer, f"{_ONE_DOCUMENT[ctx.policy_type]} uses")
            for n, doc in zip(measured.documents, ctx.documents, strict=True)
        ]
    for used, where, what in checks:
        detail = {"characters": used, "quota": quota, "policy_type": ctx.policy_type}
        if used > quota:
            yield finding(
                "POLICY_SIZE_EXCEEDED",
                f"the {what} {used:,} characters (white space excluded), over the "
                f"{quota:,} allowed; IAM rejects it with LimitExceeded",
                where,
                **detail,
            )
        elif used > quota * NEAR_QUOTA_SHARE:
            yield finding(
                "POLICY_SIZE_NEAR_QUOTA",
                f"the {what} {used:,} of {quota:,} characters (white space excluded), "
                f"{used / quota:.0%} of the quota",
                where,
                **detail,
            )
