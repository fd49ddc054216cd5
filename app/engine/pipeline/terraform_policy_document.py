"""The policy document a Terraform `data "aws_iam_policy_document"` makes, as its `json` holds it.

The data source's arguments arrive evaluated (unknown parts kept as the UNKNOWN marker) and are
written as the AWS provider writes them: `statement` blocks with `sid`, `effect` (Allow unless
given), `actions` / `not_actions`, `resources` / `not_resources`, `principals` / `not_principals`
(`type` and `identifiers`; `*` of type `*` is the principal `*`) and `condition` (`test`,
`variable`, `values`); one value as a string, several as a list. Documents merged in through
`source_policy_documents`, `override_policy_documents`, `source_json` or `override_json` are not
read here: MERGED_ARGUMENTS names them for the readers that say so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from app.engine.pipeline.template_values import UNKNOWN, scalar_text

DATA_SOURCE = "aws_iam_policy_document"
# The attributes that hold the document as JSON text.
DOCUMENT_ATTRIBUTES = frozenset({"json", "minified_json"})
MERGED_ARGUMENTS = (
    "source_policy_documents",
    "override_policy_documents",
    "source_json",
    "override_json",
)

_LISTS = {
    "actions": "Action",
    "not_actions": "NotAction",
    "resources": "Resource",
    "not_resources": "NotResource",
}
_PRINCIPALS = {"principals": "Principal", "not_principals": "NotPrincipal"}


# A statement's members, by the name of the block argument (or nested block) they are written as.
_WRITTEN_AS = {
    **{name: key for key, name in _LISTS.items()},
    **{name: key for key, name in _PRINCIPALS.items()},
    "Sid": "sid",
    "Effect": "effect",
    "Condition": "condition",
}


def written_place(tokens: Sequence[str]) -> list[str]:
    """Where, among a data source's arguments, a place of the document it makes is written
    (`Statement/0/Resource` is `statement/0/resources`), as far as it can be told: within a
    statement's Condition, the `condition` blocks."""
    if len(tokens) < 2 or tokens[0] != "Statement":
        return []
    place = ["statement", tokens[1]]
    if len(tokens) > 2 and tokens[2] in _WRITTEN_AS:
        place.append(_WRITTEN_AS[tokens[2]])
        if tokens[2] in _LISTS.values():
            place.extend(tokens[3:4])
    return place


def policy_document(arguments: Mapping[str, Any]) -> dict[str, Any]:
    """The document of a data source's evaluated arguments (nested blocks as lists)."""
    document: dict[str, Any] = {"Version": scalar_text(arguments.get("version")) or "2012-10-17"}
    if (policy_id := scalar_text(arguments.get("policy_id"))) is not None:
        document["Id"] = policy_id
    statements = arguments.get("statement")
    document["Statement"] = [
        _statement(s) for s in (statements if isinstance(statements, list) else [])
    ]
    return document


def _statement(block: Any) -> dict[str, Any]:
    block = block if isinstance(block, Mapping) else {}
    out: dict[str, Any] = {}
    if sid := scalar_text(block.get("sid")):
        out["Sid"] = sid
    out["Effect"] = scalar_text(block.get("effect")) or "Allow"
    for key, name in _LISTS.items():
        values = _strings(block.get(key))
        if values:
            out[name] = _one_or_many(values)
    for key, name in _PRINCIPALS.items():
        principals = _principals(block.get(key))
        if principals is not None:
            out[name] = principals
    conditions = _conditions(block.get("condition"))
    if conditions:
        out["Condition"] = conditions
    return out


def _principals(blocks: Any) -> Any:
    if not isinstance(blocks, list) or not blocks:
        return None
    by_type: dict[str, list[str]] = {}
    for block in blocks:
        if not isinstance(block, Mapping):
            continue
        kind = scalar_text(block.get("type")) or UNKNOWN
        for identifier in _strings(block.get("identifiers")):
            if identifier not in by_type.setdefault(kind, []):
                by_type[kind].append(identifier)
    if list(by_type) == ["*"] and by_type["*"] == ["*"]:
        return "*"
    return {kind: _one_or_many(ids) for kind, ids in by_type.items()}


def _conditions(blocks: Any) -> dict[str, dict[str, Any]]:
    merged: dict[str, dict[str, list[str]]] = {}
    for block in blocks if isinstance(blocks, list) else []:
        if not isinstance(block, Mapping):
            continue
        test = scalar_text(block.get("test")) or UNKNOWN
        variable = scalar_text(block.get("variable")) or UNKNOWN
        values = merged.setdefault(test, {}).setdefault(variable, [])
        values.extend(v for v in _strings(block.get("values")) if v not in values)
    return {
        test: {variable: _one_or_many(values) for variable, values in variables.items()}
        for test, variables in merged.items()
    }


def _strings(value: Any) -> list[str]:
    """A set of strings as written (a single value as a set of one); repeats dropped."""
    items = value if isinstance(value, list) else [] if value is None else [value]
    out: list[str] = []
    for item in items:
        text = scalar_text(item) if item is not None else None
        if text is None and item is not None:
            text = UNKNOWN  # a list or map where a string belongs: not known as one
        if text is not None and text not in out:
            out.append(text)
    return out


def _one_or_many(values: list[str]) -> Any:
    return values[0] if len(values) == 1 else values
