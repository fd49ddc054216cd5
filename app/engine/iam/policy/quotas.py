"""IAM policy size quotas (white space not counted) and splitting into managed policies."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import orjson

MANAGED_POLICY_QUOTA = 6_144
ROLE_INLINE_QUOTA = 10_240
# The default quota of a role's trust policy (it may be raised to 4,096); S3 bucket policies
# hold at most 20 KB, KMS key policies 32 KB.
TRUST_POLICY_QUOTA = 2_048
BUCKET_POLICY_QUOTA = 20_480
KEY_POLICY_QUOTA = 32_768
MANAGED_POLICIES_PER_ROLE = 10
MANAGED_POLICIES_PER_ROLE_MAX = 20
# {"Version":"2012-10-17","Statement":[]} around the statements of one part.
_DOCUMENT_OVERHEAD = 39

T = TypeVar("T")


@dataclass(frozen=True)
class SizeReport:
    characters: int
    managed_quota: int = MANAGED_POLICY_QUOTA
    inline_quota: int = ROLE_INLINE_QUOTA

    @property
    def fits_managed(self) -> bool:
        return self.characters <= self.managed_quota

    @property
    def fits_inline(self) -> bool:
        return self.characters <= self.inline_quota


_WHITESPACE = re.compile(r"\s+")
# What `\s` matches among ASCII characters.
_ASCII_WHITESPACE = b" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"


def policy_characters(document: Mapping[str, Any]) -> int:
    """Characters IAM counts: the compact JSON without any white space."""
    raw = orjson.dumps(document)
    if raw.isascii():
        # One byte per character: deleting the white-space bytes counts the rest in C.
        return len(raw.translate(None, _ASCII_WHITESPACE))
    text = raw.decode()
    return len(text) - sum(len(m) for m in _WHITESPACE.findall(text))


def measure(document: Mapping[str, Any]) -> SizeReport:
    return SizeReport(characters=policy_characters(document))


def split_statements(
    statements: Sequence[T],
    *,
    size_of: Callable[[T], int],
    quota: int = MANAGED_POLICY_QUOTA,
) -> list[list[T]]:
    """Greedy first-fit into parts of at most `quota` characters each, order kept within a part.

    A statement larger than a whole part gets a part of its own; the caller splits such
    statements before calling when it can.
    """
    budget = quota - _DOCUMENT_OVERHEAD
    parts: list[list[T]] = []
    used: list[int] = []
    for stmt in statements:
        size = size_of(stmt) + 1  # the separating comma
        for i, taken in enumerate(used):
            if taken + size <= budget:
                parts[i].append(stmt)
                used[i] += size
                break
        else:
            parts.append([stmt])
            used.append(size)
    return parts
