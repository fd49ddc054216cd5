"""Dependencies: the per-process services, built by the app factory's lifespan."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from app.engine.budget import WorkBudget
from app.engine.iam.catalog import Catalog
from app.service.api_keys import KeyVerifier
from app.service.baseline_cache import BaselineCache
from app.service.catalog_readiness import CatalogReadiness
from app.service.catalog_revisions import CatalogCache
from app.service.profile_cache import ProfileCache
from app.service.profile_sets import ProfileSetResolver
from app.service.provenance import CatalogInfo
from app.service.transactions import read_session, write_transaction
from app.settings import Settings


@dataclass
class Services:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    profiles: ProfileCache
    catalog: Catalog
    catalog_info: CatalogInfo
    keys: KeyVerifier
    catalogs: CatalogCache
    profile_sets: ProfileSetResolver
    baselines: BaselineCache
    catalog_readiness: CatalogReadiness = field(default_factory=CatalogReadiness)


async def get_services(request: Request) -> Services:
    # async: FastAPI runs a plain `def` dependency in the thread pool, a hop per request
    # that costs more than this attribute read.
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def request_budget(request: Request, services: Services) -> WorkBudget:
    """The work budget RequestMiddleware gave the request (with its deadline and cancel flag);
    a budget of the configured limits for a request that did not pass through it."""
    budget = request.scope.get("state", {}).get("budget")
    if isinstance(budget, WorkBudget):
        return budget
    return WorkBudget(services.settings.work_limits)


def get_session(services: ServicesDep) -> Iterator[Session]:
    """Read-only requests use a session that is always rolled back."""
    yield from read_session(services.session_factory)


SessionDep = Annotated[Session, Depends(get_session)]


def get_unit_of_work(services: ServicesDep) -> Iterator[Session]:
    """Write requests: one transaction, committed when the endpoint returns (before the response
    is sent, so a failed commit is the response) and rolled back when it raises."""
    yield from write_transaction(services.session_factory)


UnitOfWorkDep = Annotated[Session, Depends(get_unit_of_work, scope="function")]
