"""Whether the catalogue in use is fit to answer with next to the profile set in use.

Readiness probes come every few seconds; the catalogue and the profile set change rarely. The
verdict is worked out once per pair loaded (the objects themselves are the key: a reload makes
new ones) and read back until either changes.
"""

from __future__ import annotations

from app.engine.catalog_change import profile_action_uses, readiness_problems
from app.engine.iam.catalog import Catalog
from app.engine.profiles import ProfileSet


class CatalogReadiness:
    def __init__(self) -> None:
        # Holding the objects (not their ids) keeps a later pair from reusing an id.
        self._last: tuple[Catalog, ProfileSet, tuple[str, ...]] | None = None

    def problems(self, catalog: Catalog, profile_set: ProfileSet) -> tuple[str, ...]:
        """What makes ``catalog`` unfit next to ``profile_set`` (empty: nothing)."""
        last = self._last
        if last is not None and last[0] is catalog and last[1] is profile_set:
            return last[2]
        found = readiness_problems(catalog, profile_action_uses(profile_set))
        # Two probes racing here both compute the same answer; either assignment is right.
        self._last = (catalog, profile_set, found)
        return found
