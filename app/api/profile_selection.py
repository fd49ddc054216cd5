"""Which profile set a decision uses: the current one, or one as of a date, revision or pins."""

from __future__ import annotations

from app.api.deps import Services
from app.api.problems import UnprocessableInputError
from app.api.schemas.common import ProfileSelectionIn
from app.engine.json_pointer import pointer_join
from app.engine.pipeline.model import ActionTypeKey
from app.service.errors import MissingError, UnknownPinError
from app.service.profile_cache import LoadedProfileSet


def select_profiles(
    services: Services, selection: ProfileSelectionIn | None, pointer: str = "/profiles"
) -> LoadedProfileSet:
    if selection is None:
        return services.profiles.current
    pins: dict[ActionTypeKey, int] = {}
    for pin in selection.pins:
        category, owner, provider, version = pin.action_type.split("/")  # schema-checked
        pins[ActionTypeKey(category, owner, provider, version)] = pin.revision
    try:
        return services.profile_sets.get(
            as_of=selection.as_of, set_revision=selection.set_revision, pins=pins
        )
    except UnknownPinError as exc:
        index = next((i for i, p in enumerate(selection.pins) if p.action_type in exc.detail), 0)
        raise UnprocessableInputError(
            exc.detail, pointer=pointer_join(pointer, "pins", index)
        ) from None
    except MissingError as exc:
        raise UnprocessableInputError(
            exc.detail, pointer=pointer_join(pointer, "set_revision")
        ) from None
