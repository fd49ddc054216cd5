"""Dependencies: the per-process services, built by the app factory's lifespan."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from app.engine.iam.catalog import Catalog
from app.service.profile_cache import ProfileCache
from app.service.provenance import CatalogInfo
from app.settings import Settings


@dataclass
class Services:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    profiles: ProfileCache
    catalog: Catalog
    catalog_info: CatalogInfo


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def get_session(services: ServicesDep) -> Iterator[Session]:
    """Read-only requests use a session that is always rolled back."""
    with services.session_factory() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
