"""Intermediate representation of identity policies (reference §3.4).

Every value keeps what the author wrote next to its matching form, so findings can quote the
source and serialisation can round-trip it. Pointers are JSON pointers into the request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from app.engine.iam.errors import ParseIssue

Qualifier = Literal["ForAllValues", "ForAnyValue"]


@dataclass(frozen=True, slots=True)
class ActionSet:
    """`negated` means NotAction. `originals` are the entries as written; `patterns` are the
    same entries lower-cased for matching (actions are case-insensitive, §1.3).

    `ActionSet(negated, written)` is enough: the two forms are derived from each other so code
    that builds policies cannot produce a set whose serialised and matched forms disagree.
    """

    negated: bool
    patterns: tuple[str, ...]
    originals: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        written = self.originals or self.patterns
        object.__setattr__(self, "originals", written)
        object.__setattr__(self, "patterns", tuple(p.lower() for p in written))


@dataclass(frozen=True, slots=True)
class ResourceSet:
    """`negated` means NotResource. ARNs are case-sensitive, so patterns are kept verbatim."""

    negated: bool
    patterns: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Condition:
    """One (operator, key) pair of a Condition block.

    `operator` is the base name (`StringLike`), with the `ForAllValues:`/`ForAnyValue:` prefix
    and the `IfExists` suffix split out. `values` are strings (JSON numbers and booleans in
    their JSON spelling), sorted and de-duplicated: the order and repetition of values never
    changes a condition's meaning, and canonical values let equal blocks compare equal.
    """

    operator: str
    qualifier: Qualifier | None
    if_exists: bool
    key: str
    key_original: str
    values: tuple[str, ...]
    pointer: str = field(default="", compare=False)

    @property
    def operator_text(self) -> str:
        prefix = f"{self.qualifier}:" if self.qualifier else ""
        return prefix + self.operator + ("IfExists" if self.if_exists else "")


@dataclass(frozen=True, slots=True)
class Statement:
    sid: str | None
    effect: str | None
    actions: ActionSet
    resources: ResourceSet
    conditions: tuple[Condition, ...]
    doc_index: int
    stmt_index: int
    pointer: str


@dataclass(frozen=True, slots=True)
class PolicyDocument:
    version: str | None
    id: str | None
    statements: tuple[Statement, ...]
    source_index: int = 0


@dataclass(frozen=True, slots=True)
class ParsedPolicy:
    """One request's documents (a role's inline and managed policies, or just one)."""

    documents: tuple[PolicyDocument, ...]
    issues: tuple[ParseIssue, ...] = ()

    @property
    def statements(self) -> tuple[Statement, ...]:
        """All statements concatenated; exact for identity-only evaluation (§2.1)."""
        return tuple(s for doc in self.documents for s in doc.statements)
