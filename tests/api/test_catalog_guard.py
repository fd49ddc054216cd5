"""Catalogue imports and activations that would break the service need force; readiness fails
while a degenerate catalogue is in use; compressed snapshots expand within MAX_EXPANDED_BYTES
(SQLite and PostgreSQL)."""

from __future__ import annotations

import base64
import resource
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.engine.catalog_change import profile_action_uses
from app.main import create_app
from app.service.catalog_import import load_snapshot
from app.settings import Settings
from tests.unit.engine.profile_fixtures import shipped_profiles

from ..catalogs import services_outside, shipped_without, zeros_gzip
from ..documents import snapshot

PROBLEM = "application/problem+json"
REVISIONS = "/v1/admin/catalog/revisions"
MIB = 1 << 20


@dataclass
class Env:
    client: TestClient
    headers: dict[str, str]

    def import_(self, data: bytes, **extra: Any) -> Any:
        body = {"snapshot_base64": base64.b64encode(data).decode(), **extra}
        return self.client.post(REVISIONS, json=body, headers=self.headers)

    def activate(self, revision_id: int, **params: Any) -> Any:
        return self.client.post(
            f"{REVISIONS}/{revision_id}/activate", params=params, headers=self.headers
        )

    def audit(self, action: str) -> list[dict[str, Any]]:
        response = self.client.get(
            "/v1/admin/audit", params={"action": action}, headers=self.headers
        )
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    def revision_ids(self) -> list[int]:
        return [r["id"] for r in self.client.get("/v1/catalog/revisions").json()["items"]]

    def wait_for_readiness(self, status: int) -> dict[str, Any]:
        deadline = time.monotonic() + 5
        while (ready := self.client.get("/readyz")).status_code != status:
            assert time.monotonic() < deadline, ready.text
            time.sleep(0.05)
        body: dict[str, Any] = ready.json()
        return body


@pytest.fixture(scope="module")
def env(module_database_url: str, api_key: Callable[..., str]) -> Iterator[Env]:
    admin = api_key(module_database_url, "admin", "catalogue-admin")
    app = create_app(Settings(database_url=module_database_url, profile_refresh_seconds=0.2))
    with TestClient(app) as client:
        yield Env(client, {"Authorization": f"Bearer {admin}"})


def _profile_actions(env: Env) -> dict[str, set[str]]:
    """Every profile's actions, lower case, by profile label (read through the API)."""
    found = {}
    for item in env.client.get("/v1/profiles", params={"limit": 200}).json()["items"]:
        key = item["action_type"]
        label = "/".join(key[k] for k in ("category", "owner", "provider", "version"))
        # The profile as it applies: a profile that extends another is served resolved too.
        body = env.client.get(f"/v1/profiles/{label}").json()
        document = body["resolved"] or body["document"]
        found[label] = {a.lower() for s in document["statements"] for a in s["actions"]}
    return found


def _profiles_using(env: Env, action: str) -> list[str]:
    return sorted(k for k, names in _profile_actions(env).items() if action.lower() in names)


def test_the_shipped_snapshot_imports_and_activates_without_force(env: Env) -> None:
    imported = env.import_(load_snapshot())
    assert imported.status_code == 201, imported.text
    activated = env.activate(imported.json()["id"])
    assert activated.status_code == 200, activated.text
    assert activated.json()["active"] is True
    for action in ("catalog.import", "catalog.activate"):
        detail = env.audit(action)[0]["detail"]
        assert "forced" not in detail
        assert "difference" not in detail
    assert env.wait_for_readiness(200)["checks"]["catalog"].startswith("ok (22091 actions")


