"""The policy IR seen as what coverage needs: statements with decided operators and raw JSON."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from app.engine.findings import Finding, FindingType
from app.engine.iam.analysis.coverage import PolicyStatement
from app.engine.iam.conditions.operators import ConditionOperator, ConditionTest
from app.engine.iam.policy.documents import read_document, read_documents, read_located
from app.engine.iam.policy.parse import ParsedPolicy, Statement, to_json_dict


@dataclass(frozen=True)
class PolicyView:
    parsed: ParsedPolicy
    statements: tuple[PolicyStatement, ...]
    findings: tuple[Finding, ...]
    _raw: dict[tuple[int, int], dict[str, Any]]

    def raw_statement(self, stmt: PolicyStatement) -> dict[str, Any]:
        return self._raw[(stmt.doc_index, stmt.stmt_index)]

    def raw_condition(self, stmt: PolicyStatement) -> dict[str, Any] | None:
        condition = self.raw_statement(stmt).get("Condition")
        return condition if isinstance(condition, dict) else None


def _statement(stmt: Statement) -> PolicyStatement:
    tests: list[ConditionTest] = []
    unsupported: list[str] = []
    for cond in stmt.conditions:
        try:
            op = ConditionOperator(cond.operator, cond.qualifier, cond.if_exists)
        except ValueError:
            unsupported.append(cond.operator_text)
            continue
        tests.append((op, cond.key_original, cond.values))
    return PolicyStatement(
        effect=stmt.effect or "",
        actions=stmt.actions.patterns,
        actions_negated=stmt.actions.negated,
        resources=stmt.resources.patterns,
        resources_negated=stmt.resources.negated,
        conditions=tuple(tests),
        unsupported_conditions=tuple(unsupported),
        doc_index=stmt.doc_index,
        stmt_index=stmt.stmt_index,
        sid=stmt.sid,
        pointer=stmt.pointer,
    )


def read_policies(documents: Sequence[Any], *, pointer: str) -> PolicyView:
    """Parse a role's documents (objects or JSON text) listed at `pointer`; raises
    PolicyParseError only for input with no policy shape."""
    return view_of(read_documents(documents, pointer=pointer).parsed)


def read_policies_at(documents: Sequence[tuple[Any, str]]) -> PolicyView:
    """A role's documents, each at a pointer of its own (documents found in a template, say);
    they are numbered in the order given."""
    return view_of(read_located(documents).parsed)


def read_policy(document: Any, *, pointer: str) -> PolicyView:
    """Parse one document that sits at `pointer` in the request (not in a list of them): an
    object, or JSON text of one; anything else raises PolicyParseError."""
    return view_of(read_document(document, pointer=pointer).parsed)


def view_of(parsed: ParsedPolicy) -> PolicyView:
    """Documents already parsed (by the validator, say), seen as coverage sees them."""
    raw: dict[tuple[int, int], dict[str, Any]] = {}
    for doc in parsed.documents:
        for stmt, body in zip(doc.statements, to_json_dict(doc)["Statement"], strict=True):
            raw[(stmt.doc_index, stmt.stmt_index)] = body
    findings = tuple(
        Finding(
            code=issue.code.value.upper().replace("-", "_"),
            finding_type=FindingType.ERROR,
            message=issue.message,
            path=issue.pointer,
        )
        for issue in parsed.issues
    )
    return PolicyView(
        parsed=parsed,
        statements=tuple(_statement(s) for s in parsed.statements),
        findings=findings,
        _raw=raw,
    )
