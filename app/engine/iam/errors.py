"""Error and issue types raised or reported by the IAM engine.

They carry JSON pointers into the caller's input, never transport concepts: the layer that
exposes the engine decides how a problem is presented.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from app.engine.errors import EngineError


class IssueCode(StrEnum):
    """Stable codes for structural problems the parser tolerates but a validator must report."""

    DUPLICATE_KEY = "duplicate-key"
    WRONG_TYPE = "wrong-type"
    UNKNOWN_ELEMENT = "unknown-element"
    EMPTY_STATEMENT = "empty-statement"
    STATEMENT_NOT_OBJECT = "statement-not-object"
    MISSING_EFFECT = "missing-effect"
    MISSING_ACTION = "missing-action"
    ACTION_AND_NOT_ACTION = "action-and-not-action"
    MISSING_RESOURCE = "missing-resource"
    RESOURCE_AND_NOT_RESOURCE = "resource-and-not-resource"
    EMPTY_ARRAY = "empty-array"
    EMPTY_CONDITION_BLOCK = "empty-condition-block"
    PRINCIPAL_PRESENT = "principal-present"


@dataclass(frozen=True, slots=True)
class ParseIssue:
    code: IssueCode
    message: str
    pointer: str


class PolicyParseError(EngineError):
    """The input cannot be read as a policy at all; anything milder becomes a ParseIssue."""

    def __str__(self) -> str:
        return f"{self.message} (at {self.pointer or '/'})"


class GlobLimitExceededError(EngineError):
    """Both containment procedures hit their caps, so no witness could be decided."""
