"""The legacy default policies and the 2025 minimum, dated."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from app.api.checked_route import CheckedRoute
from app.api.deps import SessionDep
from app.api.pagination import Cursor, Limit, encode_cursor, strings_cursor
from app.api.problems import NotFoundError, problem_responses
from app.api.schemas.profiles import BaselineListOut, BaselineOut, BaselineSummaryOut
from app.service.baselines import all_baselines, baseline_named
from app.service.records import StoredBaseline

router = APIRouter(prefix="/v1/baselines", tags=["baselines"], route_class=CheckedRoute)


def _position(baseline: StoredBaseline) -> tuple[str, str]:
    return (baseline.effective_from.isoformat(), baseline.name)


@router.get("", summary="List baselines", response_model=BaselineListOut)
def list_baselines(
    session: SessionDep, cursor: Cursor = None, limit: Limit = 100
) -> BaselineListOut:
    """Every named baseline, oldest first (by the date it took effect, then by name)."""
    after = strings_cursor(cursor, 2)
    rows = [
        b
        for b in sorted(all_baselines(session), key=_position)
        if after is None or _position(b) > after
    ]
    page = rows[:limit]
    return BaselineListOut(
        items=[BaselineSummaryOut.of(b) for b in page],
        next_cursor=encode_cursor(_position(page[-1])) if len(rows) > limit else None,
    )


@router.get(
    "/{name}",
    summary="Get a baseline",
    response_model=BaselineOut,
    responses=problem_responses(404),
)
def get_baseline(
    name: Annotated[str, Path(pattern=r"^[a-z0-9-]{1,100}$")], session: SessionDep
) -> BaselineOut:
    """One baseline with its policy document."""
    baseline = baseline_named(session, name)
    if baseline is None:
        raise NotFoundError(f"no baseline named `{name}`")
    return BaselineOut.full(baseline)