def test_a_toy_catalogue_needs_force_and_readiness_fails_while_it_is_in_use(env: Env) -> None:
    shipped_id = next(r["id"] for r in env.client.get("/v1/catalog/revisions").json()["items"])
    before = env.revision_ids()

    refused = env.import_(snapshot("toy"))
    assert refused.status_code == 409, refused.text
    assert refused.headers["content-type"] == PROBLEM
    problem = refused.json()
    assert problem["type"].endswith("/force-required")
    assert "an admin can force it" in problem["detail"]
    difference = problem["difference"]
    assert difference["before_revision"] == shipped_id
    assert difference["before"] == {"services": 456, "actions": 22091}
    assert difference["after"] == {"services": 2, "actions": 3}
    assert [r["code"] for r in difference["refusals"]] == [
        "PROFILE_ACTIONS_DROPPED",
        "BELOW_FLOOR",
        "SERVICES_DROPPED",
        "ACTIONS_DROPPED",
    ]
    assert difference["dropped_services"]["count"] == 456
    assert len(difference["dropped_services"]["sample"]) == 20
    assert difference["dropped_actions"]["count"] == 22091
    assert len(difference["dropped_actions"]["sample"]) == 20
    used = difference["dropped_actions_used_by_profiles"]
    assert used["count"] > 150
    assert used["actions"]["s3:GetObject"] == _profiles_using(env, "s3:GetObject")
    assert env.revision_ids() == before  # nothing stored

    forced = env.import_(snapshot("toy"), force=True)
    assert forced.status_code == 201, forced.text
    toy_id = forced.json()["id"]
    event = env.audit("catalog.import")[0]
    assert event["after_revision"] == toy_id
    assert event["detail"]["forced"] is True
    assert event["detail"]["difference"] == difference

    refused_activation = env.activate(toy_id)
    assert refused_activation.status_code == 409, refused_activation.text
    assert refused_activation.json()["difference"] == difference
    assert env.wait_for_readiness(200)  # still the shipped catalogue in use
    activated = env.activate(toy_id, force="true")
    assert activated.status_code == 200, activated.text
    event = env.audit("catalog.activate")[0]
    assert (event["before_revision"], event["after_revision"]) == (shipped_id, toy_id)
    assert event["detail"]["forced"] is True
    assert event["detail"]["difference"] == difference

    not_ready = env.wait_for_readiness(503)
    assert not_ready["status"] == "not ready"
    reason = not_ready["checks"]["catalog"]
    assert reason.startswith("error: ")
    assert "2 services and 3 actions, below the floor of 100 services and 5000 actions" in reason
    named = len(profile_action_uses(shipped_profiles()))
    assert f"the profiles name {named} action(s) the catalogue does not have" in reason
    assert not_ready["checks"]["database"] == "ok"

    # Putting the real catalogue back is the repair: no force needed.
    repaired = env.activate(shipped_id)
    assert repaired.status_code == 200, repaired.text
    assert "forced" not in env.audit("catalog.activate")[0]["detail"]
    env.wait_for_readiness(200)


def test_dropping_what_profiles_use_or_a_large_share_needs_force(env: Env) -> None:
    one = env.import_(shipped_without("no-getobject", actions=["s3:GetObject"]))
    assert one.status_code == 409, one.text
    difference = one.json()["difference"]
    assert [r["code"] for r in difference["refusals"]] == ["PROFILE_ACTIONS_DROPPED"]
    assert difference["dropped_actions"] == {"count": 1, "sample": ["s3:GetObject"]}
    assert difference["dropped_actions_used_by_profiles"] == {
        "count": 1,
        "actions": {"s3:GetObject": _profiles_using(env, "s3:GetObject")},
    }

    profile_prefixes = {
        name.split(":")[0] for names in _profile_actions(env).values() for name in names
    }
    tenth = 456 // 10
    over = env.import_(
        shipped_without(
            "over", services=services_outside(profile_prefixes, tenth + 1, largest=False)
        )
    )
    assert over.status_code == 409, over.text
    assert [r["code"] for r in over.json()["difference"]["refusals"]] == ["SERVICES_DROPPED"]
    assert over.json()["difference"]["dropped_services"]["count"] == tenth + 1
    within = env.import_(
        shipped_without("within", services=services_outside(profile_prefixes, tenth, largest=False))
    )
    assert within.status_code == 201, within.text
    assert "forced" not in env.audit("catalog.import")[0]["detail"]


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@pytest.mark.parametrize("expanded_mib", [16, 64, 256, 1024])
def test_compressed_snapshots_expand_within_the_limit(env: Env, expanded_mib: int) -> None:
    """Gzip of zeros at growing ratios (1 GiB in about 1 MB): answered at once with a 4xx, the
    ones past MAX_EXPANDED_BYTES (40 MiB by default) with a located 413, without the process
    growing by what they expand to."""
    bomb = zeros_gzip(expanded_mib)
    assert len(bomb) < expanded_mib * MIB / 900
    before = env.revision_ids()
    peak = _peak_rss_mib()
    started = time.monotonic()
    response = env.import_(bomb, force=True)
    elapsed = time.monotonic() - started
    grown = _peak_rss_mib() - peak
    assert 400 <= response.status_code < 500, response.text
    assert elapsed < 3.0, elapsed
    assert grown < 200, grown
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["errors"][0]["pointer"] == "/snapshot_base64"
    if expanded_mib * MIB > Settings().max_expanded_bytes:
        assert response.status_code == 413
        assert "MAX_EXPANDED_BYTES" in problem["detail"]
    else:
        assert response.status_code == 422  # zeros are no snapshot
    assert env.revision_ids() == before
