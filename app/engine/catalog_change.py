"""Whether a catalogue is fit to answer with, and what replacing one catalogue with another drops.

A catalogue that lost most of its services, or the actions the profiles grant, still decodes and
still answers, but every answer made with it is wrong: compute would grant actions validate calls
unknown, diff would expand wildcards to nothing. These checks let the service refuse such a
change unless an admin insists, and say it is not ready while one is in use.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final

from app.engine.iam.catalog import Catalog
from app.engine.profiles import ProfileSet

__all__ = [
    "MAX_DROPPED_SHARE",
    "MIN_ACTIONS",
    "MIN_SERVICES",
    "SAMPLE_SIZE",
    "CatalogChange",
    "ProfileActionUses",
    "Refusal",
    "compare_catalogs",
    "floor_shortfall",
    "missing_profile_actions",
    "profile_action_uses",
    "readiness_problems",
]

# Floors of a catalogue fit to answer with. The AWS catalogue has had more than 150 services and
# 5,000 actions since 2018 (the shipped snapshot: 456 and 22,091); a hand-made or truncated one
# has a handful. The floors sit far below the real thing and far above an accident.
MIN_SERVICES: Final = 100
MIN_ACTIONS: Final = 5_000
# A new catalogue that drops more than this share of the current one's services or actions needs
# force. AWS retires a few actions a year (and renames a service now and then, such as
# codestar-connections to codeconnections); a tenth of them gone is a wrong or partial source.
MAX_DROPPED_SHARE: Final = 0.10
# How many names a report lists of each kind (the counts are always whole).
SAMPLE_SIZE: Final = 20
# How many dropped actions used by profiles a report lists, each with its profiles.
USED_SAMPLE_SIZE: Final = 200

# Action name as profiles name it (a name or a `*`/`?` pattern; one spelling of each name, as
# names are case-insensitive) -> the labels of the profiles whose statements name it, sorted.
ProfileActionUses = Mapping[str, tuple[str, ...]]


def profile_action_uses(profile_set: ProfileSet) -> ProfileActionUses:
    """Every action the profiles' statements name (case-insensitive), with the profiles."""
    spelling: dict[str, str] = {}
    uses: dict[str, set[str]] = {}
    for profile in sorted(profile_set.profiles.values(), key=lambda p: p.key.label):
        for statement in profile.statements:
            for lower, written in statement.action_names:
                spelling.setdefault(lower, written)
                uses.setdefault(lower, set()).add(profile.key.label)
    return MappingProxyType({spelling[low]: tuple(sorted(uses[low])) for low in sorted(uses)})


def missing_profile_actions(
    catalog: Catalog, uses: ProfileActionUses
) -> dict[str, tuple[str, ...]]:
    """The actions profiles name that ``catalog`` does not have (a pattern: that matches none)."""
    return {name: keys for name, keys in uses.items() if not catalog.mask(name)}


def floor_shortfall(catalog: Catalog) -> str | None:
    """Why ``catalog`` is below the floors of a real catalogue, or None."""
    counts = catalog.meta.counts
    if counts.services >= MIN_SERVICES and counts.actions >= MIN_ACTIONS:
        return None
    return (
        f"{counts.services} services and {counts.actions} actions, below the floor of "
        f"{MIN_SERVICES} services and {MIN_ACTIONS} actions"
    )


def readiness_problems(catalog: Catalog, uses: ProfileActionUses) -> tuple[str, ...]:
    """What makes ``catalog`` unfit to answer with next to these profiles (empty: nothing)."""
    problems: list[str] = []
    if (shortfall := floor_shortfall(catalog)) is not None:
        problems.append(f"the catalogue has {shortfall}")
    missing = missing_profile_actions(catalog, uses)
    if missing:
        shown = ", ".join(f"{name} ({', '.join(keys)})" for name, keys in list(missing.items())[:5])
        problems.append(
            f"the profiles name {len(missing)} action(s) the catalogue does not have: {shown}"
            + (", …" if len(missing) > 5 else "")
        )
    return tuple(problems)


