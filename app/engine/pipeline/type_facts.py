"""What the structure rules know of each action and rule type: its profile's `structure`, compiled.

A profile's `structure` section (app.engine.profile_schema) says what a pipeline definition must
hold for an action or rule of its type: artifact counts, configuration keys (required, allowed
values, prerequisites, artifact references), V2-only, the rule-only facts. `KnownTypes` indexes
the facts of one profile set for the structure validator; nothing here knows about findings.
Values keep their documented case; they are compared without it (`value_in`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import Literal

from app.engine.pipeline.model import RULE_CATEGORY, RULE_OWNER, ActionTypeKey

ArtifactReference = Literal["name", "path"]


def value_in(value: str, allowed: frozenset[str]) -> bool:
    """Case-insensitive membership, the way documented values are compared."""
    return value.lower() in {a.lower() for a in allowed}


@dataclass(frozen=True)
class Situation:
    """When something becomes required: a configuration key holding one of `values`, or the
    action (or rule) having more than `inputs_above` input artifacts."""

    key: str | None = None
    values: frozenset[str] = frozenset()
    inputs_above: int | None = None

    def holds(self, configuration: Mapping[str, str], inputs: int) -> bool:
        if self.key is not None:
            value = configuration.get(self.key)
            return value is not None and value_in(value, self.values)
        return inputs > (self.inputs_above or 0)

    def describe(self) -> str:
        if self.key is not None:
            return f"`{self.key}` is `{'/'.join(sorted(self.values))}`"
        return f"the action has more than {self.inputs_above} input artifact(s)"


@dataclass(frozen=True)
class Prerequisite:
    """A key that only makes sense with `key` set (to one of `values`, when given)."""

    key: str
    values: frozenset[str] = frozenset()
    error: bool = False


@dataclass(frozen=True)
class ConfigurationKey:
    name: str
    required: bool = False
    required_when: Situation | None = None
    # Required by a newer copy of the documentation only (optional in the older one).
    newly_required: bool = False
    values: frozenset[str] | None = None
    needs: Prerequisite | None = None
    # `name`: the value names one of the input artifacts; `path`: `ArtifactName::path`.
    artifact: ArtifactReference | None = None


@dataclass(frozen=True)
class ArtifactCount:
    low: int
    high: int
    # (situation, minimum): the least count rises to the minimum while the situation holds.
    raised: tuple[tuple[Situation, int], ...] = ()

    def bounds(self, configuration: Mapping[str, str]) -> tuple[int, int]:
        low = self.low
        for situation, minimum in self.raised:
            if situation.holds(configuration, 0):
                low = max(low, minimum)
        return low, self.high


@dataclass(frozen=True)
class TypeFacts:
    """The structure facts of one action or rule type."""

    doc_page: str = ""
    v2_only: bool = False
    inputs: ArtifactCount | None = None
    outputs: ArtifactCount | None = None
    keys: Mapping[str, ConfigurationKey] = field(default_factory=lambda: MappingProxyType({}))
    # At least one of these key groups must be fully present.
    alternatives: tuple[tuple[str, ...], ...] = ()
    # False when the documentation does not list the keys (no unknown-key check).
    keys_documented: bool = True
    # Rules: the documentation gives the rule input artifacts.
    reads_input_artifacts: bool = False
    # The action or rule runs its top-level `commands` list.
    runs_commands: bool = False
    # Rules: allowed in a `beforeEntry` condition whose result is SKIP.
    can_skip: bool = False
    # Owners other documentation gives the type; an action written so is checked as this type.
    owner_aliases: frozenset[str] = frozenset()

    # What follows is read by the structure rules for every action of every pipeline: each is
    # worked out once per profile-set revision, when first asked, and kept with the facts.

    @cached_property
    def required(self) -> tuple[str, ...]:
        return tuple(k.name for k in self.keys.values() if k.required)

    @cached_property
    def newly_required(self) -> tuple[str, ...]:
        return tuple(k.name for k in self.keys.values() if k.newly_required)

    @cached_property
    def conditional(self) -> tuple[ConfigurationKey, ...]:
        return tuple(k for k in self.keys.values() if k.required_when is not None)

    @cached_property
    def allowed_values(self) -> Mapping[str, frozenset[str]]:
        return MappingProxyType(
            {k.name: k.values for k in self.keys.values() if k.values is not None}
        )

    @cached_property
    def prerequisites(self) -> tuple[ConfigurationKey, ...]:
        return tuple(k for k in self.keys.values() if k.needs is not None)

    @cached_property
    def artifact_keys(self) -> tuple[ConfigurationKey, ...]:
        return tuple(k for k in self.keys.values() if k.artifact is not None)


_NOT_EXACT = TypeFacts()  # the `_exact` lookup's "no such key" (never one of its values)


@dataclass(frozen=True)
class _Entry:
    key: ActionTypeKey
    facts: TypeFacts | None


class KnownTypes:
    """The action and rule types of one profile set, and the structure facts of each.

    A type is known when the set has a profile for its category, owner and provider (any
    version). Its facts are those of the profile of its own version, else of the lowest version
    of its provider (checked as that one, with a warning of the version elsewhere); a profile
    without `structure` gives none, so the type gets the checks of a type without a profile.
    """

    def __init__(self, profiles: Iterable[tuple[ActionTypeKey, TypeFacts | None]]) -> None:
        self._exact: dict[ActionTypeKey, TypeFacts | None] = {}
        self._providers: dict[tuple[str, str, str], list[_Entry]] = defaultdict(list)
        self._aliases: dict[tuple[str, str, str], list[_Entry]] = defaultdict(list)
        for key, facts in sorted(profiles, key=lambda p: p[0]):
            self._exact[key] = facts
            entry = _Entry(key, facts)
            self._providers[(key.category, key.owner, key.provider)].append(entry)
            for owner in facts.owner_aliases if facts else ():
                self._aliases[(key.category, owner, key.provider)].append(entry)

    def _entries(self, category: str, owner: str, provider: str) -> list[_Entry]:
        return self._providers.get((category, owner, provider), [])

    def is_known(self, category: str, owner: str, provider: str) -> bool:
        return bool(self._entries(category, owner, provider))

    def versions(self, category: str, owner: str, provider: str) -> tuple[str, ...]:
        return tuple(e.key.version for e in self._entries(category, owner, provider))

    def facts(self, key: ActionTypeKey) -> TypeFacts | None:
        """The facts an action (or rule) of this type is checked against, if any."""
        facts = self._exact.get(key, _NOT_EXACT)
        if facts is not _NOT_EXACT:
            return facts
        entries = self._entries(key.category, key.owner, key.provider) or self._aliases.get(
            (key.category, key.owner, key.provider), []
        )
        same_version = [e for e in entries if e.key.version == key.version]
        chosen = same_version or entries
        return chosen[0].facts if chosen else None

    def rule_facts(self, provider: str, version: str) -> TypeFacts | None:
        """The facts of an AWS rule type, whatever category and owner the rule writes (those
        are checked on their own)."""
        return self.facts(ActionTypeKey(RULE_CATEGORY, RULE_OWNER, provider, version))

    def rule_providers(self) -> tuple[str, ...]:
        return tuple(
            sorted(p for (c, o, p) in self._providers if c == RULE_CATEGORY and o == RULE_OWNER)
        )

    def skipping_rule_providers(self) -> tuple[str, ...]:
        return tuple(
            provider
            for provider in self.rule_providers()
            if any(
                entry.facts and entry.facts.can_skip
                for entry in self._entries(RULE_CATEGORY, RULE_OWNER, provider)
            )
        )
