"""Answers already given, kept by the request that asked for them.

A decision (compute, diff, evaluate, pipeline validation) that names no profile selection and
no stored baseline is a function of the request's bytes and format, the profile set and the
catalogue, and nothing else: the same request asked again (a CI job re-run on an unchanged
pipeline, a UI rendering a page again) gets the bytes computed the first time, with a decision
id of its own. The basis (the profile set and catalogue objects the answers were computed with) is
compared by identity: a new profile-set or catalogue revision is a new object, and the first
answer put with it empties the cache. The cache is bounded by the bytes it holds (keys and
bodies), least recently used out first; an answer larger than a sixteenth of the bound is not
kept, so one large request cannot empty it.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass

# What an answer depends on besides the basis: the request's path, query, headers and body.
AnswerKey = tuple[Hashable, ...]

# What an entry costs beyond its bytes: the key tuple and its strings, the bytes objects' headers,
# the entry, the ordered dict's node (about 480 bytes measured with tracemalloc).
_ENTRY_OVERHEAD = 512


@dataclass(frozen=True, slots=True)
class CachedAnswer:
    body: bytes
    media_type: str
    verdicts: tuple[str, ...]  # what the decisions counter records for this answer
    headers: tuple[tuple[str, str], ...] = ()  # the answer's own headers (X-Findings)
    # Where the answer's decision id sits in `body`, and its length; every hit gets a new id.
    decision_id_at: int | None = None
    decision_id_length: int = 0

    def fresh_body(self) -> bytes:
        at = self.decision_id_at
        if at is None:
            return self.body
        return b"".join(
            (self.body[:at], str(uuid.uuid4()).encode(), self.body[at + self.decision_id_length :])
        )


def cached_answer(
    body: bytes,
    media_type: str,
    verdicts: tuple[str, ...],
    decision_id: str,
    headers: tuple[tuple[str, str], ...] = (),
) -> CachedAnswer:
    """The answer as it will be kept; its decision id, if `body` holds it, is marked for renewal."""
    encoded = decision_id.encode()
    at = body.find(encoded) if decision_id else -1
    return CachedAnswer(
        body=body,
        media_type=media_type,
        verdicts=verdicts,
        headers=headers,
        decision_id_at=at if at >= 0 else None,
        decision_id_length=len(encoded) if at >= 0 else 0,
    )


def _size(key: AnswerKey, answer: CachedAnswer) -> int:
    key_bytes = sum(len(part) for part in key if isinstance(part, bytes | str))
    header_bytes = sum(len(k) + len(v) for k, v in answer.headers)
    return key_bytes + len(answer.body) + header_bytes + 8 * len(answer.verdicts) + _ENTRY_OVERHEAD


class AnswerCache:
    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[AnswerKey, tuple[CachedAnswer, int]] = OrderedDict()
        self._basis: tuple[object, ...] = ()
        self._bytes = 0
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.max_bytes > 0

    @property
    def held_bytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: AnswerKey, basis: tuple[object, ...]) -> CachedAnswer | None:
        """The answer kept for `key`, if it was computed on this very basis."""
        with self._lock:
            if not _same(basis, self._basis):
                return None
            entry = self._entries.get(key)
            if entry is None:
                return None
            self._entries.move_to_end(key)
            return entry[0]

    def put(self, key: AnswerKey, basis: tuple[object, ...], answer: CachedAnswer) -> None:
        size = _size(key, answer)
        if size > self.max_bytes // 16:
            return
        with self._lock:
            if not _same(basis, self._basis):
                # Answers of another profile set or catalogue are never right again.
                self._entries.clear()
                self._bytes = 0
                self._basis = basis
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._entries[key] = (answer, size)
            self._bytes += size
            while self._bytes > self.max_bytes:
                _, (_, evicted) = self._entries.popitem(last=False)
                self._bytes -= evicted


def _same(a: tuple[object, ...], b: tuple[object, ...]) -> bool:
    return len(a) == len(b) and all(x is y for x, y in zip(a, b, strict=True))
