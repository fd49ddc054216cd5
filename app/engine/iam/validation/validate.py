"""Validate IAM identity policies: the checklist of iam-semantics.md §6, as a table of rules.

`validate_policy` parses tolerantly, builds a located view of the policy and runs every rule of
`RULES` over it. Each rule is a small pure function of the view that yields findings with a
stable code (registered in app.engine.findings, with its finding type) and a JSON pointer
relative to the caller's `pointer`. Input that is not a policy at all becomes one ERROR
finding, never an exception.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from app.engine.budget import WorkBudget
from app.engine.findings import Finding, FindingType, finding
from app.engine.iam.catalog import Catalog
from app.engine.iam.errors import PolicyParseError
from app.engine.iam.policy.documents import read_source
from app.engine.iam.policy.ir import ParsedPolicy
from app.engine.iam.policy.parse import PolicySource
from app.engine.iam.validation.baseline import baseline_finding, recognise_baseline
from app.engine.iam.validation.rules_catalog import (
    resource_mismatch,
    resource_star,
    unknown_actions,
)
from app.engine.iam.validation.rules_condition_keys import (
    keys_not_for_actions,
    unknown_condition_keys,
)
from app.engine.iam.validation.rules_conditions import (
    duplicate_key_case,
    operators,
    set_qualifiers,
    type_mismatch,
    values,
)
from app.engine.iam.validation.rules_document import (
    PolicySize,
    characters,
    measure_size,
    parse_issues,
    policy_id,
    quota_for,
    sid,
    size,
    version,
)
from app.engine.iam.validation.rules_grammar import action_format, effect, resource_format
from app.engine.iam.validation.rules_principal import principals
from app.engine.iam.validation.rules_redundancy import (
    redundant_actions,
    redundant_resources,
    redundant_statements,
)
from app.engine.iam.validation.rules_security import (
    all_actions,
    allow_not_action,
    allow_not_resource,
    pass_role,
    privilege_escalation,
    service_wildcards,
)
from app.engine.iam.validation.view import PolicyContext, PolicyType, build_context

__all__ = [
    "RULES",
    "PolicySize",
    "PolicyValidation",
    "Rule",
    "recognise_baseline",
    "validate_policy",
]

Rule = Callable[[PolicyContext], Iterable[Finding]]

# The checklist, in the order of §6. Each rule is independent of the others.
RULES: tuple[tuple[str, Rule], ...] = (
    ("parse_issues", parse_issues),
    ("version", version),
    ("policy_id", policy_id),
    ("sid", sid),
    ("characters", characters),
    ("size", size),
    ("effect", effect),
    ("principals", principals),
    ("action_format", action_format),
    ("unknown_actions", unknown_actions),
    ("resource_format", resource_format),
    ("resource_mismatch", resource_mismatch),
    ("condition_operators", operators),
    ("condition_values", values),
    ("condition_key_case", duplicate_key_case),
    ("condition_types", type_mismatch),
    ("unknown_condition_keys", unknown_condition_keys),
    ("condition_keys_for_actions", keys_not_for_actions),
    ("set_qualifiers", set_qualifiers),
    ("all_actions", all_actions),
    ("service_wildcards", service_wildcards),
    ("allow_not_action", allow_not_action),
    ("allow_not_resource", allow_not_resource),
    ("pass_role", pass_role),
    ("privilege_escalation", privilege_escalation),
    ("resource_star", resource_star),
    ("redundant_actions", redundant_actions),
    ("redundant_resources", redundant_resources),
    ("redundant_statements", redundant_statements),
)


@dataclass(frozen=True)
class PolicyValidation:
    """`valid`: no ERROR finding. `size` counts characters as IAM does (no white space)."""

    findings: tuple[Finding, ...]
    valid: bool
    size: PolicySize
    recognised_baseline: str | None = None
    parsed: ParsedPolicy | None = field(default=None, compare=False, repr=False)


def _no_error(findings: Iterable[Finding]) -> bool:
    return not any(f.finding_type is FindingType.ERROR for f in findings)


def unreadable_finding(error: PolicyParseError) -> Finding:
    """The ERROR of input that is no policy, at its place."""
    message = error.message
    if message.startswith("invalid JSON"):
        code = "INVALID_JSON"
    elif message == "the policy has no Statement":
        code = "MISSING_STATEMENT"
    else:
        code = "NOT_A_POLICY"
    return finding(code, message, error.pointer)


def _unreadable(error: PolicyParseError, policy_type: PolicyType) -> PolicyValidation:
    return PolicyValidation(
        findings=(unreadable_finding(error),),
        valid=False,
        size=PolicySize((), 0, policy_type, quota_for(policy_type)),
    )


def _dedupe_sorted(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    unique: dict[tuple[str, str, str], Finding] = {}
    for f in findings:
        unique.setdefault((f.code, f.path, f.message), f)
    return tuple(sorted(unique.values(), key=Finding.sort_key))


def validate_policy(
    source: PolicySource,
    catalog: Catalog,
    *,
    policy_type: PolicyType = "managed",
    pointer: str = "",
    baselines: Mapping[str, Mapping[str, Any]] | None = None,
    budget: WorkBudget | None = None,
) -> PolicyValidation:
    """Validate one document, a JSON text, or a list of documents (a role's policies, each
    an object or JSON text, read as diff and evaluate read them).

    Managed policies are measured per document against 6,144 characters; inline policies
    together against the role's 10,240. `trust`, `bucket` and `key` validate a role's trust
    policy or a bucket's or key's policy: each statement names a Principal, and a trust
    policy has no Resource. The rules' pairwise checks are charged to `budget`.
    """
    try:
        read = read_source(source, pointer=pointer)
    except PolicyParseError as error:
        return _unreadable(error, policy_type)
    parsed = read.parsed
    ctx = build_context(read, catalog, policy_type=policy_type, budget=budget)
    found: list[Finding] = []
    for _, rule in RULES:
        found.extend(rule(ctx))
    recognised = recognise_baseline(parsed, baselines)
    if recognised is not None and baselines is not None:
        found.append(baseline_finding(recognised, baselines, read.pointer))
    findings = _dedupe_sorted(found)
    return PolicyValidation(
        findings=findings,
        valid=_no_error(findings),
        size=measure_size(ctx),
        recognised_baseline=recognised,
        parsed=parsed,
    )
