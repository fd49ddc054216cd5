"""Parsing identity policies into the IR.

Parsing is tolerant: anything that can still be given a meaning is kept and the structural
problem is recorded as a ParseIssue for the validator. Only input with no policy shape at all
(not JSON, not an object or list of objects, no Statement) raises PolicyParseError.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from app.engine.iam.conditions.blocks import parse_conditions
from app.engine.iam.errors import IssueCode, ParseIssue, PolicyParseError
from app.engine.iam.policy.ir import (
    ActionSet,
    Condition,
    ParsedPolicy,
    PolicyDocument,
    ResourceSet,
    Statement,
)
from app.engine.iam.policy.serialize import canonical_json, policy_size, to_json_dict
from app.engine.json_pointer import pointer_join

__all__ = [
    "ActionSet",
    "Condition",
    "ParseIssue",
    "ParsedPolicy",
    "PolicyDocument",
    "PolicyParseError",
    "ResourceSet",
    "Statement",
    "canonical_json",
    "decode_document",
    "parse_policy",
    "policy_size",
    "require_document",
    "to_json_dict",
]

PolicySource = str | bytes | Mapping[str, Any] | list[Any] | tuple[Any, ...]

_DOC_KEYS = frozenset({"Version", "Id", "Statement"})
_STMT_KEYS = frozenset(
    {"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition"}
)
_PRINCIPAL_KEYS = ("Principal", "NotPrincipal")


class _KeyedObject(dict[str, Any]):
    """A JSON object that remembers keys the source repeated (json keeps the last silently)."""

    duplicates: tuple[str, ...] = ()


def _loads_noting_duplicates(text: str | bytes) -> tuple[Any, bool]:
    """The decoded text, and whether any object in it repeated a key."""
    repeated = False

    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal repeated
        if len(pairs) == len(obj := dict(pairs)):
            return obj
        repeated = True
        keyed = _KeyedObject(pairs)
        keys = [k for k, _ in pairs]
        keyed.duplicates = tuple(k for k in keyed if keys.count(k) > 1)
        return keyed

    data = json.loads(text, object_pairs_hook=hook, parse_constant=_reject_constant)
    return data, repeated


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


def _loads(text: str | bytes, pointer: str) -> tuple[Any, bool]:
    try:
        return _loads_noting_duplicates(text)
    except json.JSONDecodeError as exc:
        raise PolicyParseError(
            f"invalid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})", pointer
        ) from exc
    except (ValueError, RecursionError) as exc:
        raise PolicyParseError(f"invalid JSON: {exc}", pointer) from exc


def _walk_duplicates(node: Any, pointer: str) -> Iterator[ParseIssue]:
    if isinstance(node, dict):
        for key in getattr(node, "duplicates", ()):
            yield ParseIssue(
                IssueCode.DUPLICATE_KEY,
                f"key {key!r} appears more than once; the last value is used",
                pointer_join(pointer, key),
            )
        for key, value in node.items():
            yield from _walk_duplicates(value, pointer_join(pointer, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk_duplicates(value, pointer_join(pointer, i))


def parse_policy(source: PolicySource, *, base_pointer: str = "") -> ParsedPolicy:
    """Parse one document, or a list of documents whose statements are concatenated.

    `source` may be a JSON text or already-decoded data. Pointers in the result are relative
    to `base_pointer`: `/Statement/2` for one document, `/0/Statement/2` for a list.
    """
    issues: list[ParseIssue] = []
    data: Any = source
    if isinstance(source, str | bytes):
        data, repeated = _loads(source, base_pointer)
        if repeated:  # the walk builds a pointer for every node: only when it will find some
            issues.extend(_walk_duplicates(data, base_pointer))
    documents: tuple[PolicyDocument, ...]
    if isinstance(data, Mapping):
        documents = (_parse_document(data, 0, base_pointer, issues),)
    elif isinstance(data, list | tuple):
        if not data:
            raise PolicyParseError("the list of policy documents is empty", base_pointer)
        documents = tuple(
            _parse_document(
                require_document(doc, pointer_join(base_pointer, i)),
                i,
                pointer_join(base_pointer, i),
                issues,
            )
            for i, doc in enumerate(data)
        )
    else:
        raise PolicyParseError("a policy must be a JSON object", base_pointer)
    return ParsedPolicy(documents, tuple(issues))


def require_document(doc: object, pointer: str) -> Mapping[str, Any]:
    if not isinstance(doc, Mapping):
        raise PolicyParseError("a policy document must be a JSON object", pointer)
    return doc


def decode_document(source: object, pointer: str) -> Mapping[str, Any]:
    """The one policy document a place holds (a resource's policy, a permissions boundary, a
    template's `KeyPolicy`): an object, or JSON text of one, decoded.

    Raises PolicyParseError at `pointer` for anything else: text that is not JSON, JSON text
    of a list (a role's documents may be given so, but several documents are not one), of a
    string or a number."""
    if not isinstance(source, str | bytes):
        return require_document(source, pointer)
    data, _ = _loads(source, pointer)
    if isinstance(data, list):
        raise PolicyParseError(
            "JSON text of a list: this holds one policy document, a JSON object", pointer
        )
    return require_document(data, pointer)


def _issue(issues: list[ParseIssue], code: IssueCode, message: str, pointer: str) -> None:
    issues.append(ParseIssue(code, message, pointer))


def _optional_string(
    obj: Mapping[str, Any], key: str, pointer: str, issues: list[ParseIssue]
) -> str | None:
    value = obj.get(key)
    if value is None and key not in obj:
        return None
    if not isinstance(value, str):
        _issue(issues, IssueCode.WRONG_TYPE, f"{key} must be a string", pointer_join(pointer, key))
        return None
    return value


def _parse_document(
    obj: Mapping[str, Any], doc_index: int, pointer: str, issues: list[ParseIssue]
) -> PolicyDocument:
    for key in obj:
        if key not in _DOC_KEYS:
            _issue(
                issues,
                IssueCode.UNKNOWN_ELEMENT,
                f"unknown top-level element {key!r}",
                pointer_join(pointer, key),
            )
    version = _optional_string(obj, "Version", pointer, issues)
    policy_id = _optional_string(obj, "Id", pointer, issues)
    if "Statement" not in obj:
        raise PolicyParseError("the policy has no Statement", pointer_join(pointer, "Statement"))
    raw = obj["Statement"]
    stmt_pointer = pointer_join(pointer, "Statement")
    entries: list[tuple[int, object, str]]
    if isinstance(raw, Mapping):
        entries = [(0, raw, stmt_pointer)]
    elif isinstance(raw, list):
        if not raw:
            _issue(issues, IssueCode.EMPTY_STATEMENT, "Statement is empty", stmt_pointer)
        entries = [(i, s, pointer_join(stmt_pointer, i)) for i, s in enumerate(raw)]
    else:
        raise PolicyParseError("Statement must be an object or an array", stmt_pointer)
    statements: list[Statement] = []
    for stmt_index, entry, entry_pointer in entries:
        if not isinstance(entry, Mapping):
            message = "a statement must be an object"
            _issue(issues, IssueCode.STATEMENT_NOT_OBJECT, message, entry_pointer)
            continue
        statements.append(_parse_statement(entry, doc_index, stmt_index, entry_pointer, issues))
    return PolicyDocument(version, policy_id, tuple(statements), doc_index)


def _parse_statement(
    obj: Mapping[str, Any], doc_index: int, stmt_index: int, pointer: str, issues: list[ParseIssue]
) -> Statement:
    for key in obj:
        if key in _PRINCIPAL_KEYS:
            _issue(
                issues,
                IssueCode.PRINCIPAL_PRESENT,
                f"{key} must not appear in an identity policy",
                pointer_join(pointer, key),
            )
        elif key not in _STMT_KEYS:
            _issue(
                issues,
                IssueCode.UNKNOWN_ELEMENT,
                f"unknown statement element {key!r}",
                pointer_join(pointer, key),
            )
    sid = _optional_string(obj, "Sid", pointer, issues)
    effect = _optional_string(obj, "Effect", pointer, issues)
    if "Effect" not in obj:
        _issue(issues, IssueCode.MISSING_EFFECT, "the statement has no Effect", pointer)
    negated, actions = _either(
        obj,
        ("Action", "NotAction"),
        pointer,
        issues,
        (IssueCode.MISSING_ACTION, IssueCode.ACTION_AND_NOT_ACTION),
    )
    res_negated, resources = _either(
        obj,
        ("Resource", "NotResource"),
        pointer,
        issues,
        (IssueCode.MISSING_RESOURCE, IssueCode.RESOURCE_AND_NOT_RESOURCE),
    )
    conditions: tuple[Condition, ...] = ()
    if "Condition" in obj:
        conditions = parse_conditions(obj["Condition"], pointer_join(pointer, "Condition"), issues)
    return Statement(
        sid,
        effect,
        ActionSet(negated, actions),
        ResourceSet(res_negated, resources),
        conditions,
        doc_index,
        stmt_index,
        pointer,
    )


def _either(
    obj: Mapping[str, Any],
    keys: tuple[str, str],
    pointer: str,
    issues: list[ParseIssue],
    codes: tuple[IssueCode, IssueCode],
) -> tuple[bool, tuple[str, ...]]:
    """Read Action/NotAction (or Resource/NotResource); the positive form wins if both."""
    positive, negative = keys
    missing, both = codes
    if positive in obj and negative in obj:
        _issue(issues, both, f"a statement must not have both {positive} and {negative}", pointer)
    if positive in obj:
        return False, _strings(obj[positive], pointer_join(pointer, positive), issues)
    if negative in obj:
        return True, _strings(obj[negative], pointer_join(pointer, negative), issues)
    _issue(issues, missing, f"the statement has neither {positive} nor {negative}", pointer)
    return False, ()


def _strings(raw: object, pointer: str, issues: list[ParseIssue]) -> tuple[str, ...]:
    if isinstance(raw, str):
        return (raw,)
    if not isinstance(raw, list):
        _issue(issues, IssueCode.WRONG_TYPE, "expected a string or an array of strings", pointer)
        return ()
    if not raw:
        _issue(issues, IssueCode.EMPTY_ARRAY, "the array is empty", pointer)
    out: list[str] = []
    for i, item in enumerate(raw):
        if isinstance(item, str):
            out.append(item)
        else:
            _issue(issues, IssueCode.WRONG_TYPE, "expected a string", pointer_join(pointer, i))
    return tuple(out)
