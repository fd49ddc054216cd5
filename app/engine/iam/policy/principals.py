"""A resource-based policy statement's Principal or NotPrincipal element, as written, and when
one element names every principal another names."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class PrincipalElement:
    """A statement's Principal or NotPrincipal: `entries` are (type, value) pairs; `everyone`
    for `"*"`. `present` is False when the statement has neither element [R5.4]."""

    negated: bool
    everyone: bool
    entries: tuple[tuple[str, str], ...]
    present: bool = True


ABSENT = PrincipalElement(False, False, (), present=False)


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        yield from (v for v in value if isinstance(v, str))


def principal_element(raw: Mapping[str, Any]) -> PrincipalElement:
    """The Principal (or, without one, NotPrincipal) element of one statement as written."""
    negated = "Principal" not in raw and "NotPrincipal" in raw
    value = raw.get("NotPrincipal" if negated else "Principal")
    if value is None:
        return ABSENT
    if value == "*":
        return PrincipalElement(negated, True, ())
    entries: list[tuple[str, str]] = []
    if isinstance(value, Mapping):
        for kind, listed in value.items():
            entries.extend((str(kind), v) for v in _strings(listed))
    return PrincipalElement(negated, False, tuple(entries))


def names_all_of(outer: PrincipalElement, inner: PrincipalElement) -> bool:
    """Every principal `inner` names is named by `outer` as well, read literally: `"*"` names
    everyone and `{"AWS": "*"}` every AWS principal; otherwise only the same entry counts. No
    entry stands for another: an account's root delegates to the account's IAM policies, it
    does not name the account's roles (a key policy's root statement grants no role the key),
    and an account ID is not matched to its root ARN. Without either element on both sides (an
    identity policy's statements), the statements apply to the same principal."""
    if not outer.present or not inner.present:
        return not outer.present and not inner.present
    if outer.everyone and not outer.negated:
        return True
    if outer.negated or inner.negated:
        same = (outer.everyone, set(outer.entries)) == (inner.everyone, set(inner.entries))
        return outer.negated and inner.negated and same
    if inner.everyone:
        return False
    named = set(outer.entries)
    return all(
        entry in named or (entry[0] == "AWS" and ("AWS", "*") in named) for entry in inner.entries
    )
