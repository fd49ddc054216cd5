"""Engine errors: input the engine cannot interpret at all; a JSON pointer, never HTTP."""

from __future__ import annotations

from collections.abc import Sequence


class EngineError(Exception):
    """Base of every error the engine raises.

    `problems` lists every (pointer, message) found, the first being `pointer` and `message`;
    most errors stop at their first problem and list only it.
    """

    def __init__(
        self, message: str, pointer: str = "", problems: Sequence[tuple[str, str]] = ()
    ) -> None:
        super().__init__(message)
        self.message = message
        self.pointer = pointer
        self.problems: tuple[tuple[str, str], ...] = tuple(problems) or ((pointer, message),)


class PipelineParseError(EngineError):
    """A pipeline definition that cannot be read as a pipeline."""


class ProfileDefinitionError(EngineError):
    """A permission profile whose document does not follow the profile schema."""

    @classmethod
    def of(cls, problems: Sequence[tuple[str, str]]) -> ProfileDefinitionError:
        """One error for several problems, named by the first."""
        pointer, message = problems[0]
        more = len(problems) - 1
        summary = message if not more else f"{message} (and {more} more problem(s))"
        return cls(summary, pointer, problems)
