"""Browse permission profiles and their revisions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from app.api.deps import SessionDep
from app.api.problems import NotFoundError
from app.api.schemas.profiles import ProfileListOut, ProfileRevisionOut, ProfileSummaryOut
from app.engine.pipeline.model import ActionTypeKey
from app.store.profile_repository import ProfileRepository

router = APIRouter(prefix="/v1/profiles", tags=["profiles"])

NAME = r"^[0-9A-Za-z_-]{1,35}$"
Category = Annotated[str, Path(pattern=NAME, examples=["Source"])]
Owner = Annotated[str, Path(pattern=NAME, examples=["AWS"])]
Provider = Annotated[str, Path(pattern=NAME, examples=["CodeCommit"])]
Version = Annotated[str, Path(pattern=NAME, examples=["1"])]


@router.get("", response_model=ProfileListOut)
def list_profiles(
    session: SessionDep,
    category: Annotated[str | None, Query(pattern=NAME)] = None,
    owner: Annotated[str | None, Query(pattern=NAME)] = None,
    provider: Annotated[str | None, Query(pattern=NAME)] = None,
) -> ProfileListOut:
    """The newest revision of every profile, optionally filtered by action type fields."""
    repo = ProfileRepository(session)
    rows = [
        r
        for r in repo.latest_revisions()
        if (category is None or r.key.category == category)
        and (owner is None or r.key.owner == owner)
        and (provider is None or r.key.provider == provider)
    ]
    return ProfileListOut(
        profile_set_revision=repo.current_set_revision(),
        items=[ProfileSummaryOut.of(r) for r in rows],
    )


@router.get("/{category}/{owner}/{provider}/{version}", response_model=ProfileRevisionOut)
def get_profile(
    category: Category, owner: Owner, provider: Provider, version: Version, session: SessionDep
) -> ProfileRevisionOut:
    """The newest revision of one profile, with its statements and citations."""
    key = ActionTypeKey(category, owner, provider, version)
    row = ProfileRepository(session).latest(key)
    if row is None:
        raise NotFoundError(f"no profile for action type `{key.label}`")
    return ProfileRevisionOut.full(row)


@router.get(
    "/{category}/{owner}/{provider}/{version}/revisions", response_model=list[ProfileSummaryOut]
)
def list_revisions(
    category: Category, owner: Owner, provider: Provider, version: Version, session: SessionDep
) -> list[ProfileSummaryOut]:
    """Every revision of one profile, oldest first."""
    key = ActionTypeKey(category, owner, provider, version)
    rows = ProfileRepository(session).revisions(key)
    if not rows:
        raise NotFoundError(f"no profile for action type `{key.label}`")
    return [ProfileSummaryOut.of(r) for r in rows]


@router.get(
    "/{category}/{owner}/{provider}/{version}/revisions/{revision}",
    response_model=ProfileRevisionOut,
)
def get_revision(
    category: Category,
    owner: Owner,
    provider: Provider,
    version: Version,
    revision: Annotated[int, Path(ge=1)],
    session: SessionDep,
) -> ProfileRevisionOut:
    """One revision of one profile."""
    key = ActionTypeKey(category, owner, provider, version)
    for row in ProfileRepository(session).revisions(key):
        if row.revision == revision:
            return ProfileRevisionOut.full(row)
    raise NotFoundError(f"no revision {revision} of `{key.label}`")
