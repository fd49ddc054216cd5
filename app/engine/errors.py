"""Engine errors: input the engine cannot interpret at all; a JSON pointer, never HTTP."""

from __future__ import annotations


class EngineError(Exception):
    """Base of every error the engine raises."""

    def __init__(self, message: str, pointer: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.pointer = pointer


class PipelineParseError(EngineError):
    """A pipeline definition that cannot be read as a pipeline."""


class ProfileDefinitionError(EngineError):
    """A permission profile whose document does not follow the profile schema."""
