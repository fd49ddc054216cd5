"""Schemas shared by every decision endpoint, and the functions that build their JSON.

The models define the OpenAPI document (and validate request bodies); responses are built as
plain dicts by the `*_json` functions, one per response shape, with exactly the model's fields in
its order (see app/api/json_body.py). Tuples are fine where a model has a list: orjson writes
them as arrays."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict
from pydantic.json_schema import SkipJsonSchema

from app.engine.findings import Finding
from app.service.provenance import CatalogInfo, Provenance


def no_default(schema: JsonDict) -> None:
    """For a member left out when it has no value: its schema has no `default: null`."""
    schema.pop("default", None)


class Schema(BaseModel):
    # Answers send every field (null where there is no value), so an answer's schema lists its
    # fields with defaults as required too, and a generated client reads them without a check;
    # a request's schema still leaves them optional.
    model_config = ConfigDict(extra="forbid", json_schema_serialization_defaults_required=True)


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


class CatalogRef(Schema):
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


class FindingOut(Schema):
    code: str = Field(description="stable machine-readable code")
    finding_type: Literal["ERROR", "SECURITY_WARNING", "WARNING", "SUGGESTION"]
    message: str
    path: str = Field(description="JSON pointer into the request")
    detail: dict[str, Any] = Field(default_factory=dict)
    line: int | None = Field(default=None, description="line in the source text, when known")


def catalog_ref_json(c: CatalogInfo) -> dict[str, Any]:
    """A CatalogRef."""
    return {
        "source": c.source,
        "version": c.version,
        "date": c.date,
        "sha256": c.sha256,
        "actions": c.actions,
    }


def provenance_json(p: Provenance) -> dict[str, Any]:
    """A ProvenanceOut."""
    return {
        "catalog": catalog_ref_json(p.catalog) if p.catalog else None,
        "profile_set_revision": p.profile_set_revision,
        "profiles": [{"action_type": k.label, "revision": r} for k, r in p.profiles],
        "service_version": p.service_version,
    }


def decision_json(p: Provenance) -> dict[str, Any]:
    """The fields every decision answer begins with: its id and what it was decided on."""
    return {"decision_id": p.decision_id, "provenance": provenance_json(p)}


def finding_json(f: Finding) -> dict[str, Any]:
    """A FindingOut."""
    return {
        "code": f.code,
        "finding_type": f.finding_type.value,
        "message": f.message,
        "path": f.path,
        "detail": dict(f.detail),
        "line": f.line,
    }


def findings_json(findings: Iterable[Finding]) -> list[dict[str, Any]]:
    return [finding_json(f) for f in findings]
