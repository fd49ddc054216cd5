"""IAM catalogue revisions: import a snapshot, pick the active one, and the in-memory copy.

Every replica uses the active revision of the database, or the shipped snapshot while none is
active, and polls for a change as often as it polls for profile changes. An import or an
activation that would make answers wrong (see ``app.engine.catalog_change``) needs force.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from app.engine.catalog_change import CatalogChange, compare_catalogs, profile_action_uses
from app.engine.iam.catalog import Catalog, CatalogError, SnapshotTooLargeError
from app.service.audit import Actor, record
from app.service.catalog_import import build_snapshot_from_service_documents, default_catalog
from app.service.errors import (
    ExistsError,
    ForceRequiredError,
    InvalidInputError,
    MissingError,
    TooLargeError,
)
from app.service.profile_cache import load_profile_set
from app.service.provenance import CatalogInfo, catalog_info
from app.store.catalog_repository import CatalogRepository, StoredCatalogRevision
from app.store.errors import StoreConflictError

log = logging.getLogger(__name__)

# A malformed snapshot or document can fail in any of these ways before the engine names it.
_DECODE_ERRORS = (CatalogError, ValueError, TypeError, KeyError, AttributeError, IndexError)


def decode_snapshot(
    data: bytes, *, pointer: str | None = None, max_expanded_bytes: int | None = None
) -> Catalog:
    """Decode a snapshot; refuse one that expands past ``max_expanded_bytes`` as soon as it
    does, holding no more than that (MAX_EXPANDED_BYTES for what comes from outside)."""
    try:
        return Catalog.from_snapshot(data, max_expanded_bytes=max_expanded_bytes)
    except SnapshotTooLargeError as exc:
        raise TooLargeError(
            f"the snapshot expands to more than {exc.limit} bytes (MAX_EXPANDED_BYTES)",
            pointer=pointer,
        ) from exc
    except _DECODE_ERRORS as exc:
        raise InvalidInputError(f"not a catalogue snapshot: {exc}", pointer=pointer) from exc


def snapshot_from_service_reference(
    documents: list[Any], *, source: str, source_version: str, date: str, pointer: str
) -> bytes:
    """Snapshot bytes from AWS Service Reference documents (one per service)."""
    try:
        return build_snapshot_from_service_documents(
            [(f"{pointer}/{i}", doc) for i, doc in enumerate(documents)],
            source=source,
            source_version=source_version,
            date=date,
        )
    except _DECODE_ERRORS as exc:
        raise InvalidInputError(f"not Service Reference documents: {exc}", pointer=pointer) from exc


def _in_use(repo: CatalogRepository) -> tuple[int | None, Catalog]:
    """The active revision (None: the shipped snapshot) and its catalogue, as the database says
    in this transaction (a replica's copy may be one refresh behind)."""
    active = repo.active()
    data = repo.data(active.id) if active is not None else None
    if active is None or data is None:
        return None, default_catalog()
    # Stored revisions passed the expansion limit when imported; they are decoded as they are.
    return active.id, decode_snapshot(data)


def _guard(
    session: Session, repo: CatalogRepository, after: Catalog, *, force: bool
) -> tuple[int | None, CatalogChange]:
    """What putting ``after`` in place of the catalogue in use drops; refused unless forced when
    that would break answers (see ``compare_catalogs``)."""
    before_id, before = _in_use(repo)
    uses = profile_action_uses(load_profile_set(session).profile_set)
    change = compare_catalogs(before, after, uses)
    if change.refusals and not force:
        raise ForceRequiredError(
            "the catalogue would replace the one in use unsafely: "
            + "; ".join(r.message for r in change.refusals)
            + " (an admin can force it)",
            members={"difference": {"before_revision": before_id, **change.report()}},
        )
    return before_id, change


def _forced(before_id: int | None, change: CatalogChange, *, force: bool) -> dict[str, Any]:
    """What the audit event of a forced change records: the force and the difference."""
    if not force:
        return {}
    return {"forced": True, "difference": {"before_revision": before_id, **change.report()}}


def import_snapshot(
    session: Session,
    data: bytes,
    *,
    actor: Actor,
    pointer: str | None = None,
    force: bool = False,
    max_expanded_bytes: int | None = None,
) -> StoredCatalogRevision:
    """Store a snapshot as a new, inactive catalogue revision.

    Refused (``ForceRequiredError``) unless ``force`` when it would be unsafe in place of the
    catalogue in use; a forced import records the force and the difference in its audit event.
    """
    catalog = decode_snapshot(data, pointer=pointer, max_expanded_bytes=max_expanded_bytes)
    meta = catalog.meta
    for value in (meta.source, meta.source_version):
        if "\x00" in value or len(value) > 100:
            raise InvalidInputError("source and version must be short text", pointer=pointer)
    try:
        date = dt.date.fromisoformat(meta.date)
    except ValueError as exc:
        raise InvalidInputError(f"snapshot date {meta.date!r} is not ISO", pointer=pointer) from exc
    repo = CatalogRepository(session)
    existing = repo.by_sha256(meta.sha256)
    if existing is not None:
        raise ExistsError(f"this snapshot is already catalogue revision {existing.id}")
    before_id, change = _guard(session, repo, catalog, force=force)
    try:
        stored = repo.add(
            source=meta.source,
            source_version=meta.source_version,
            date=date,
            sha256=meta.sha256,
            services=meta.counts.services,
            actions=meta.counts.actions,
            data=data,
        )
    except StoreConflictError as exc:
        raise ExistsError("this snapshot was imported concurrently") from exc
    record(
        session,
        actor,
        "catalog.import",
        f"catalog:{stored.id}",
        after=stored.id,
        detail={
            "source": meta.source,
            "version": meta.source_version,
            "date": meta.date,
            "sha256": meta.sha256,
            "actions": meta.counts.actions,
            **_forced(before_id, change, force=force),
        },
    )
    return stored


def activate(
    session: Session, revision_id: int, *, actor: Actor, force: bool = False
) -> StoredCatalogRevision:
    """Make a revision the one every replica uses (within the refresh bound).

    Refused (``ForceRequiredError``) unless ``force`` when it would be unsafe in place of the
    catalogue in use; a forced activation records the force and the difference in its audit
    event.
    """
    repo = CatalogRepository(session)
    target = repo.get(revision_id)
    if target is None:
        raise MissingError(f"no catalogue revision {revision_id}")
    previous = repo.active()
    if previous is not None and previous.id == revision_id:
        return target
    data = repo.data(revision_id)
    assert data is not None
    before_id, change = _guard(session, repo, decode_snapshot(data), force=force)
    repo.activate(revision_id)
    record(
        session,
        actor,
        "catalog.activate",
        f"catalog:{revision_id}",
        before=previous.id if previous else None,
        after=revision_id,
        detail={"sha256": target.sha256, **_forced(before_id, change, force=force)},
    )
    activated = repo.get(revision_id)
    assert activated is not None
    return activated


def list_revisions(
    session: Session,
    *,
    before_id: int | None,
    limit: int,
    source: str | None = None,
    active: bool | None = None,
) -> list[StoredCatalogRevision]:
    return CatalogRepository(session).page(
        before_id=before_id, limit=limit, source=source, active=active
    )


def catalog_in_use(session: Session) -> Catalog:
    """The database's active catalogue revision, else the shipped snapshot."""
    repo = CatalogRepository(session)
    active = repo.active()
    data = repo.data(active.id) if active else None
    return default_catalog() if data is None else Catalog.from_snapshot(data)


@dataclass(frozen=True)
class ActiveCatalog:
    catalog: Catalog
    info: CatalogInfo
    revision_id: int | None  # None: the shipped snapshot


class CatalogCache:
    """The catalogue in use: the database's active revision, else the shipped snapshot."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._factory = session_factory
        self._current: ActiveCatalog | None = None
        self._lock = threading.Lock()

    @property
    def current(self) -> ActiveCatalog:
        if self._current is None:
            self.refresh()
        assert self._current is not None
        return self._current

    def refresh(self) -> bool:
        """Switch when the active revision changed; returns whether it switched."""
        with self._lock:
            with self._factory() as session:
                repo = CatalogRepository(session)
                active = repo.active()
                wanted = active.id if active else None
                if self._current is not None and self._current.revision_id == wanted:
                    return False
                data = repo.data(active.id) if active else None
            if data is None:
                catalog = default_catalog()
            else:
                try:
                    catalog = Catalog.from_snapshot(data)
                except CatalogError:
                    log.exception("catalogue revision %s does not decode; keeping the last", wanted)
                    if self._current is not None:
                        return False
                    catalog, wanted = default_catalog(), None
            self._current = ActiveCatalog(catalog, catalog_info(catalog), wanted)
            log.info("catalogue %s in use", wanted if wanted is not None else "shipped snapshot")
            return True

    async def run_refresher(
        self, interval: float, on_change: Callable[[ActiveCatalog], None]
    ) -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                if await asyncio.to_thread(self.refresh):
                    on_change(self.current)
            except Exception:  # keep serving the last good catalogue while the DB is away
                log.warning("catalogue refresh failed", exc_info=True)
