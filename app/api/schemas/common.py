"""Schemas shared by every decision endpoint.

Each model is the one definition of its shape: it defines the OpenAPI document, validates
request bodies, and is what a route answers (sent by app/api/model_response.py). A part of an
answer (an `Answer`) is read from the engine's result of the same shape by attribute, its
aliases naming the attributes called otherwise: the compiled validator reads a whole list of
them in one call (`read`), where building each model from Python would cost more than the rest
of the answer's work together."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Annotated, Any, Literal, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter
from pydantic.config import JsonDict
from pydantic.json_schema import SkipJsonSchema

from app.engine.findings import Finding
from app.service.provenance import Provenance


def no_default(schema: JsonDict) -> None:
    """For a member left out when it has no value: its schema has no `default: null`."""
    schema.pop("default", None)


class Schema(BaseModel):
    # Answers send every field (null where there is no value), so an answer's schema lists its
    # fields with defaults as required too, and a generated client reads them without a check;
    # a request's schema still leaves them optional.
    model_config = ConfigDict(extra="forbid", json_schema_serialization_defaults_required=True)


class Answer(Schema):
    """A part of an answer, read from an engine object by attribute (see the module's note).
    Its aliases name the engine's attributes; a client reads the JSON by the field names."""

    model_config = ConfigDict(from_attributes=True, validate_by_name=True)


T = TypeVar("T")


def read(adapter: TypeAdapter[T], source: Any) -> T:
    """`source` (engine objects) as `adapter`'s type of answer parts, read by attribute."""
    return adapter.validate_python(source, from_attributes=True)


# The cursor of the next page of a list; on the last page the member is absent (not null), and
# the OpenAPI document says so: a string, not required.
NextCursor = Annotated[
    str | SkipJsonSchema[None],
    Field(
        description="pass as `?cursor=` for the next page; absent on the last page",
        exclude_if=lambda cursor: cursor is None,
        json_schema_extra=no_default,
    ),
]


# Ids and revision numbers are 32-bit integers in the database: a larger one in a request is a
# 422, not an overflow in the driver.
INT32_MAX = 2**31 - 1

_ACTION_TYPE = r"^[0-9A-Za-z_-]+/[0-9A-Za-z_-]+/[0-9A-Za-z_-]+/[0-9A-Za-z_-]+$"


class ProfilePinIn(Schema):
    action_type: str = Field(pattern=_ACTION_TYPE, examples=["Source/AWS/CodeCommit/1"])
    revision: int = Field(ge=1, le=INT32_MAX)


class ProfileSelectionIn(Schema):
    """Leave out for the profiles in force now."""

    as_of: dt.date | None = Field(
        default=None,
        description="the profiles (and their statements) in force on this date, e.g. the day "
        "the role was created",
    )
    set_revision: int | None = Field(
        default=None, ge=1, le=INT32_MAX, description="a profile-set revision"
    )
    pins: list[ProfilePinIn] = Field(default_factory=list, max_length=100)


class CatalogRef(Answer):
    source: str
    version: str
    date: str
    sha256: str
    actions: int


class ProfileRef(Schema):
    action_type: str = Field(examples=["Source/AWS/CodeCommit/1"])
    revision: int


class ProvenanceOut(Schema):
    catalog: CatalogRef | None = Field(description="IAM action catalogue snapshot used, if any")
    profile_set_revision: int
    profiles: list[ProfileRef] = Field(description="profile revisions the answer used")
    service_version: str

    @classmethod
    def of(cls, p: Provenance) -> Self:
        return cls(
            catalog=CatalogRef.model_validate(p.catalog) if p.catalog else None,
            profile_set_revision=p.profile_set_revision,
            profiles=[ProfileRef(action_type=k.label, revision=r) for k, r in p.profiles],
            service_version=p.service_version,
        )


class FindingOut(Answer):
    code: str = Field(description="stable machine-readable code")
    finding_type: Literal["ERROR", "SECURITY_WARNING", "WARNING", "SUGGESTION"]
    message: str
    path: str = Field(description="JSON pointer into the request")
    detail: dict[str, Any] = Field(default_factory=dict)
    line: int | None = Field(default=None, description="line in the source text, when known")

    @staticmethod
    def all(findings: Iterable[Finding]) -> list[FindingOut]:
        return read(FINDINGS, findings)


FINDINGS = TypeAdapter(list[FindingOut])


def decision_fields(p: Provenance) -> dict[str, Any]:
    """The fields every decision response begins with (its id and what it was decided on), as
    keyword arguments of its model."""
    return {"decision_id": p.decision_id, "provenance": ProvenanceOut.of(p)}
