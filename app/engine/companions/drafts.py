"""Companion statements as they are found, one per reason, and their merge into documents:
one document per resource, one statement per (statement id, effect, actions, resources,
condition) with the principals and reasons of all its drafts, in a stable order."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from app.engine.companions.documents import (
    CompanionDocument,
    CompanionReason,
    CompanionStatement,
    DocumentKind,
    PrincipalKind,
)
from app.engine.companions.members import Member
from app.engine.pipeline.model import Pipeline
from app.engine.profiles import Citation, Profile

# A condition as (operator, ((key, value), ...)) pairs: hashable, so drafts group by it.
Condition = tuple[tuple[str, tuple[tuple[str, str], ...]], ...]


@dataclass(frozen=True)
class Draft:
    kind: DocumentKind
    target: str
    account: str | None
    region: str | None
    statement: str
    effect: str
    principal_kind: PrincipalKind
    principal: str | None  # None for `*`
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    condition: Condition
    reason: CompanionReason
    sse_kms_key: str | None = None  # the key the uploads it allows are encrypted with


def member_reason(
    member: Member,
    statement: str,
    text: str,
    citation: Citation,
    *,
    inferred: bool,
    profile: Profile | None = None,
) -> CompanionReason:
    return CompanionReason(
        pipeline=member.pipeline.name,
        stage=member.stage.name,
        action=member.action.name if member.action is not None else None,
        rule=member.rule.name if member.rule is not None else None,
        statement=statement,
        reason=text,
        citation=citation,
        inferred=inferred,
        pointer=member.pointer,
        action_type=profile.key if profile is not None else None,
        profile_revision=profile.revision if profile is not None else None,
    )


def pipeline_reason(
    pipeline: Pipeline, statement: str, text: str, citation: Citation, *, inferred: bool
) -> CompanionReason:
    return CompanionReason(
        pipeline=pipeline.name,
        stage=None,
        action=None,
        statement=statement,
        reason=text,
        citation=citation,
        inferred=inferred,
        pointer=pipeline.pointer,
    )


_StatementKey = tuple[
    str, str, PrincipalKind, tuple[str, ...], tuple[str, ...], Condition, str | None
]


def merge(drafts: Iterable[Draft]) -> tuple[CompanionDocument, ...]:
    by_document: dict[tuple[DocumentKind, str], list[Draft]] = {}
    for draft in drafts:
        by_document.setdefault((draft.kind, draft.target), []).append(draft)
    return tuple(_document(by_document[key]) for key in sorted(by_document))


def _document(drafts: list[Draft]) -> CompanionDocument:
    groups: dict[_StatementKey, list[Draft]] = {}
    for d in drafts:
        key = (
            d.statement,
            d.effect,
            d.principal_kind,
            d.actions,
            d.resources,
            d.condition,
            d.sse_kms_key,
        )
        groups.setdefault(key, []).append(d)
    used: set[str] = set()
    statements = []
    for key in sorted(groups, key=repr):
        members = groups[key]
        first = members[0]
        principals = tuple(sorted({d.principal for d in members if d.principal is not None}))
        reasons = tuple(
            sorted(dict.fromkeys(d.reason for d in members), key=CompanionReason.sort_key)
        )
        statements.append(
            CompanionStatement(
                sid=_unique_sid(first.statement, used),
                effect=first.effect,
                principal_kind=first.principal_kind,
                principals=principals,
                actions=first.actions,
                resources=first.resources,
                condition={op: dict(block) for op, block in first.condition} or None,
                reasons=reasons,
                sse_kms_key=first.sse_kms_key,
            )
        )
    account = next((d.account for d in drafts if d.account is not None), None)
    region = next((d.region for d in drafts if d.region is not None), None)
    return CompanionDocument(
        kind=drafts[0].kind,
        target=drafts[0].target,
        account=account,
        region=region,
        statements=tuple(statements),
    )


def _unique_sid(base: str, used: set[str]) -> str:
    base = re.sub(r"[^A-Za-z0-9]", "", base) or "Statement"
    sid, n = base, 2
    while sid in used:
        sid, n = f"{base}{n}", n + 1
    used.add(sid)
    return sid
