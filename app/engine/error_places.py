"""Where each error of a pydantic validation is in the document validated, as a JSON pointer.

A pydantic location mixes places of the document (keys, indexes) with names that are none: the
union member that failed (`str`, `dict[str,any]`, `list[str]`, `function-after[f(), str]`, a
model's name, a discriminator's value) and `[key]` for an error in a mapping's key. A name is
not told from a key by its spelling (a mapping may have a key `str`), so the document decides:
a part is a place when the document has it there, or when it is the last part of an error about
something inside (a field the document leaves out); the rest name union members.

A value no member of a union accepts fails once per member, all at the same place. The problem
is then said once: the members that got further into the value (a list whose item is wrong)
speak for the union; when none did, their messages are joined in one entry.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.engine.json_pointer import pointer_join

# Pydantic adds this to the location of an error in a mapping's key.
KEY_MARKER = "[key]"
_MISSING = "missing"  # and `missing_argument` and the like
# How pydantic begins the messages of most type errors ("Input should be a valid string").
_SHOULD = "Input should be "


@dataclass(frozen=True)
class _PlacedError:
    steps: tuple[str | int, ...]  # the places in the document, outermost first
    union_depth: int | None  # how many of them lead to the outermost union that failed
    member: str  # the name of its member that failed ("" outside a union)
    message: str


def _holds(node: Any, part: Any) -> bool:
    if isinstance(node, Mapping):
        return part in node
    return isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)


def _about_node(error: Mapping[str, Any], node: Any) -> bool:
    """Whether the error is about `node` itself: pydantic gives the value that failed, and a
    field that is missing is reported with the object it is missing from."""
    return not str(error["type"]).startswith(_MISSING) and error.get("input") is node


def _placed(error: Mapping[str, Any], document: Any) -> _PlacedError:
    loc = tuple(error["loc"])
    steps: list[str | int] = []
    union_depth: int | None = None
    member = ""
    node, known = document, True
    for index, part in enumerate(loc):
        if part == KEY_MARKER:
            continue
        last = index == len(loc) - 1
        if not known:  # below a field the document leaves out: every part is taken as a place
            steps.append(part)
        elif _holds(node, part) and not (last and _about_node(error, node)):
            steps.append(part)
            node = node[part]
        elif last and isinstance(node, Mapping) and not _about_node(error, node):
            steps.append(part)  # a field the document leaves out
            known = False
        elif union_depth is None:
            union_depth, member = len(steps), str(part)
    return _PlacedError(tuple(steps), union_depth, member, str(error.get("msg", "")))


def _either(messages: Iterable[str]) -> str:
    distinct = list(dict.fromkeys(messages))
    if all(m.startswith(_SHOULD) for m in distinct):
        return _SHOULD + " or ".join(m.removeprefix(_SHOULD) for m in distinct)
    return "; or ".join(distinct)


def _said_once(errors: Sequence[_PlacedError]) -> list[tuple[tuple[str | int, ...], str]]:
    """(steps, message) of the errors, a union's members said once (see the module's note)."""
    further: dict[tuple[str | int, ...], set[str]] = {}
    for e in errors:
        if e.union_depth is not None:
            place = e.steps[: e.union_depth]
            went_in = {e.member} if len(e.steps) > len(place) else set()
            further[place] = further.get(place, set()) | went_in
    said: list[tuple[tuple[str | int, ...], list[str]]] = []
    of_unions: dict[tuple[str | int, ...], list[str]] = {}
    for e in errors:
        if e.union_depth is None:
            said.append((e.steps, [e.message]))
            continue
        went_in = further[e.steps[: e.union_depth]]
        if went_in and e.member not in went_in:
            continue
        if e.steps in of_unions:  # members that failed at one place are one problem there
            of_unions[e.steps].append(e.message)
        else:
            of_unions[e.steps] = [e.message]
            said.append((e.steps, of_unions[e.steps]))
    return [(steps, _either(messages)) for steps, messages in said]


def error_places(
    errors: Iterable[Mapping[str, Any]], document: Any, pointer: str = ""
) -> list[tuple[str, str]]:
    """(JSON pointer, message) of each problem of a validation of `document` (errors as
    pydantic's `ValidationError.errors()` gives them), under `pointer`."""
    placed = [_placed(e, document) for e in errors]
    return [(pointer_join(pointer, *steps), message) for steps, message in _said_once(placed)]
