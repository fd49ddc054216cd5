"""The readiness verdict on the catalogue in use: worked out once per catalogue and profile set."""

from __future__ import annotations

import pytest

from app.engine.iam.catalog import Catalog
from app.engine.profiles import ProfileSet
from app.service import catalog_readiness
from app.service.catalog_import import default_catalog
from app.service.catalog_readiness import CatalogReadiness

from ...documents import snapshot
from ..engine.profile_fixtures import shipped_profiles


def test_the_verdict_is_worked_out_once_per_catalogue_and_profile_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[Catalog] = []
    real = catalog_readiness.readiness_problems

    def counted(catalog: Catalog, uses: object) -> tuple[str, ...]:
        calls.append(catalog)
        return real(catalog, uses)  # type: ignore[arg-type]

    monkeypatch.setattr(catalog_readiness, "readiness_problems", counted)
    readiness = CatalogReadiness()
    shipped, toy = default_catalog(), Catalog.from_snapshot(snapshot("toy"))
    profiles = shipped_profiles()
    assert readiness.problems(shipped, profiles) == ()
    for _ in range(100):
        assert readiness.problems(shipped, profiles) == ()
    assert len(calls) == 1
    unfit = readiness.problems(toy, profiles)
    assert len(unfit) == 2
    assert readiness.problems(toy, profiles) is unfit
    assert len(calls) == 2
    # A reloaded profile set is a new object: worked out again, even with the same content.
    reloaded = ProfileSet(revision=profiles.revision, profiles=dict(profiles.profiles))
    assert readiness.problems(toy, reloaded) == unfit
    assert len(calls) == 3
