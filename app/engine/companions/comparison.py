"""A role's trust policy, or a bucket's or key's policy, as it stands against the companion
document the pipelines need: for each statement and principal they need, whether the current
document grants it (the role-policy diff's coverage, over the current statements that name the
principal), and which of its Allow statements grant nothing the pipelines need.

A statement the pipelines need with Effect Deny (the artifact bucket's refusal of unencrypted
uploads, say) is held when a current Deny of the same shape refuses at least as much: it is
checked as the coverage of an Allow by the current Deny statements.

A statement they need with Effect Allow is checked against every current statement that names
the principal, its Deny statements included, as the diff checks an identity policy: a Deny that
applies for sure makes the statement missing (explicitly denied), one that may apply makes it
conditional. The requests are those the pipelines make, with the keys they carry (over TLS; an
artifact upload encrypted with the store's key), so the walkthrough's own refusals of other
requests do not apply to them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

from app.engine.budget import WorkBudget
from app.engine.companions.documents import (
    CompanionDocument,
    CompanionReason,
    CompanionStatement,
    DocumentKind,
    PrincipalKind,
)
from app.engine.iam.analysis.coverage import Coverage, PolicyStatement, check_requirement
from app.engine.iam.catalog import Catalog
from app.engine.iam.patterns.arn import ArnMode
from app.engine.iam.policy.parse import decode_document
from app.engine.iam.policy.view import PolicyView, read_policy
from app.engine.pipeline.model import ActionTypeKey
from app.engine.pipeline_requests import sent_facts
from app.engine.profiles import Impact, ProfileSet
from app.engine.requirements import requirements_from_statement

ComparisonVerdict = Literal["sufficient", "insufficient", "conditional", "not_required"]
# The profiles whose statements hold what CodePipeline itself needs (assuming action roles,
# the artifact store): their impacts stand for the pipeline-level companion statements.
PIPELINE_PROFILES = (
    ActionTypeKey("Pipeline", "AWS", "ActionRole", "1"),
    ActionTypeKey("Pipeline", "AWS", "ArtifactStore", "1"),
)
_ACCOUNT_OF = re.compile(r"^arn:(aws[a-z-]*):(?:iam|sts)::(\d{12}):")
# The worst outcome first: what a gap is reported as when its requirements fare differently.
_WORST_FIRST = (Coverage.DENIED, Coverage.NOT_GRANTED, Coverage.CONDITIONAL)


@dataclass(frozen=True)
class CompanionGap:
    """A statement the pipelines need, for one of its principals, that the current document
    does not grant (or denies, or grants only under conditions)."""

    coverage: Coverage
    sid: str
    effect: str
    principal_kind: PrincipalKind
    principal: str | None  # None for `*`
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    condition: Mapping[str, Mapping[str, str]] | None
    reasons: tuple[CompanionReason, ...]
    impact: Impact | None


@dataclass(frozen=True)
class UnneededStatement:
    """A current Allow statement that grants nothing the pipelines need."""

    sid: str | None
    pointer: str


@dataclass(frozen=True)
class CompanionComparison:
    kind: DocumentKind
    target: str
    pointer: str  # of the current document in the request
    missing: tuple[CompanionGap, ...]
    conditional: tuple[CompanionGap, ...]
    unneeded: tuple[UnneededStatement, ...]
    required: bool  # whether the pipelines need any statement of this document

    @property
    def verdict(self) -> ComparisonVerdict:
        if not self.required:
            return "not_required"
        if self.missing:
            return "insufficient"
        if self.conditional:
            return "conditional"
        return "sufficient"


def _listed(value: object) -> list[object]:
    return value if isinstance(value, list) else [value]


def _names_principal(given: object, kind: PrincipalKind, name: str | None) -> bool:
    """Whether a Principal element as written names the principal: `*` names everyone; an
    account (or its root) names every role of it, as a resource policy delegates to the
    account's own policies."""
    if given == "*":
        return True
    if not isinstance(given, Mapping):
        return False
    if kind is PrincipalKind.EVERYONE:
        return "*" in _listed(given.get("AWS"))
    listed = _listed(given.get(kind.value))
    if name in listed or (kind is PrincipalKind.AWS and "*" in listed):
        return True
    arn = _ACCOUNT_OF.match(name or "")
    if kind is not PrincipalKind.AWS or arn is None:
        return False
    partition, account = arn[1], arn[2]
    return account in listed or f"arn:{partition}:iam::{account}:root" in listed


