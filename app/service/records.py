"""The stored records the use cases hand to their callers: the API names them from here and
reaches the database only through the service layer."""

from __future__ import annotations

from app.store.api_key_repository import StoredApiKey
from app.store.audit_repository import StoredAuditEvent
from app.store.baseline_repository import StoredBaseline
from app.store.catalog_repository import StoredCatalogRevision
from app.store.profile_repository import StoredRevision

__all__ = [
    "StoredApiKey",
    "StoredAuditEvent",
    "StoredBaseline",
    "StoredCatalogRevision",
    "StoredRevision",
]
