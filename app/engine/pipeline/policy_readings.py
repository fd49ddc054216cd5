"""An identity policy whose values a template does not all determine, read two ways.

Widened, a value the template does not determine reads `*`: `Resource: !Ref BucketParam` would
grant every bucket, an unknown Action every action. A current policy is read instead between
two bounds. In the `sure` reading a statement applies as little as its undetermined values
allow if it is an Allow, as much as they allow if it is a Deny: what it grants then, it grants
whatever the values are. The `possible` reading is the other way round: what it may grant.

A statement applies more where an undetermined part of its Action, Resource or Principal is
widened to `*` and less where the part is kept as the marker, a character no action or ARN
holds, so that it matches nothing (NotAction, NotResource and NotPrincipal the other way: an
item kept as the marker would except nothing, so it is left out). A
condition test whose operator, key or values are undetermined is dropped where the statement
applies more (a test left out always holds); where it applies less the statement applies to no
action at all, since whether the test may hold is not known. An undetermined Effect is an
Allow in the `possible` reading and a Deny in the `sure` one. Statements keep their places, so
a statement of either reading is found where the template writes it.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Mapping
from typing import Any

from app.engine.pipeline.template_values import (
    UNKNOWN,
    PolicyReadings,
    TemplatePolicy,
    decoded,
    undetermined_places,
    widen,
)


def _holds_unknown(value: Any) -> bool:
    """Whether a value holds a part the template does not determine, in a name or a value."""
    return bool(undetermined_places(value, ""))


# A statement's members that name what it applies to, and those that name what it does not.
_APPLIES_TO = frozenset({"Action", "Resource", "Principal"})
_EXCEPT = {"NotAction": "Action", "NotResource": "Resource", "NotPrincipal": "Principal"}


def template_policy(
    resolved: Any, pointer: str, line_of: Callable[[str], int | None]
) -> TemplatePolicy:
    """A resolved policy document (an object, or JSON text) that sits at `pointer`, widened,
    read both ways, with the places of the values the template does not determine."""
    places = undetermined_places(resolved, pointer)
    return TemplatePolicy(
        widened_document(resolved),
        pointer,
        policy_readings(resolved),
        tuple((place, line_of(place)) for place in places),
    )


def policy_readings(resolved: Any) -> PolicyReadings:
    """The `sure` and `possible` readings of a resolved policy document (an object, or JSON
    text), the parts the template does not determine being the UNKNOWN marker."""
    document = decoded(resolved)
    if not (isinstance(document, Mapping) and undetermined_places(document, "")):
        widened = widened_document(resolved)
        return PolicyReadings(widened, widened)
    return PolicyReadings(_document(document, sure=True), _document(document, sure=False))


def widened_document(resolved: Any) -> Any:
    """A resolved policy document widened, JSON text decoded (text that is not JSON stays
    text: the diff reports it at its place)."""
    document = _widened(resolved)
    if isinstance(document, str):
        with contextlib.suppress(ValueError):
            document = json.loads(document)
    return document


def _document(document: Mapping[str, Any], *, sure: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in document.items():
        if key != "Statement":
            out[widen(str(key))] = _widened(value)
        elif isinstance(value, list):
            out[key] = [_statement(s, sure=sure) for s in value]
        else:
            out[key] = _statement(value, sure=sure)
    return out


def _statement(statement: Any, *, sure: bool) -> Any:
    if not isinstance(statement, Mapping):
        return _widened(statement)  # no statement: the diff reports it at its place
    effect = statement.get("Effect")
    if _holds_unknown(effect):
        effect = "Deny" if sure else "Allow"
    # A Deny applies as far as it may in the sure reading, an Allow in the possible one.
    wider = (effect == "Deny") == sure
    condition = statement.get("Condition")
    out: dict[str, Any] = {}
    for key, value in statement.items():
        if key == "Effect":
            out[key] = _widened(effect)
        elif key in _APPLIES_TO:
            out[key] = _widened(value) if wider else value
        elif key in _EXCEPT and wider:
            out.update(_excepting_nothing_unknown(key, value))
        elif key in _EXCEPT:
            out[key] = _widened(value)
        elif key == "Condition" and _holds_unknown(value):
            if wider and isinstance(value, Mapping):
                if held := _determined_tests(value):
                    out[key] = held
            elif not wider:
                out[key] = _widened(value)
        else:
            out[widen(str(key))] = _widened(value)
    if not wider and _holds_unknown(condition):
        return _applying_to_nothing(out)
    return out


def _excepting_nothing_unknown(key: str, value: Any) -> dict[str, Any]:
    """A NotAction, NotResource or NotPrincipal that excepts nothing by the items the template
    does not determine (an item that matches nothing excepts nothing): without them, or, when
    no other is left, the statement for everything (`Action: *`, ...). The wider readings,
    which the patched policy's Deny statements come from, keep no marker."""
    items = value if isinstance(value, list) else [value]
    kept = [item for item in items if not _holds_unknown(item)]
    if not kept:
        return {_EXCEPT[key]: "*"}
    return {key: kept if isinstance(value, list) else kept[0]}


def _determined_tests(condition: Mapping[str, Any]) -> dict[str, Any]:
    """The condition without the tests it does not determine (each of them may hold)."""
    out: dict[str, Any] = {}
    for operator, tests in condition.items():
        if _holds_unknown(operator) or not isinstance(tests, Mapping):
            continue
        kept = {k: v for k, v in tests.items() if not _holds_unknown(k) and not _holds_unknown(v)}
        if kept:
            out[operator] = kept
    return out


def _applying_to_nothing(statement: dict[str, Any]) -> dict[str, Any]:
    """The statement for no action: its Action (or NotAction) becomes the marker, in place."""
    actions = ("Action", "NotAction")
    return {
        ("Action" if key in actions else key): (UNKNOWN if key in actions else value)
        for key, value in statement.items()
    }


def _widened(value: Any) -> Any:
    """`widen`, names of members too (a condition key the template does not determine)."""
    if isinstance(value, Mapping):
        return {widen(str(k)): _widened(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_widened(v) for v in value]
    return widen(value)
