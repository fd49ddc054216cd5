"""The catalogue guard: what a change drops, when it needs force, when a catalogue is unfit."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import pytest

from app.engine.catalog_change import (
    MAX_DROPPED_SHARE,
    MIN_ACTIONS,
    MIN_SERVICES,
    SAMPLE_SIZE,
    ProfileActionUses,
    compare_catalogs,
    profile_action_uses,
    readiness_problems,
)
from app.engine.iam.catalog import Catalog
from app.service.catalog_import import default_catalog

from ...catalogs import services_outside, shipped_without
from ...documents import snapshot
from .profile_fixtures import shipped_profiles


@cache
def uses() -> ProfileActionUses:
    return profile_action_uses(shipped_profiles())


@cache
def prefixes_used() -> frozenset[str]:
    return frozenset(name.split(":", 1)[0].lower() for name in uses())


@cache
def variant(name: str) -> Catalog:
    """Catalogues next to the shipped one, by what they lack."""
    shipped = default_catalog()
    n_share = int(shipped.meta.counts.services * MAX_DROPPED_SHARE)
    builders: dict[str, Callable[[], bytes]] = {
        "toy": lambda: snapshot("toy"),
        "no s3:GetObject": lambda: shipped_without("v", actions=["s3:GetObject"]),
        # Any spelling: names are compared without case.
        "no KMS:decrypt": lambda: shipped_without("v", actions=["KMS:decrypt"]),
        # kms:GenerateDataKey* is all the profiles name of these: the pattern still matches
        # kms:GenerateDataKey, but one of the actions it granted is gone.
        "no kms:GenerateDataKeyWithoutPlaintext": lambda: shipped_without(
            "v", actions=["kms:GenerateDataKeyWithoutPlaintext"]
        ),
        "no unused action": lambda: shipped_without("v", actions=["a2c:StartDeploymentJob"]),
        "tenth of services, smallest": lambda: shipped_without(
            "v", services=services_outside(prefixes_used(), n_share, largest=False)
        ),
        "over a tenth of services, smallest": lambda: shipped_without(
            "v", services=services_outside(prefixes_used(), n_share + 1, largest=False)
        ),
        "over a tenth of actions, 7 largest": lambda: shipped_without(
            "v", services=services_outside(prefixes_used(), 7, largest=True)
        ),
        "under a tenth of actions, 6 largest": lambda: shipped_without(
            "v", services=services_outside(prefixes_used(), 6, largest=True)
        ),
    }
    if name == "shipped":
        return shipped
    return Catalog.from_snapshot(builders[name]())


CASES = [
    # (before, after, codes of the refusals)
    ("shipped", "shipped", []),
    ("shipped", "no unused action", []),
    ("shipped", "tenth of services, smallest", []),
    ("shipped", "under a tenth of actions, 6 largest", []),
    ("shipped", "no s3:GetObject", ["PROFILE_ACTIONS_DROPPED"]),
    ("shipped", "no KMS:decrypt", ["PROFILE_ACTIONS_DROPPED"]),
    ("shipped", "over a tenth of services, smallest", ["SERVICES_DROPPED"]),
    ("shipped", "over a tenth of actions, 7 largest", ["ACTIONS_DROPPED"]),
    (
        "shipped",
        "toy",
        ["PROFILE_ACTIONS_DROPPED", "BELOW_FLOOR", "SERVICES_DROPPED", "ACTIONS_DROPPED"],
    ),
    # Replacing a degenerate catalogue with a real one is the repair: no force.
    ("toy", "shipped", []),
    # From one toy to another: nothing the profiles use is dropped (the first had none of it),
    # nor a share of a real catalogue, but the new one is still no catalogue to answer with.
    ("toy", "toy", ["BELOW_FLOOR"]),
    # Putting back what was dropped needs no force.
    ("no s3:GetObject", "shipped", []),
    ("over a tenth of actions, 7 largest", "shipped", []),
]


@pytest.mark.parametrize(
    ("before", "after", "codes"), CASES, ids=[f"{b}->{a}" for b, a, _ in CASES]
)
def test_refusals(before: str, after: str, codes: list[str]) -> None:
    change = compare_catalogs(variant(before), variant(after), uses())
    assert [r.code for r in change.refusals] == codes


@pytest.mark.parametrize(
    ("after", "dropped"),
    [
        ("no s3:GetObject", "s3:GetObject"),
        ("no KMS:decrypt", "kms:Decrypt"),
    ],
)
def test_the_report_names_dropped_actions_with_the_profiles_using_them(
    after: str, dropped: str
) -> None:
    report = compare_catalogs(variant("shipped"), variant(after), uses()).report()
    used = report["dropped_actions_used_by_profiles"]
    assert used["count"] == 1
    assert list(used["actions"]) == [dropped]
    users = used["actions"][dropped]
    expected = sorted(
        key
        for name, keys in uses().items()
        for key in keys
        if default_catalog().mask(name) & (1 << default_catalog().index_of(dropped))
    )
    assert users == sorted(set(expected))
    assert users  # the shipped profiles do use it
    assert report["dropped_actions"] == {"count": 1, "sample": [dropped]}
    assert report["dropped_services"] == {"count": 0, "sample": []}


def test_the_report_bounds_its_lists_and_keeps_whole_counts() -> None:
    shipped = default_catalog()
    report = compare_catalogs(shipped, variant("toy"), uses()).report()
    assert report["before"] == {
        "services": shipped.meta.counts.services,
        "actions": shipped.meta.counts.actions,
    }
    assert report["after"] == {"services": 2, "actions": 3}
    assert report["dropped_services"]["count"] == shipped.meta.counts.services
    assert len(report["dropped_services"]["sample"]) == SAMPLE_SIZE
    assert report["dropped_actions"]["count"] == shipped.meta.counts.actions
    assert len(report["dropped_actions"]["sample"]) == SAMPLE_SIZE
    # Every action the shipped profiles name, globs expanded, is among the dropped ones.
    expanded = {n for name in uses() for n in shipped.expand(name)}
    assert report["dropped_actions_used_by_profiles"]["count"] == len(expanded)
    assert [r["code"] for r in report["refusals"]] == [
        "PROFILE_ACTIONS_DROPPED",
        "BELOW_FLOOR",
        "SERVICES_DROPPED",
        "ACTIONS_DROPPED",
    ]


def test_the_shipped_catalogue_passes_the_floors_comfortably() -> None:
    counts = default_catalog().meta.counts
    assert counts.services >= 4 * MIN_SERVICES
    assert counts.actions >= 4 * MIN_ACTIONS


READINESS = [
    # (catalogue, problems found: floor, missing profile actions)
    ("shipped", (False, False)),
    ("no unused action", (False, False)),
    ("no s3:GetObject", (False, True)),
    ("toy", (True, True)),
]


@pytest.mark.parametrize(("name", "expected"), READINESS, ids=[n for n, _ in READINESS])
def test_readiness_problems(name: str, expected: tuple[bool, bool]) -> None:
    problems = readiness_problems(variant(name), uses())
    floor = any("below the floor" in p for p in problems)
    missing = any("the profiles name" in p for p in problems)
    assert (floor, missing) == expected
    if name == "no s3:GetObject":
        assert problems == (
            "the profiles name 1 action(s) the catalogue does not have: s3:GetObject "
            f"({', '.join(uses()['s3:GetObject'])})",
        )


def test_a_pattern_a_profile_named_is_refused_when_an_action_it_granted_goes() -> None:
    # Profiles name exact actions today; a stored revision from before may still hold a pattern.
    pattern_uses: ProfileActionUses = {"kms:GenerateDataKey*": ("Pipeline/AWS/ArtifactStore/1",)}
    after = variant("no kms:GenerateDataKeyWithoutPlaintext")
    change = compare_catalogs(variant("shipped"), after, pattern_uses)
    assert [r.code for r in change.refusals] == ["PROFILE_ACTIONS_DROPPED"]
    used = change.report()["dropped_actions_used_by_profiles"]
    assert list(used["actions"]) == ["kms:GenerateDataKeyWithoutPlaintext"]
    kept = compare_catalogs(variant("shipped"), variant("no unused action"), pattern_uses)
    assert kept.refusals == ()


def test_profile_action_uses_are_case_insensitive_with_one_spelling() -> None:
    names = list(uses())
    assert len({n.lower() for n in names}) == len(names)
    assert all(not set(n) & {"*", "?"} for n in names)  # profiles name exact actions
    assert all(keys == tuple(sorted(keys)) and keys for keys in uses().values())
