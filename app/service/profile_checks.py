"""What a profile document must pass to be published, by the API or by the seed.

The schema (app.engine.profile_schema) is checked where the document is read; here the
document's actions are checked against the IAM catalogue in use, and the grants that need a
stated reason (app.engine.profile_grants) against who publishes: a reasoned one needs an
`admin` key through the API (the seed publishes the shipped files, every reason read in review).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.engine.errors import ProfileDefinitionError
from app.engine.iam.catalog import Catalog
from app.engine.json_pointer import pointer_join, pointer_tokens
from app.engine.profile_extends import extended_key, place_in_written
from app.engine.profile_grants import grant_issues
from app.engine.profile_schema import ProfileDocument
from app.service.errors import InvalidInputError


def check_grants(
    document: ProfileDocument,
    catalog: Catalog,
    *,
    reasoned_grants_allowed: bool,
    pointer: str = "",
    written: Mapping[str, Any] | None = None,
) -> None:
    """ProfileDefinitionError naming every action the catalogue does not know and every grant
    that needs a reason and has none, or has one its publisher may not grant. A document resolved
    from one that extends another (`written`) is checked whole, inherited statements too (a
    publisher cannot take grants it may not publish from another profile); a problem in a part
    taken from the parent is located at `/extends`."""
    parent = extended_key(written) if written is not None else None
    problems: list[tuple[str, str]] = []
    for issue in grant_issues(document, catalog):
        if not issue.needs_reason:
            message = issue.message
        elif not issue.reasoned:
            message = (
                f"{issue.message}; a statement that needs this states why in `risk_reason` "
                "(and is published with an `admin` key)"
            )
        elif not reasoned_grants_allowed:
            message = (
                f"{issue.message}; the statement states its `risk_reason`, but publishing it "
                "needs an `admin` key"
            )
        else:
            continue
        if written is not None and parent is not None:
            problems.append(
                place_in_written(written, pointer_tokens(issue.pointer), message, pointer, parent)
            )
        else:
            problems.append((pointer + issue.pointer, message))
    if problems:
        raise ProfileDefinitionError.of(problems)


def check_storable(value: Any, pointer: str = "") -> None:
    """Refuse NUL in text, which the schema lets through and PostgreSQL cannot store (a profile
    document holds only text, booleans, lists and objects)."""
    if isinstance(value, str):
        if "\x00" in value:
            raise InvalidInputError("text must not contain NUL characters", pointer=pointer or "/")
    elif isinstance(value, dict):
        for k, v in value.items():
            check_storable(str(k), pointer)
            check_storable(v, pointer_join(pointer, str(k)))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            check_storable(v, pointer_join(pointer, i))
