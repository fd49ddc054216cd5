"""The policy documents a request names: given inline, or a baseline by name."""

from __future__ import annotations

from typing import Any

from app.api.deps import Services
from app.api.problems import UnprocessableInputError
from app.api.schemas.diff import PolicyIn
from app.engine.json_pointer import pointer_join


def policy_documents(services: Services, source: PolicyIn, pointer: str) -> tuple[list[Any], str]:
    """The documents, and the JSON pointer their own pointers are relative to."""
    if source.baseline is not None:
        where = pointer_join(pointer, "baseline")
        baseline = services.baselines.get(source.baseline)
        if baseline is None:
            raise UnprocessableInputError(f"no baseline named `{source.baseline}`", pointer=where)
        return [baseline.document], where
    return list(source.documents or []), pointer_join(pointer, "documents")
