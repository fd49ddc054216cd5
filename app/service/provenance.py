"""What every decision cites: the catalogue, the profile revisions used, the service version."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from app import __version__
from app.engine.iam.catalog import Catalog
from app.engine.pipeline.model import ActionTypeKey


@dataclass(frozen=True)
class CatalogInfo:
    source: str
    version: str
    date: str
    sha256: str
    actions: int


@dataclass(frozen=True)
class Provenance:
    decision_id: str
    catalog: CatalogInfo | None
    profile_set_revision: int
    profiles: tuple[tuple[ActionTypeKey, int], ...]
    service_version: str = __version__


def catalog_info(catalog: Catalog) -> CatalogInfo:
    meta = catalog.meta
    return CatalogInfo(
        source=meta.source,
        version=meta.source_version,
        date=meta.date,
        sha256=meta.sha256,
        actions=meta.counts.actions,
    )


def new_provenance(
    catalog: CatalogInfo | None,
    profile_set_revision: int,
    profiles: Iterable[tuple[ActionTypeKey, int]],
) -> Provenance:
    return Provenance(
        decision_id=str(uuid.uuid4()),
        catalog=catalog,
        profile_set_revision=profile_set_revision,
        profiles=tuple(sorted(profiles)),
    )
