"""A role's policy documents as a request lists them, read the one way every decision reads them.

A request gives a role's documents as objects or as JSON text, in any mix. Each text is parsed
on its own, so its repeated keys and the pointers of its findings are located in it, as if it
had been given as an object; diff, evaluate and validate all read documents here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from app.engine.iam.errors import PolicyParseError
from app.engine.iam.policy.ir import ParsedPolicy, PolicyDocument
from app.engine.iam.policy.parse import (
    PolicySource,
    decode_document,
    parse_policy,
    require_document,
)
from app.engine.json_pointer import pointer_join

JsonDocument = tuple[Mapping[str, Any], str]


@dataclass(frozen=True)
class ReadDocuments:
    """The documents parsed, what they were read from (each source and its pointer), and
    where they are together: the one document's pointer, or the list's."""

    parsed: ParsedPolicy
    sources: tuple[tuple[Mapping[str, Any] | str | bytes, str], ...]
    pointer: str

    def json_documents(self) -> list[JsonDocument]:
        """Each document as JSON data, and where it is, in the order of `parsed.documents`;
        only the validator's rules need the policy as written, so only they decode it again."""
        return [
            located
            for source, at in self.sources
            for located in _json_documents(
                json.loads(source) if isinstance(source, str | bytes) else source, at
            )
        ]


def read_documents(documents: Sequence[Any], *, pointer: str) -> ReadDocuments:
    """A role's documents listed at `pointer`, each an object or JSON text.

    Raises PolicyParseError only for input with no policy shape."""
    if len(documents) == 1:
        return read_source(documents[0], pointer=pointer_join(pointer, 0))
    if not documents:
        raise PolicyParseError("the list of policy documents is empty", pointer)
    located = [
        (d if isinstance(d, str | bytes) else require_document(d, at), at)
        for d, at in ((d, pointer_join(pointer, i)) for i, d in enumerate(documents))
    ]
    return replace(read_located(located), pointer=pointer)


def read_located(documents: Sequence[tuple[Any, str]]) -> ReadDocuments:
    """Documents each at a pointer of its own (documents found in a template, say), each one
    document; they are numbered in the order given."""
    parts = [read_document(d, pointer=at) for d, at in documents]
    parsed = ParsedPolicy(
        tuple(
            _reindex(doc, i)
            for i, doc in enumerate(doc for part in parts for doc in part.parsed.documents)
        ),
        tuple(issue for part in parts for issue in part.parsed.issues),
    )
    return ReadDocuments(parsed, tuple(s for part in parts for s in part.sources), "")


def read_document(source: PolicySource, *, pointer: str) -> ReadDocuments:
    """The one document a place holds, at `pointer`: an object, or JSON text of one; anything
    else raises PolicyParseError there (decode_document). A text is then parsed as text, so
    that its repeated keys are reported."""
    decode_document(source, pointer)
    return read_source(source, pointer=pointer)


def read_source(source: PolicySource, *, pointer: str) -> ReadDocuments:
    """One document, or one JSON text, at `pointer`; a list is a role's documents."""
    if isinstance(source, list | tuple):
        return read_documents(source, pointer=pointer)
    return ReadDocuments(parse_policy(source, base_pointer=pointer), ((source, pointer),), pointer)


def _json_documents(data: Any, pointer: str) -> list[JsonDocument]:
    """(document, pointer) pairs in the order parse_policy numbers them."""
    if isinstance(data, Mapping):
        return [(data, pointer)]
    return [(doc, pointer_join(pointer, i)) for i, doc in enumerate(data)]


def _reindex(doc: PolicyDocument, index: int) -> PolicyDocument:
    return replace(
        doc,
        source_index=index,
        statements=tuple(replace(s, doc_index=index) for s in doc.statements),
    )
