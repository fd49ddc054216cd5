"""Profiles that extend another: a document resolved with its parent's.

A document with `extends` names the action type whose profile it builds on (its parent). The
resolved document is the parent's, with the child's own `action_type`, `title`,
`supported_since` and `effective_date`, `sources` merged by id (the child's winning), and each of
`notes`, `pitfalls`, `statements`, `structure` and `companions` the child writes in place of the
parent's.
The parent must extend none (one level: no chains, so no cycles). The resolved document is
checked against the schema as a whole; a problem in a part the parent gave is reported at
`/extends`, naming where it is in the parent.

Which revision of the parent a child resolves with is the caller's choice: the service takes the
parent's revision in the same profile set as the child's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from app.engine.errors import ProfileDefinitionError
from app.engine.json_pointer import pointer_join
from app.engine.pipeline.model import ActionTypeKey
from app.engine.profile_schema import ProfileDocument, validate_document
from app.engine.strict_model import did_you_mean, loc_pointer

# The parts a child takes from its parent unless it writes them (sources merge instead).
INHERITED = ("notes", "pitfalls", "statements", "structure", "companions")


def extended_key(document: Mapping[str, Any]) -> ActionTypeKey | None:
    """The action type a written document extends; None when it extends none (or `extends`
    is not an action type key, which the schema reports)."""
    parent = document.get("extends")
    if not isinstance(parent, Mapping):
        return None
    parts = [parent.get(p) for p in ("category", "owner", "provider", "version")]
    if not all(isinstance(p, str) for p in parts):
        return None
    return ActionTypeKey(*(str(p) for p in parts))


def merged_document(child: Mapping[str, Any], parent: Mapping[str, Any]) -> dict[str, Any]:
    """The child's document with what it does not write taken from the parent's."""
    out = {key: parent[key] for key in INHERITED if key in parent}
    out.update((key, value) for key, value in child.items() if key != "extends")
    out["sources"] = {**(parent.get("sources") or {}), **(child.get("sources") or {})}
    return out


def _problem(pointer: str, message: str) -> ProfileDefinitionError:
    return ProfileDefinitionError.of([(pointer_join(pointer, "extends"), message)])


def resolve_document(
    child: Mapping[str, Any],
    parent: Mapping[str, Any] | None,
    pointer: str = "",
    *,
    known: Iterable[ActionTypeKey] = (),
) -> ProfileDocument:
    """The child's document resolved with its parent's document (None: the parent has no
    profile), checked against the schema: ProfileDefinitionError naming every problem, each at
    its pointer under `pointer`. A document that extends none is checked as it is; `known`
    names the action types with a profile, to suggest the one meant."""
    written = validate_document(child, pointer)
    if written.extends is None:
        return written
    wanted = written.extends.key
    if parent is None:
        meant = did_you_mean(wanted.label, [k.label for k in known])
        hint = f"; did you mean `{meant}`?" if meant else ""
        raise _problem(pointer, f"`{wanted.label}` has no profile to extend{hint}")
    grandparent = extended_key(parent)
    if grandparent is not None:
        if grandparent == written.action_type.key:
            message = (
                f"`{wanted.label}` extends this profile: two profiles cannot extend each other"
            )
        else:
            message = (
                f"`{wanted.label}` extends `{grandparent.label}` itself; a profile can extend "
                "only one that extends none"
            )
        raise _problem(pointer, message)
    merged = merged_document(child, parent)
    try:
        return ProfileDocument.model_validate(merged)
    except ValidationError as error:
        raise ProfileDefinitionError.of(
            [
                place_in_written(child, loc, message, pointer, wanted)
                for loc, message in ((tuple(e["loc"]), str(e["msg"])) for e in error.errors())
            ]
        ) from None


def place_in_written(
    child: Mapping[str, Any],
    loc: Sequence[Any],
    message: str,
    pointer: str,
    parent: ActionTypeKey,
) -> tuple[str, str]:
    """(pointer, message) of a problem at `loc` of a resolved document: at its place in the
    child (under `pointer`) when the child wrote that part, else at `/extends`, the message
    saying where in the parent's part it is."""
    top = loc[0] if loc else None
    written = top in child and (
        top != "sources" or len(loc) < 2 or loc[1] in (child.get("sources") or {})
    )
    if written or top is None:
        return loc_pointer(loc, pointer), message
    inherited = loc_pointer(loc)
    return (
        pointer_join(pointer, "extends"),
        f"{message} (at `{inherited}`, taken from the profile of `{parent.label}`)",
    )