@dataclass(frozen=True)
class Refusal:
    """Why a catalogue change needs force: a stable code and a sentence."""

    code: str  # PROFILE_ACTIONS_DROPPED, BELOW_FLOOR, SERVICES_DROPPED, ACTIONS_DROPPED
    message: str


@dataclass(frozen=True)
class CatalogChange:
    """What replacing catalogue ``before`` with ``after`` drops, and why it needs force."""

    before_services: int
    before_actions: int
    after_services: int
    after_actions: int
    dropped_services: tuple[str, ...]  # prefixes, sorted
    dropped_actions: tuple[str, ...]  # canonical names of `before`, sorted by lower case
    # Canonical action of `before` -> the profiles that name it (or a pattern matching it).
    dropped_profile_actions: Mapping[str, tuple[str, ...]]
    refusals: tuple[Refusal, ...]  # empty: the change is safe without force

    def report(self) -> dict[str, Any]:
        """The difference as JSON-ready data, its lists bounded (counts stay whole)."""
        used = list(self.dropped_profile_actions.items())
        return {
            "refusals": [{"code": r.code, "message": r.message} for r in self.refusals],
            "before": {"services": self.before_services, "actions": self.before_actions},
            "after": {"services": self.after_services, "actions": self.after_actions},
            "dropped_services": {
                "count": len(self.dropped_services),
                "sample": list(self.dropped_services[:SAMPLE_SIZE]),
            },
            "dropped_actions": {
                "count": len(self.dropped_actions),
                "sample": list(self.dropped_actions[:SAMPLE_SIZE]),
            },
            "dropped_actions_used_by_profiles": {
                "count": len(used),
                "actions": {name: list(keys) for name, keys in used[:USED_SAMPLE_SIZE]},
            },
        }


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def compare_catalogs(before: Catalog, after: Catalog, uses: ProfileActionUses) -> CatalogChange:
    """What ``after`` drops of ``before``: services, actions, and actions the profiles use.

    The change needs force when it drops an action the profiles use, when ``after`` is below
    the floors of a real catalogue, or when it drops more than ``MAX_DROPPED_SHARE`` of the
    services or actions of a ``before`` that is itself above the floors (replacing a degenerate
    catalogue with a real one is the repair, and needs no force).
    """
    dropped_services = tuple(sorted(set(before.services) - set(after.services)))
    dropped_ids = [i for i, name in enumerate(before.names) if name not in after]
    dropped_actions = tuple(sorted((before.names[i] for i in dropped_ids), key=str.lower))
    dropped_mask = before.ids_to_mask(dropped_ids)
    users: dict[str, set[str]] = {}
    for name, keys in uses.items():
        for i in before.mask_to_ids(before.mask(name) & dropped_mask):
            users.setdefault(before.names[i], set()).update(keys)
    dropped_used = {name: tuple(sorted(users[name])) for name in sorted(users, key=str.lower)}

    b, a = before.meta.counts, after.meta.counts
    refusals: list[Refusal] = []
    if dropped_used:
        refusals.append(
            Refusal(
                "PROFILE_ACTIONS_DROPPED",
                f"it drops {len(dropped_used)} action(s) the profiles use",
            )
        )
    if (shortfall := floor_shortfall(after)) is not None:
        refusals.append(Refusal("BELOW_FLOOR", f"it has {shortfall}"))
    if floor_shortfall(before) is None:
        for code, kind, dropped, whole in (
            ("SERVICES_DROPPED", "services", len(dropped_services), b.services),
            ("ACTIONS_DROPPED", "actions", len(dropped_actions), b.actions),
        ):
            if _share(dropped, whole) > MAX_DROPPED_SHARE:
                refusals.append(
                    Refusal(
                        code,
                        f"it drops {dropped} of the {whole} {kind} in use, more than "
                        f"{MAX_DROPPED_SHARE:.0%}",
                    )
                )
    return CatalogChange(
        before_services=b.services,
        before_actions=b.actions,
        after_services=a.services,
        after_actions=a.actions,
        dropped_services=dropped_services,
        dropped_actions=dropped_actions,
        dropped_profile_actions=MappingProxyType(dropped_used),
        refusals=tuple(refusals),
    )
