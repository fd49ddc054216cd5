"""The policy as the validator's rules see it: the IR next to the JSON as written, located.

The IR normalises (lower-cased actions, sorted condition values, non-strings dropped), which is
right for semantics but loses where each entry was written. Rules need both, so every statement
carries its IR form and its raw entries with their JSON pointers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

from app.engine.budget import WorkBudget
from app.engine.iam.catalog import Catalog
from app.engine.iam.policy.documents import ReadDocuments
from app.engine.iam.policy.ir import ParsedPolicy, Statement
from app.engine.json_pointer import pointer_join

# An identity policy is managed or inline; a role's trust policy and a bucket's or key's policy
# are resource policies, whose statements name a Principal.
PolicyType = Literal["managed", "inline", "trust", "bucket", "key"]
RESOURCE_POLICY_TYPES: frozenset[str] = frozenset({"trust", "bucket", "key"})
POLICY_VARIABLES_VERSION = "2012-10-17"


@dataclass(frozen=True, slots=True)
class Entry:
    """One string of an Action/NotAction or Resource/NotResource element, where written."""

    value: str
    pointer: str


@dataclass(frozen=True, slots=True)
class ValueEntry:
    """One condition value as written (any JSON type) and where."""

    value: Any
    pointer: str


@dataclass(frozen=True, slots=True)
class ConditionEntry:
    """One (operator, key) of a Condition block as written."""

    operator: str
    operator_pointer: str
    key: str
    pointer: str
    values: tuple[ValueEntry, ...]
    is_list: bool


@dataclass(frozen=True)
class StatementView:
    ir: Statement
    raw: Mapping[str, Any]
    pointer: str
    doc_index: int
    policy_variables: bool
    action_key: str | None  # "Action", "NotAction" or None
    actions: tuple[Entry, ...]
    resource_key: str | None  # "Resource", "NotResource" or None
    resources: tuple[Entry, ...]
    conditions: tuple[ConditionEntry, ...]

    @property
    def effect(self) -> str | None:
        return self.ir.effect

    @property
    def is_allow(self) -> bool:
        return self.ir.effect == "Allow"

    @property
    def not_action(self) -> bool:
        return self.action_key == "NotAction"

    @property
    def not_resource(self) -> bool:
        return self.resource_key == "NotResource"

    def element_pointer(self, key: str) -> str:
        return pointer_join(self.pointer, key)


@dataclass(frozen=True)
class DocumentView:
    raw: Mapping[str, Any]
    pointer: str
    index: int
    version: str | None
    statements: tuple[StatementView, ...]

    @property
    def policy_variables(self) -> bool:
        return self.version == POLICY_VARIABLES_VERSION


@dataclass(frozen=True)
class PolicyContext:
    """Everything a rule may read. Rules are pure functions of this."""

    parsed: ParsedPolicy
    documents: tuple[DocumentView, ...]
    catalog: Catalog
    policy_type: PolicyType
    pointer: str
    budget: WorkBudget = field(default_factory=WorkBudget, compare=False)

    @cached_property
    def statements(self) -> tuple[StatementView, ...]:
        return tuple(s for doc in self.documents for s in doc.statements)


def _entries(raw: object, pointer: str) -> tuple[Entry, ...]:
    if isinstance(raw, str):
        return (Entry(raw, pointer),)
    if isinstance(raw, list):
        return tuple(
            Entry(item, pointer_join(pointer, i))
            for i, item in enumerate(raw)
            if isinstance(item, str)
        )
    return ()


def _conditions(raw: object, pointer: str) -> tuple[ConditionEntry, ...]:
    if not isinstance(raw, Mapping):
        return ()
    out: list[ConditionEntry] = []
    for operator, block in raw.items():
        op_pointer = pointer_join(pointer, str(operator))
        if not isinstance(block, Mapping):
            continue
        for key, values in block.items():
            key_pointer = pointer_join(op_pointer, str(key))
            if isinstance(values, list):
                listed = tuple(
                    ValueEntry(v, pointer_join(key_pointer, i)) for i, v in enumerate(values)
                )
            else:
                listed = (ValueEntry(values, key_pointer),)
            out.append(
                ConditionEntry(
                    str(operator),
                    op_pointer,
                    str(key),
                    key_pointer,
                    listed,
                    isinstance(values, list),
                )
            )
    return tuple(out)


def _either(raw: Mapping[str, Any], positive: str, negative: str) -> str | None:
    if positive in raw:
        return positive
    return negative if negative in raw else None


def _statement(ir: Statement, raw: Mapping[str, Any], policy_variables: bool) -> StatementView:
    action_key = _either(raw, "Action", "NotAction")
    resource_key = _either(raw, "Resource", "NotResource")
    pointer = ir.pointer
    return StatementView(
        ir=ir,
        raw=raw,
        pointer=pointer,
        doc_index=ir.doc_index,
        policy_variables=policy_variables,
        action_key=action_key,
        actions=_entries(raw[action_key], pointer_join(pointer, action_key)) if action_key else (),
        resource_key=resource_key,
        resources=(
            _entries(raw[resource_key], pointer_join(pointer, resource_key)) if resource_key else ()
        ),
        conditions=_conditions(raw.get("Condition"), pointer_join(pointer, "Condition")),
    )


def _raw_statements(doc: Mapping[str, Any], pointer: str) -> dict[str, Mapping[str, Any]]:
    raw = doc.get("Statement")
    stmt_pointer = pointer_join(pointer, "Statement")
    if isinstance(raw, Mapping):
        return {stmt_pointer: raw}
    if isinstance(raw, list):
        return {
            pointer_join(stmt_pointer, i): s for i, s in enumerate(raw) if isinstance(s, Mapping)
        }
    return {}


def build_context(
    read: ReadDocuments,
    catalog: Catalog,
    *,
    policy_type: PolicyType,
    budget: WorkBudget | None = None,
) -> PolicyContext:
    parsed = read.parsed
    raws = read.json_documents()
    documents: list[DocumentView] = []
    for doc, (raw_doc, doc_pointer) in zip(parsed.documents, raws, strict=True):
        policy_variables = doc.version == POLICY_VARIABLES_VERSION
        by_pointer = _raw_statements(raw_doc, doc_pointer)
        statements = tuple(
            _statement(s, by_pointer[s.pointer], policy_variables) for s in doc.statements
        )
        documents.append(
            DocumentView(raw_doc, doc_pointer, doc.source_index, doc.version, statements)
        )
    return PolicyContext(
        parsed=parsed,
        documents=tuple(documents),
        catalog=catalog,
        policy_type=policy_type,
        pointer=read.pointer,
        budget=budget or WorkBudget.unbounded(),
    )
