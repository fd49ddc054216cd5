"""Errors of the use cases. They carry no HTTP; app.api.problems maps them to statuses."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any


class UseCaseError(Exception):
    # Facts the caller can act on, beyond the detail (problem+json extension members).
    members: Mapping[str, Any] = MappingProxyType({})

    def __init__(self, detail: str, *, pointer: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.pointer = pointer


class MissingError(UseCaseError):
    """The thing named does not exist."""


class ExistsError(UseCaseError):
    """The thing to create exists, or the change conflicts with the current state."""


class ForceRequiredError(ExistsError):
    """The change would break what is in use (`members` says how); an admin may force it."""

    def __init__(self, detail: str, *, members: Mapping[str, Any]) -> None:
        super().__init__(detail)
        self.members = members


class StaleRevisionError(UseCaseError):
    """The caller's view of the current revision is out of date (a lost update was prevented)."""


class InvalidInputError(UseCaseError):
    """The input is well-formed but not acceptable."""


class TooLargeError(InvalidInputError):
    """The input is, or expands to, more than the service is configured to hold."""


class UnknownPinError(InvalidInputError):
    """A pinned profile revision that does not exist."""
