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
    """`negated` means NotAction. `patterns` are lower-cased for matching; `originals` are the
    same entries as written, in the same order."""

    negated: bool
    patterns: tuple[str, ...]
    originals: tuple[str, ...] = ()

    @classmethod
    def of(cls, negated: bool, written: tuple[str, ...]) -> ActionSet:
        return cls(negated, tuple(p.lower() for p in written), written)


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
