"""API keys, the audit log and catalogue revisions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import Field

from app.api.schemas.common import CatalogRef, NextCursor, Schema
from app.service.api_keys import KeyScope, NewKey
from app.service.records import StoredApiKey, StoredAuditEvent, StoredCatalogRevision

PRINTABLE = r"^[\x20-\x7E]+$"


class KeyCreateIn(Schema):
    name: str = Field(min_length=1, max_length=100, pattern=PRINTABLE, examples=["ci-publisher"])
    scope: KeyScope = Field(description="read, write (implies read) or admin (implies write)")


class KeyOut(Schema):
    id: int
    prefix: str = Field(description="the public part of the key, `pp_<prefix>_…`")
    name: str
    scope: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None

    @classmethod
    def of(cls, k: StoredApiKey) -> KeyOut:
        return cls(
            id=k.id,
            prefix=k.prefix,
            name=k.name,
            scope=k.scope,
            created_at=k.created_at,
            revoked_at=k.revoked_at,
        )


class KeyCreatedOut(KeyOut):
    key: str = Field(description="the whole key; shown once, never stored")

    @classmethod
    def created(cls, new: NewKey) -> KeyCreatedOut:
        return cls(**KeyOut.of(new.stored).model_dump(), key=new.token)


class KeyListOut(Schema):
    items: list[KeyOut]
    next_cursor: NextCursor = None


class AuditEventOut(Schema):
    id: int
    at: dt.datetime
    key_id: int | None = Field(description="the API key that made the write; null for commands")
    action: str
    target: str
    before_revision: int | None
    after_revision: int | None
    detail: dict[str, Any]

    @classmethod
    def of(cls, e: StoredAuditEvent) -> AuditEventOut:
        return cls(
            id=e.id,
            at=e.at,
            key_id=e.key_id,
            action=e.action,
            target=e.target,
            before_revision=e.before_revision,
            after_revision=e.after_revision,
            detail=e.detail,
        )


class AuditListOut(Schema):
    items: list[AuditEventOut] = Field(description="newest first")
    next_cursor: NextCursor = None


class CatalogImportIn(Schema):
    """Either a snapshot (the bytes of a `.json.gz` snapshot, base64) or AWS Service Reference
    documents (one JSON object per service, as `https://servicereference.us-east-1.amazonaws.com`
    serves them) with their source version and date."""

    snapshot_base64: str | None = Field(default=None, description="a snapshot .json.gz, base64")
    service_reference: list[dict[str, Any]] | None = Field(
        default=None, min_length=1, description="Service Reference documents, one per service"
    )
    source: str = Field(default="aws:service-reference", max_length=100, pattern=PRINTABLE)
    source_version: str | None = Field(default=None, max_length=100, pattern=PRINTABLE)
    date: dt.date | None = Field(default=None, description="date of the Service Reference data")
    force: bool = Field(
        default=False,
        description="import even where it would be unsafe in place of the catalogue in use "
        "(it drops actions the profiles use, drops more than a tenth of the services or "
        "actions in use, or is far smaller than a real catalogue); recorded in the audit log",
    )


class CatalogRevisionOut(Schema):
    id: int
    source: str
    source_version: str
    date: dt.date
    sha256: str
    services: int
    actions: int
    imported_at: dt.datetime
    active: bool

    @classmethod
    def of(cls, r: StoredCatalogRevision) -> CatalogRevisionOut:
        return cls(
            id=r.id,
            source=r.source,
            source_version=r.source_version,
            date=r.date,
            sha256=r.sha256,
            services=r.services,
            actions=r.actions,
            imported_at=r.imported_at,
            active=r.active,
        )


class CatalogRevisionListOut(Schema):
    in_use: CatalogRef = Field(
        description="the catalogue this replica answers with (the shipped snapshot while no "
        "revision is active)"
    )
    items: list[CatalogRevisionOut] = Field(description="newest first")
    next_cursor: NextCursor = None
