"""Permission profiles: statement templates with placeholders, triggers, hints and citations.

A profile document (one YAML file of app/data/profiles, or a revision stored in the database) is
checked against the schema (app.engine.profile_schema), resolved with its parent's when it
extends another (app.engine.profile_extends), and compiled here once; compute then renders it for
every action of its type, and the structure validator reads its `structure` facts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import Any

from app.engine.errors import ProfileDefinitionError
from app.engine.pipeline.model import ActionTypeKey
from app.engine.pipeline.type_facts import (
    ArtifactCount,
    ConfigurationKey,
    KnownTypes,
    Prerequisite,
    Situation,
    TypeFacts,
)
from app.engine.placeholders import Template, parse_template
from app.engine.profile_extends import extended_key, resolve_document
from app.engine.profile_schema import (
    ProfileArtifactCount,
    ProfileCompanion,
    ProfileConfigurationKey,
    ProfileDocument,
    ProfileSituation,
    ProfileStatement,
    ProfileStructure,
)

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
class CompanionTemplate:
    """A statement another resource's policy must hold for an action of the type to run."""

    id: str
    description: str
    policy: str  # the kind of resource policy (`trust-policy`, `lambda-function-policy`, ...)
    target: Template  # the resource whose policy it is
    service: str | None  # the service principal named; None: the acting role
    actions: tuple[str, ...]
    when: Mapping[str, Any] | None
    cross_account_only: bool
    source: Citation
    inferred: bool
    inferred_note: str | None


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
    # What a pipeline definition must hold for an action of the type (None: not stated).
    structure: TypeFacts | None = None
    # The parent's action type and the revision of it the document was resolved with.
    extends: tuple[ActionTypeKey, int] | None = None
    # Statements other resources' policies must hold for an action of the type.
    companions: tuple[CompanionTemplate, ...] = ()


@dataclass(frozen=True)
class ProfileSet:
    """Every profile in force, keyed by action type, as of one profile-set revision."""

    revision: int
    profiles: Mapping[ActionTypeKey, Profile]

    def get(self, key: ActionTypeKey) -> Profile | None:
        return self.profiles.get(key)

    @cached_property
    def known_types(self) -> KnownTypes:
        """The action and rule types of the set, with their structure facts."""
        return KnownTypes((key, p.structure) for key, p in self.profiles.items())


@dataclass(frozen=True)
class WrittenProfile:
    """A profile document as written (a file, a stored revision), to compile with its set."""

    document: Mapping[str, Any]
    revision: int
    status: str = ACTIVE
    pointer: str = ""  # where its problems are located (a file name)


@dataclass(frozen=True)
class CompiledProfiles:
    profiles: dict[ActionTypeKey, Profile]
    # The documents compiled, resolved (complete, as compiled).
    documents: dict[ActionTypeKey, ProfileDocument]
    # The documents that could not be compiled, and why.
    problems: dict[ActionTypeKey, ProfileDefinitionError]


def compile_profiles(written: Mapping[ActionTypeKey, WrittenProfile]) -> CompiledProfiles:
    """Every document of a set compiled, each that extends another resolved with the parent's
    document in the same set (app.engine.profile_extends)."""
    profiles: dict[ActionTypeKey, Profile] = {}
    documents: dict[ActionTypeKey, ProfileDocument] = {}
    problems: dict[ActionTypeKey, ProfileDefinitionError] = {}
    for key, item in written.items():
        parent_key = extended_key(item.document)
        parent = written.get(parent_key) if parent_key is not None else None
        try:
            document = resolve_document(
                item.document,
                parent.document if parent is not None else None,
                item.pointer,
                known=written,
            )
        except ProfileDefinitionError as error:
            problems[key] = error
            continue
        extends = (parent_key, parent.revision) if parent_key and parent else None
        documents[key] = document
        profiles[key] = compile_profile(
            document, item.revision, status=item.status, extends=extends
        )
    return CompiledProfiles(profiles, documents, problems)


def compile_profile(
    document: ProfileDocument,
    revision: int,
    *,
    status: str = ACTIVE,
    extends: tuple[ActionTypeKey, int] | None = None,
) -> Profile:
    """A complete (or resolved) document, compiled."""
    assert document.extends is None, "resolve the document with its parent first"
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
        structure=_compile_structure(document.structure) if document.structure else None,
        extends=extends,
        companions=tuple(_compile_companion(c, sources) for c in document.companions),
    )


def _compile_companion(
    companion: ProfileCompanion, sources: Mapping[str, Citation]
) -> CompanionTemplate:
    return CompanionTemplate(
        id=companion.id,
        description=companion.description,
        policy=companion.policy,
        target=parse_template(companion.target),
        service=companion.service,
        actions=tuple(sorted(set(companion.actions), key=str.lower)),
        when=companion.when.as_mapping() if companion.when else None,
        cross_account_only=companion.cross_account_only,
        source=sources[companion.source],
        inferred=companion.inferred,
        inferred_note=companion.inferred_note,
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


def _situation(situation: ProfileSituation) -> Situation:
    if situation.config is not None:
        return Situation(key=situation.config, values=frozenset(situation.in_ or ()))
    return Situation(inputs_above=situation.inputs_above)


def _count(count: ProfileArtifactCount | None) -> ArtifactCount | None:
    if count is None:
        return None
    raised = tuple(
        (Situation(key=r.config, values=frozenset(r.in_)), r.min) for r in count.min_when
    )
    return ArtifactCount(count.min, count.max, raised)


def _configuration_key(name: str, entry: ProfileConfigurationKey) -> ConfigurationKey:
    needs = entry.needs
    return ConfigurationKey(
        name=name,
        required=entry.required,
        required_when=_situation(entry.required_when) if entry.required_when else None,
        newly_required=entry.newly_required,
        values=frozenset(entry.values) if entry.values is not None else None,
        needs=Prerequisite(
            key=needs.key,
            values=frozenset(needs.values or ()),
            error=needs.finding_type == "ERROR",
        )
        if needs
        else None,
        artifact=entry.artifact,
    )


def _compile_structure(structure: ProfileStructure) -> TypeFacts:
    return TypeFacts(
        doc_page=structure.doc_page or "",
        v2_only=structure.v2_only,
        inputs=_count(structure.input_artifacts),
        outputs=_count(structure.output_artifacts),
        keys=MappingProxyType(
            {n: _configuration_key(n, e) for n, e in structure.configuration.items()}
        ),
        alternatives=tuple(tuple(group) for group in structure.alternatives),
        keys_documented=structure.keys_documented,
        reads_input_artifacts=structure.reads_input_artifacts,
        runs_commands=structure.runs_commands,
        can_skip=structure.can_skip,
        owner_aliases=frozenset(structure.owner_aliases),
    )


def profiles_by_key(profiles: Sequence[Profile]) -> dict[ActionTypeKey, Profile]:
    return {p.key: p for p in profiles}
