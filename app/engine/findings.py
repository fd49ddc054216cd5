"""Findings are data: typed, located, with stable codes (Access Analyzer's finding types)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class FindingType(StrEnum):
    ERROR = "ERROR"
    SECURITY_WARNING = "SECURITY_WARNING"
    WARNING = "WARNING"
    SUGGESTION = "SUGGESTION"


SEVERITY_ORDER = {
    FindingType.SUGGESTION: 0,
    FindingType.WARNING: 1,
    FindingType.SECURITY_WARNING: 2,
    FindingType.ERROR: 3,
}


MAX_MESSAGE_CHARS = 1_000


@dataclass(frozen=True)
class Finding:
    code: str
    finding_type: FindingType
    message: str
    path: str = ""
    detail: Mapping[str, Any] = field(default_factory=dict)
    # Line in the source text (CloudFormation or Terraform input), when known.
    line: int | None = None

    def __post_init__(self) -> None:
        # Messages quote the values they are about; a 4 MB name must not make a 4 MB message.
        if len(self.message) > MAX_MESSAGE_CHARS:
            cut = self.message[: MAX_MESSAGE_CHARS - 1] + "…"
            object.__setattr__(self, "message", cut)

    def sort_key(self) -> tuple[int, str, str, str]:
        return (-SEVERITY_ORDER[self.finding_type], self.path, self.code, self.message)


def escape_pointer_token(token: str) -> str:
    """RFC 6901 escaping of one reference token."""
    return token.replace("~", "~0").replace("/", "~1")


def pointer_join(base: str, *tokens: str | int) -> str:
    out = base
    for token in tokens:
        text = token if isinstance(token, str) else str(token)
        if "~" in text or "/" in text:
            text = escape_pointer_token(text)
        out += "/" + text
    return out
