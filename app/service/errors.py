"""Errors of the use cases. They carry no HTTP; app.api.problems maps them to statuses."""

from __future__ import annotations


class UseCaseError(Exception):
    def __init__(self, detail: str, *, pointer: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.pointer = pointer


class MissingError(UseCaseError):
    """The thing named does not exist."""


class ExistsError(UseCaseError):
    """The thing to create exists, or the change conflicts with the current state."""


class StaleRevisionError(UseCaseError):
    """The caller's view of the current revision is out of date (a lost update was prevented)."""


class InvalidInputError(UseCaseError):
    """The input is well-formed but not acceptable."""


class UnknownPinError(InvalidInputError):
    """A pinned profile revision that does not exist."""