def _applies(raw: Mapping[str, Any], kind: PrincipalKind, name: str | None) -> bool:
    if "Principal" in raw:
        return _names_principal(raw["Principal"], kind, name)
    if "NotPrincipal" in raw:
        return not _names_principal(raw["NotPrincipal"], kind, name)
    return False


def _raw_statements(document: Any, pointer: str) -> list[Any]:
    """The statements as written (the policy IR keeps no Principal), in the IR's numbering."""
    written = decode_document(document, pointer).get("Statement")
    return written if isinstance(written, list) else [written]


def _statements_for(
    view: PolicyView, raws: list[Any], kind: PrincipalKind, name: str | None, trust: bool
) -> list[PolicyStatement]:
    """The current statements that apply to the principal; a trust policy's statements, which
    have no Resource, apply to the role itself."""
    out = []
    for stmt in view.statements:
        raw = raws[stmt.stmt_index]
        if not isinstance(raw, Mapping) or not _applies(raw, kind, name):
            continue
        out.append(replace(stmt, resources=("*",)) if trust and not stmt.resources else stmt)
    return out


def _impact(statement: CompanionStatement, profiles: ProfileSet | None) -> Impact | None:
    """The documented effect of leaving the statement out: the impact of a profile statement
    (of the action type that needs it, else of CodePipeline's own) that names its actions."""
    if profiles is None:
        return None
    wanted = {a.lower() for a in statement.actions}
    keys = [r.action_type for r in statement.reasons if r.action_type is not None]
    for key in [*keys, *PIPELINE_PROFILES]:
        profile = profiles.get(key)
        for template in profile.statements if profile is not None else ():
            if template.impact is not None and template.action_set & wanted:
                return template.impact
    return None


def compare_companion(
    required: CompanionDocument | None,
    current: Any,
    *,
    kind: DocumentKind,
    target: str,
    pointer: str,
    catalog: Catalog,
    profiles: ProfileSet | None = None,
    mode: ArnMode = "segment",
    budget: WorkBudget | None = None,
) -> CompanionComparison:
    """`current` (one policy document, at `pointer` in the request) against `required` (None:
    the pipelines need nothing of it); each (action, resource) checked is a step of `budget`."""
    budget = budget or WorkBudget()
    view = read_policy(current, pointer=pointer)
    raws = _raw_statements(current, pointer)
    trust = kind is DocumentKind.TRUST_POLICY
    missing: list[CompanionGap] = []
    conditional: list[CompanionGap] = []
    useful: set[tuple[int, int]] = set()
    for statement in required.statements if required is not None else ():
        refusal = statement.effect == "Deny"
        resources = statement.resources or (target,)
        requirements = requirements_from_statement(
            statement.actions, resources, statement.condition, catalog, budget=budget, at=pointer
        )
        for name in statement.principals or (None,):
            applying = _statements_for(view, raws, statement.principal_kind, name, trust)
            if refusal:  # held by a Deny refusing at least as much
                applying = [replace(s, effect="Allow") for s in applying if s.effect == "Deny"]
            outcomes: set[Coverage] = set()
            for requirement in requirements:
                facts = requirement.facts
                if not refusal:  # the request as the pipelines make it
                    facts = {**sent_facts(requirement.action, statement.sse_kms_key), **facts}
                result = check_requirement(
                    requirement.action,
                    requirement.resource,
                    facts,
                    applying,
                    mode=mode,
                    budget=budget,
                )
                useful.update((s.doc_index, s.stmt_index) for s in result.granting)
                outcomes.add(result.coverage)
            worst = next((c for c in _WORST_FIRST if c in outcomes), None)
            if worst is None:
                continue
            gap = CompanionGap(
                coverage=worst,
                sid=statement.sid,
                effect=statement.effect,
                principal_kind=statement.principal_kind,
                principal=name,
                actions=statement.actions,
                resources=statement.resources,
                condition=statement.condition,
                reasons=statement.reasons,
                impact=_impact(statement, profiles),
            )
            (conditional if worst is Coverage.CONDITIONAL else missing).append(gap)
    unneeded = tuple(
        UnneededStatement(s.sid, s.pointer)
        for s in view.statements
        if s.effect == "Allow" and (s.doc_index, s.stmt_index) not in useful
    )
    return CompanionComparison(
        kind=kind,
        target=target,
        pointer=pointer,
        missing=tuple(missing),
        conditional=tuple(conditional),
        unneeded=unneeded,
        required=required is not None and bool(required.statements),
    )
