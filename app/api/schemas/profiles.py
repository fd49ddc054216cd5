"""Profile and baseline read schemas."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import Field

from app.api.schemas.common import NextCursor, Schema
from app.engine.pipeline.model import ActionTypeKey
from app.service.profile_diff import Change, ProfileDiff
from app.service.profile_reads import ServedRevision
from app.service.profile_sets import document_as_of, in_force
from app.service.records import StoredBaseline, StoredRevision


class ActionTypeOut(Schema):
    category: str
    owner: str
    provider: str
    version: str

    @classmethod
    def of(cls, key: ActionTypeKey) -> ActionTypeOut:
        return cls(
            category=key.category, owner=key.owner, provider=key.provider, version=key.version
        )


class ProfileSummaryOut(Schema):
    action_type: ActionTypeOut
    title: str
    revision: int
    set_revision: int
    effective_date: dt.date
    supported_since: dt.date | None
    status: str
    statements: int = Field(description="of the resolved document, when it extends another")
    inferred_statements: int
    href: str

    @classmethod
    def of(cls, item: ServedRevision, as_of: dt.date | None = None) -> ProfileSummaryOut:
        row = item.row
        statements = [
            s for s in item.document.get("statements") or [] if in_force(s.get("since"), as_of)
        ]
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


class ExtendedRevisionOut(Schema):
    action_type: ActionTypeOut
    revision: int


class ProfileRevisionOut(ProfileSummaryOut):
    published_at: dt.datetime
    published_by: str
    content_sha256: str
    as_of: dt.date | None = Field(
        default=None, description="statements that became necessary after this date are left out"
    )
    document: dict[str, Any] = Field(
        description="the profile as written (what PUT takes back): sources, statements, notes, "
        "pitfalls, structure, and `extends` when it builds on another profile"
    )
    extends: ExtendedRevisionOut | None = Field(
        description="the revision of the profile `document` extends that it is resolved with: "
        "the current one for the current revision, the one in the same selection as of a date "
        "or a profile-set revision, the one current when it was published for `/revisions/{n}`"
    )
    resolved: dict[str, Any] | None = Field(
        description="`document` with what it takes from the profile it extends (what compute "
        "uses); null when it extends none, or does not resolve with that revision"
    )

    @classmethod
    def full(cls, item: ServedRevision, as_of: dt.date | None = None) -> ProfileRevisionOut:
        row, parent = item.row, item.parent
        summary = ProfileSummaryOut.of(item, as_of)
        return cls(
            **summary.model_dump(),
            published_at=row.published_at,
            published_by=row.published_by,
            content_sha256=row.content_sha256,
            as_of=as_of,
            document=document_as_of(row.document, as_of),
            extends=ExtendedRevisionOut(
                action_type=ActionTypeOut.of(parent.key), revision=parent.revision
            )
            if parent
            else None,
            resolved=document_as_of(item.resolved, as_of) if item.resolved is not None else None,
        )


class ProfileListOut(Schema):
    profile_set_revision: int
    as_of: dt.date | None = None
    predates: list[str] = Field(
        default_factory=list,
        description="action types whose oldest revision is dated after `as_of`: that revision "
        "stands in, without the statements whose `since` is after `as_of`",
    )
    undated: list[str] = Field(
        default_factory=list,
        description="action types listed as in force on `as_of` although their "
        "`supported_since` is unknown: no source rules out that they existed, none says so",
    )
    items: list[ProfileSummaryOut]
    next_cursor: NextCursor = None


class RevisionListOut(Schema):
    items: list[ProfileSummaryOut]
    next_cursor: NextCursor = None


class DeprecateIn(Schema):
    reason: str | None = Field(
        default=None,
        max_length=500,
        pattern=r"^[^\x00-\x08\x0b-\x1f]*$",
        examples=["replaced by v2"],
    )


class ChangeOut(Schema):
    before: Any
    after: Any

    @classmethod
    def of(cls, c: Change) -> ChangeOut:
        return cls(before=c.before, after=c.after)


class StatementChangeOut(Schema):
    id: str
    fields: dict[str, ChangeOut]
    actions_added: list[str]
    actions_removed: list[str]


class StatementsDiffOut(Schema):
    added: list[dict[str, Any]]
    removed: list[dict[str, Any]]
    changed: list[StatementChangeOut]


class ListDiffOut(Schema):
    added: list[Any]
    removed: list[Any]


class SourcesDiffOut(Schema):
    added: dict[str, Any]
    removed: dict[str, Any]
    changed: dict[str, ChangeOut]


class ProfileDiffOut(Schema):
    action_type: ActionTypeOut
    from_revision: int
    to_revision: int
    fields: dict[str, ChangeOut] = Field(
        description="title, effective_date, supported_since, status, and the document's "
        "extends and structure (each whole)"
    )
    statements: StatementsDiffOut = Field(description="by statement id")
    notes: ListDiffOut
    pitfalls: ListDiffOut
    sources: SourcesDiffOut

    @classmethod
    def of(cls, row: StoredRevision, d: ProfileDiff) -> ProfileDiffOut:
        k = row.key
        return cls(
            action_type=ActionTypeOut(
                category=k.category, owner=k.owner, provider=k.provider, version=k.version
            ),
            from_revision=d.from_revision,
            to_revision=d.to_revision,
            fields={f: ChangeOut.of(c) for f, c in d.fields.items()},
            statements=StatementsDiffOut(
                added=d.statements_added,
                removed=d.statements_removed,
                changed=[
                    StatementChangeOut(
                        id=c.id,
                        fields={f: ChangeOut.of(v) for f, v in c.fields.items()},
                        actions_added=c.actions_added,
                        actions_removed=c.actions_removed,
                    )
                    for c in d.statements_changed
                ],
            ),
            notes=ListDiffOut(added=d.notes_added, removed=d.notes_removed),
            pitfalls=ListDiffOut(added=d.pitfalls_added, removed=d.pitfalls_removed),
            sources=SourcesDiffOut(
                added=d.sources_added,
                removed=d.sources_removed,
                changed={k: ChangeOut.of(c) for k, c in d.sources_changed.items()},
            ),
        )


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
    next_cursor: NextCursor = None
