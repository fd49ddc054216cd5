"""Tables. Profile revisions and baselines are immutable once written; nothing here updates them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.store.base import Base, JsonDocument


class ProfileSetRevision(Base):
    """A counter that moves whenever any profile changes; caches key on it."""

    __tablename__ = "profile_set_revision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    reason: Mapped[str] = mapped_column(String(200))


class ActionType(Base):
    __tablename__ = "action_type"
    __table_args__ = (UniqueConstraint("category", "owner", "provider", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    category: Mapped[str] = mapped_column(String(20))
    owner: Mapped[str] = mapped_column(String(20))
    provider: Mapped[str] = mapped_column(String(35))
    version: Mapped[str] = mapped_column(String(9))
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    revisions: Mapped[list[ProfileRevision]] = relationship(
        back_populates="action_type", lazy="raise", order_by="ProfileRevision.revision"
    )


class ProfileRevision(Base):
    __tablename__ = "profile_revision"
    __table_args__ = (UniqueConstraint("action_type_id", "revision"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    action_type_id: Mapped[int] = mapped_column(ForeignKey("action_type.id"), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    set_revision: Mapped[int] = mapped_column(ForeignKey("profile_set_revision.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    effective_date: Mapped[dt.date] = mapped_column(Date)
    supported_since: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="active")
    document: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    content_sha256: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    published_by: Mapped[str] = mapped_column(String(100), default="seed")
    action_type: Mapped[ActionType] = relationship(back_populates="revisions", lazy="raise")


class Baseline(Base):
    """A named, dated policy document (legacy console defaults, the 2025 minimum)."""

    __tablename__ = "baseline"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    effective_from: Mapped[dt.date] = mapped_column(Date)
    effective_to: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    description: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    document: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    content_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class ApiKey(Base):
    """An API key: only its prefix (shown to humans) and the sha256 of its secret are stored."""

    __tablename__ = "api_key"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    secret_sha256: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(100))
    scope: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class AuditEvent(Base):
    """One write: who (key), what (action, target), the revisions before and after, when."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), index=True
    )
    key_id: Mapped[int | None] = mapped_column(ForeignKey("api_key.id"), nullable=True, index=True)
    action: Mapped[str] = mapped_column(String(40), index=True)
    target: Mapped[str] = mapped_column(String(200), index=True)
    before_revision: Mapped[int | None] = mapped_column(Integer, nullable=True)
    after_revision: Mapped[int | None] = mapped_column(Integer, nullable=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JsonDocument)


class CatalogRevision(Base):
    """An imported IAM action catalogue snapshot; at most one is active."""

    __tablename__ = "catalog_revision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(200))
    source_version: Mapped[str] = mapped_column(String(100))
    date: Mapped[dt.date] = mapped_column(Date)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    services: Mapped[int] = mapped_column(Integer)
    actions: Mapped[int] = mapped_column(Integer)
    imported_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    active: Mapped[bool] = mapped_column(Boolean, server_default=false(), index=True)
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
