"""Profile and baseline read schemas."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import Field

from app.api.schemas.common import Schema
from app.store.baseline_repository import StoredBaseline
from app.store.profile_repository import StoredRevision


class ActionTypeOut(Schema):
    category: str
    owner: str
    provider: str
    version: str


class ProfileSummaryOut(Schema):
    action_type: ActionTypeOut
    title: str
    revision: int
    set_revision: int
    effective_date: dt.date
    supported_since: dt.date | None
    status: str
    statements: int
    inferred_statements: int
    href: str

    @classmethod
    def of(cls, row: StoredRevision) -> ProfileSummaryOut:
        statements = row.document.get("statements") or []
        k = row.key
        return cls(
            action_type=ActionTypeOut(
                category=k.category, owner=k.owner, provider=k.provider, version=k.version
            ),
            title=row.title,
            revision=row.revision,
            set_revision=row.set_revision,
            effective_date=row.effective_date,
            supported_since=row.supported_since,
            status=row.status,
            statements=len(statements),
            inferred_statements=sum(1 for s in statements if s.get("inferred")),
            href=f"/v1/profiles/{k.category}/{k.owner}/{k.provider}/{k.version}",
        )


class ProfileRevisionOut(ProfileSummaryOut):
    published_at: dt.datetime
    published_by: str
    content_sha256: str
    document: dict[str, Any] = Field(
        description="the profile: sources, statements, notes, pitfalls"
    )

    @classmethod
    def full(cls, row: StoredRevision) -> ProfileRevisionOut:
        summary = ProfileSummaryOut.of(row)
        return cls(
            **summary.model_dump(),
            published_at=row.published_at,
            published_by=row.published_by,
            content_sha256=row.content_sha256,
            document=row.document,
        )


class ProfileListOut(Schema):
    profile_set_revision: int
    items: list[ProfileSummaryOut]


class BaselineSummaryOut(Schema):
    name: str
    title: str
    effective_from: dt.date
    effective_to: dt.date | None
    description: str
    source: dict[str, Any]
    href: str

    @classmethod
    def of(cls, b: StoredBaseline) -> BaselineSummaryOut:
        return cls(
            name=b.name,
            title=b.title,
            effective_from=b.effective_from,
            effective_to=b.effective_to,
            description=b.description,
            source=b.source,
            href=f"/v1/baselines/{b.name}",
        )


class BaselineOut(BaselineSummaryOut):
    content_sha256: str
    policy: dict[str, Any]

    @classmethod
    def full(cls, b: StoredBaseline) -> BaselineOut:
        return cls(
            **BaselineSummaryOut.of(b).model_dump(),
            content_sha256=b.content_sha256,
            policy=b.document,
        )


class BaselineListOut(Schema):
    items: list[BaselineSummaryOut]
