"""The line of the place a JSON pointer names in a source text (JSON, YAML or Terraform).

Findings locate their subject with a JSON pointer into the document a parser read; people read
the file. A pointer is followed as far as the text has it, so a pointer past what is written (a
key the parser adds, an item an intrinsic function makes) answers with the line of the nearest
place written. Keys match exactly, else ignoring case, `_` and `-`: the pipeline model's
`roleArn` is the template's `RoleArn` and Terraform's `role_arn`.

JSON and YAML are read with cfn-lint's decoder (every key and value carries its line, JSON
with trailing commas and CloudFormation's short-form tags included); Terraform with
python-hcl2's grammar, as the Terraform reader does. In Terraform a pointer's `stage/1` is the
second `stage` block; past a `dynamic "stage"` block the count is not known from the text, and
the dynamic block's line answers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from app.engine.json_pointer import pointer_tokens
from app.engine.pipeline.terraform import (
    MAX_TERRAFORM_CHARS,
    _Block,
    _block_kind,
    _Body,
    _is_tree,
    _kind,
    _line,
    _name_of,
    _parts,
)

# `resource "aws_codepipeline" "name" {` at the start of a line: the text is Terraform.
_HCL_BLOCK = re.compile(r'^\s*[A-Za-z_][\w-]*(\s+"[^"\n]*")*\s*\{', re.MULTILINE)
_MAX_CHARS = 5_000_000  # the largest source text a request takes


def _loose(name: str) -> str:
    return name.lower().replace("_", "").replace("-", "")


def _match(names: Sequence[str], token: str) -> int | None:
    """The index of the name a pointer token means: exactly, else loosely."""
    if token in names:
        return names.index(token)
    loose = _loose(token)
    return next((i for i, n in enumerate(names) if _loose(n) == loose), None)


class SourceLines:
    """Lines of the places in one source text, found by JSON pointer; the text is read once."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._read = False
        self._document: Any = None
        self._terraform: _Body | None = None

    def line(self, pointer: str) -> int | None:
        """The 1-based line of the place `pointer` (relative to the text's root) names, or of
        the nearest enclosing place the text has; None when the text cannot be read."""
        self._load()
        tokens = pointer_tokens(pointer)
        if self._terraform is not None:
            return body_line(self._terraform, tokens, None)
        if self._document is not None:
            return document_line(self._document, tokens)
        return None

    def _load(self) -> None:
        if self._read:
            return
        self._read = True
        text = self._text
        stripped = text.lstrip("\ufeff \t\r\n")
        if not stripped or len(text) > _MAX_CHARS:
            return
        if stripped[0] not in "{[" and _HCL_BLOCK.search(text):
            self._terraform = _terraform_body(text)
        else:
            self._document = _decoded(text)


# -- JSON and YAML --------------------------------------------------------------------------------


def _decoded(text: str) -> Any:
    from cfnlint.decode import decode_str  # noqa: PLC0415 - ~1 s import, only when reading

    try:
        document, matches = decode_str(text)
    except Exception:  # a text the decoder cannot read has no lines to give
        return None
    return None if matches else document


def _mark_line(node: Any) -> int | None:
    mark = getattr(node, "start_mark", None)
    line = getattr(mark, "line", None)
    return line + 1 if isinstance(line, int) else None


def document_line(document: Any, tokens: Sequence[str]) -> int | None:
    node = document
    line = _mark_line(node) or 1
    for token in tokens:
        if isinstance(node, Mapping):
            keys = list(node)
            found = _match([str(k) for k in keys], token)
            if found is None:
                break
            key = keys[found]
            line = _mark_line(key) or _mark_line(node[key]) or line
            node = node[key]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
            line = _mark_line(node) or line
        else:
            break
    return line


# -- Terraform ------------------------------------------------------------------------------------


def _terraform_body(text: str) -> _Body | None:
    from hcl2.api import parses_to_tree  # noqa: PLC0415 - the grammar loads only when used

    if len(text) > MAX_TERRAFORM_CHARS:
        return None
    try:
        parts = _parts(parses_to_tree(text))
        return _Body.read(parts[0]) if parts else _Body()
    except Exception:  # lark's own exception classes; no lines to give
        return None


def body_line(body: _Body, tokens: Sequence[str], line: int | None) -> int | None:
    if not tokens:
        return line
    token, rest = tokens[0], tokens[1:]
    names = list(body.attributes)
    found = _match(names, token)
    if found is not None:
        attribute = body.attributes[names[found]]
        return expression_at(attribute.expr, rest, attribute.line or line, encoded=True)[1]
    kinds = [_block_kind(b) for b in body.blocks]
    found = _match(kinds, token)
    if found is None:
        return line
    kind = kinds[found]
    candidates = [b for b in body.blocks if _block_kind(b) == kind]
    labels = candidates[0].labels if candidates[0].type != "dynamic" else []
    if labels:  # `resource "type" "name"`: the next tokens are the labels
        for block in candidates:
            if list(rest[: len(block.labels)]) == block.labels:
                return body_line(block.body, rest[len(block.labels) :], block.line)
        return line
    if not rest or not rest[0].isdigit():
        return candidates[0].line
    return _nth_block_line(candidates, int(rest[0]), rest[1:], line)


def _nth_block_line(
    candidates: Sequence[_Block], index: int, rest: Sequence[str], line: int | None
) -> int | None:
    for block in candidates:
        if block.type == "dynamic":
            if index == 0:
                content = block.body.first("content")
                return body_line(content.body, rest, content.line) if content else block.line
            return block.line  # how many blocks it makes is not in the text
        if index == 0:
            return body_line(block.body, rest, block.line)
        index -= 1
    return line


def expression_at(
    node: Any, tokens: Sequence[str], line: int | None, *, encoded: bool = False
) -> tuple[Any, int | None, int]:
    """Into an object or tuple expression, as far as the tokens go: the expression reached, its
    line, and how many tokens were followed; with `encoded`, into the value a `jsonencode(...)`
    encodes too (the places of a policy document are those of the value it is written as)."""
    for followed, token in enumerate(tokens):
        while _kind(node) == "expr_term" and len(_parts(node)) == 1:
            node = _parts(node)[0]
        if encoded and (value := _encoded_value(node)) is not None:
            node = value
            while _kind(node) == "expr_term" and len(_parts(node)) == 1:
                node = _parts(node)[0]
        kind = _kind(node)
        if kind == "object":
            elements = [p for p in _parts(node) if p.data == "object_elem"]
            keys = [_object_key(e) for e in elements]
            found = _match(keys, token)
            if found is None:
                return node, line, followed
            line = _line(elements[found], line)
            node = _parts(elements[found])[-1]
        elif kind == "tuple" and token.isdigit() and int(token) < len(_parts(node)):
            node = _parts(node)[int(token)]
            line = _line(node, line)
        else:
            return node, line, followed
    return node, line, len(tokens)


def _encoded_value(node: Any) -> Any:
    """The one argument of a `jsonencode(...)` call; None for any other expression."""
    if _kind(node) != "function_call":
        return None
    parts = _parts(node)
    names = [_name_of(p) for p in parts if _is_tree(p) and p.data == "identifier"]
    arguments = next((p for p in parts if _is_tree(p) and p.data == "arguments"), None)
    if names != ["jsonencode"] or arguments is None or len(_parts(arguments)) != 1:
        return None
    return _parts(arguments)[0]


def _object_key(element: Any) -> str:
    key = _parts(element)[0]
    while _is_tree(key) and key.data in ("object_elem_key", "expr_term") and _parts(key):
        key = _parts(key)[0]
    return _name_of(key)
