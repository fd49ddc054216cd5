"""Permission profiles: statement templates with placeholders, triggers, hints and citations.

A profile document (one YAML file of app/data/profiles, or a revision stored in the database) is
checked against the schema (app.engine.profile_schema) and compiled here once; compute then
renders it for every action of its type.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from app.engine.pipeline.model import ActionTypeKey
from app.engine.placeholders import Template, parse_template
from app.engine.profile_schema import ProfileDocument, ProfileStatement, validate_document

ACTIVE = "active"
DEPRECATED = "deprecated"


@dataclass(frozen=True)
class Citation:
    id: str
    title: str
    url: str
    as_of: str | None = None


@dataclass(frozen=True)
class Impact:
    behaviour: str
    message: str
    evidence: str


@dataclass(frozen=True)
class HintSpec:
    name: str
    description: str
    fallback: Template


@dataclass(frozen=True)
class StatementTemplate:
    id: str
    description: str
    actions: tuple[str, ...]
    resources: tuple[Template, ...]
    condition: Mapping[str, Mapping[Template, tuple[Template, ...]]] | None
    when: Mapping[str, Any] | None
    hints: Mapping[str, HintSpec]
    source: Citation
    inferred: bool
    inferred_note: str | None
    since: dt.date | None
    impact: Impact | None
    # What works without the permission, when AWS documents it as optional.
    optional: str | None = None
    # Another policy that may grant it instead of the role's own (a KMS key policy, say).
    alternative: str | None = None
    # What the statement's condition takes for granted (the bucket is in the pipeline's account).
    assumes: str | None = None
    # (lower-case, as written) for each action: merging compares action names without case.
    action_names: tuple[tuple[str, str], ...] = field(init=False, repr=False, compare=False)
    action_set: frozenset[str] = field(init=False, repr=False, compare=False)  # lower-cased

    def __post_init__(self) -> None:
        object.__setattr__(self, "action_names", tuple((a.lower(), a) for a in self.actions))
        object.__setattr__(self, "action_set", frozenset(a.lower() for a in self.actions))


@dataclass(frozen=True)
class Pitfall:
    text: str
    source: Citation | None
    when: Mapping[str, Any] | None = None  # named only where this trigger may hold


@dataclass(frozen=True)
class Profile:
    key: ActionTypeKey
    revision: int
    title: str
    effective_date: dt.date
    supported_since: dt.date | None
    statements: tuple[StatementTemplate, ...]
    notes: tuple[str, ...]
    pitfalls: tuple[Pitfall, ...]
    sources: Mapping[str, Citation]
    # Of the stored revision (`active` or `deprecated`); not part of the document.
    status: str = ACTIVE


@dataclass(frozen=True)
class ProfileSet:
    """Every profile in force, keyed by action type, as of one profile-set revision."""

    revision: int
    profiles: Mapping[ActionTypeKey, Profile]

    def get(self, key: ActionTypeKey) -> Profile | None:
        return self.profiles.get(key)


def parse_profile(
    doc: Mapping[str, Any], revision: int, pointer: str = "", *, status: str = ACTIVE
) -> Profile:
    """Check a profile document against the schema (ProfileDefinitionError naming every problem,
    each at its pointer under `pointer`) and compile its templates."""
    return compile_profile(validate_document(doc, pointer), revision, status=status)


def compile_profile(document: ProfileDocument, revision: int, *, status: str = ACTIVE) -> Profile:
    sources = {
        source_id: Citation(
            id=source_id,
            title=c.title,
            url=c.url,
            as_of=c.as_of.isoformat() if c.as_of else None,
        )
        for source_id, c in document.sources.items()
    }
    key = document.action_type
    return Profile(
        key=ActionTypeKey(key.category, key.owner, key.provider, key.version),
        revision=revision,
        title=document.title,
        effective_date=document.effective_date,
        supported_since=document.supported_since,
        statements=tuple(_compile_statement(s, sources) for s in document.statements),
        notes=tuple(document.notes),
        pitfalls=tuple(
            Pitfall(
                text=p.text,
                source=sources[p.source] if p.source else None,
                when=p.when.as_mapping() if p.when else None,
            )
            for p in document.pitfalls
        ),
        sources=sources,
        status=status,
    )


def _compile_statement(
    statement: ProfileStatement, sources: Mapping[str, Citation]
) -> StatementTemplate:
    condition = statement.condition
    impact = statement.impact
    return StatementTemplate(
        id=statement.id,
        description=statement.description,
        actions=tuple(sorted(set(statement.actions), key=str.lower)),
        resources=tuple(parse_template(r) for r in statement.resources),
        condition=None
        if condition is None
        else {
            operator: {
                parse_template(k): tuple(
                    parse_template(v) for v in ([values] if isinstance(values, str) else values)
                )
                for k, values in block.items()
            }
            for operator, block in condition.items()
        },
        when=statement.when.as_mapping() if statement.when else None,
        hints={
            name: HintSpec(
                name=name, description=h.description, fallback=parse_template(h.fallback)
            )
            for name, h in statement.hints.items()
        },
        source=sources[statement.source],
        inferred=statement.inferred,
        inferred_note=statement.inferred_note,
        since=statement.since,
        impact=Impact(behaviour=impact.behaviour, message=impact.message, evidence=impact.evidence)
        if impact
        else None,
        optional=statement.optional,
        alternative=statement.alternative,
        assumes=statement.assumes,
    )


def profiles_by_key(profiles: Sequence[Profile]) -> dict[ActionTypeKey, Profile]:
    return {p.key: p for p in profiles}
