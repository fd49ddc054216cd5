"""API keys, reads behind keys, the audit log and catalogue revisions (SQLite and PostgreSQL)."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from typer.testing import Result

from app.main import create_app
from app.service.catalog_import import load_snapshot
from app.settings import Settings

from ..documents import SERVICES, pipeline, service_document, snapshot

PROBLEM = "application/problem+json"


@dataclass
class Env:
    client: TestClient
    url: str
    admin: str
    writer: str
    reader: str

    def as_(self, key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {key}"}


@pytest.fixture(scope="module")
def env(module_database_url: str, api_key: Callable[..., str]) -> Iterator[Env]:
    url = module_database_url
    keys = {s: api_key(url, s, f"{s}-key") for s in ("admin", "write", "read")}
    app = create_app(Settings(database_url=url, profile_refresh_seconds=0.2))
    with TestClient(app) as client:
        yield Env(client, url, keys["admin"], keys["write"], keys["read"])


def test_admin_endpoints_need_an_admin_key(env: Env) -> None:
    for method, path in (
        ("GET", "/v1/admin/keys"),
        ("POST", "/v1/admin/keys"),
        ("DELETE", "/v1/admin/keys/1"),
        ("GET", "/v1/admin/audit"),
        ("POST", "/v1/admin/catalog/revisions"),
        ("POST", "/v1/admin/catalog/revisions/1/activate"),
    ):
        assert env.client.request(method, path).status_code == 401, path
        for key in (env.reader, env.writer):
            denied = env.client.request(method, path, headers=env.as_(key))
            assert denied.status_code == 403, path
            assert denied.headers["content-type"] == PROBLEM


def test_a_route_without_a_body_ignores_a_stray_one(env: Env) -> None:
    # `curl -X POST -d '{}'` sends a form content type; the route reads no body, so neither its
    # content type (415) nor its text (422) is a reason to refuse the request.
    for content_type, body in (
        ("application/x-www-form-urlencoded", b"{}"),
        ("application/json", b"\xed\xa0\x80"),
    ):
        response = env.client.post(
            "/v1/admin/catalog/revisions/999/activate",
            content=body,
            headers={**env.as_(env.admin), "content-type": content_type},
        )
        assert response.status_code == 404, (content_type, response.text)


def test_key_lifecycle(env: Env) -> None:
    created = env.client.post(
        "/v1/admin/keys", json={"name": "ci", "scope": "write"}, headers=env.as_(env.admin)
    )
    assert created.status_code == 201, created.text
    assert created.headers["cache-control"] == "no-store"
    body = created.json()
    token = body["key"]
    assert token.startswith(f"pp_{body['prefix']}_")
    assert body["scope"] == "write"
    assert body["revoked_at"] is None

    listing = env.client.get("/v1/admin/keys", headers=env.as_(env.admin)).json()
    assert all("key" not in k for k in listing["items"])
    assert token not in json.dumps(listing)
    assert body["id"] in [k["id"] for k in listing["items"]]
    writes = env.client.get(
        "/v1/admin/keys", params={"scope": "write"}, headers=env.as_(env.admin)
    ).json()["items"]
    assert {k["scope"] for k in writes} == {"write"}

    deprecate = "/v1/profiles/Source/AWS/S3/1/deprecate"
    usable = env.client.post(deprecate, headers={"X-API-Key": token})
    assert usable.status_code == 428  # authenticated and authorised: only If-Match is missing

    revoked = env.client.delete(f"/v1/admin/keys/{body['id']}", headers=env.as_(env.admin))
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    assert env.client.post(deprecate, headers={"X-API-Key": token}).status_code == 401
    again = env.client.delete(f"/v1/admin/keys/{body['id']}", headers=env.as_(env.admin))
    assert again.json()["revoked_at"] == revoked.json()["revoked_at"]
    assert env.client.delete("/v1/admin/keys/99999", headers=env.as_(env.admin)).status_code == 404
    revoked_list = env.client.get(
        "/v1/admin/keys", params={"revoked": True}, headers=env.as_(env.admin)
    ).json()["items"]
    assert [k["id"] for k in revoked_list] == [body["id"]]

    bad = env.client.post(
        "/v1/admin/keys", json={"name": "x", "scope": "root"}, headers=env.as_(env.admin)
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["pointer"] == "/scope"


def test_key_list_pagination(env: Env) -> None:
    for i in range(3):
        env.client.post(
            "/v1/admin/keys", json={"name": f"k{i}", "scope": "read"}, headers=env.as_(env.admin)
        )
    everything = env.client.get("/v1/admin/keys", headers=env.as_(env.admin)).json()["items"]
    walked: list[int] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = env.client.get("/v1/admin/keys", params=params, headers=env.as_(env.admin)).json()
        walked += [k["id"] for k in page["items"]]
        cursor = page.get("next_cursor")
        if not cursor:
            break
    assert walked == [k["id"] for k in everything]


def test_audit_filters_and_pagination(env: Env) -> None:
    admin = env.as_(env.admin)
    for i in range(3):
        env.client.post("/v1/admin/keys", json={"name": f"a{i}", "scope": "read"}, headers=admin)
    created = env.client.get(
        "/v1/admin/audit", params={"action": "key.create"}, headers=admin
    ).json()["items"]
    assert len(created) >= 3
    assert all(e["action"] == "key.create" for e in created)
    ids = [e["id"] for e in created]
    assert ids == sorted(ids, reverse=True)  # newest first
    walked: list[int] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"action": "key.create", "limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = env.client.get("/v1/admin/audit", params=params, headers=admin).json()
        walked += [e["id"] for e in page["items"]]
        cursor = page.get("next_cursor")
        if not cursor:
            break
    assert walked == ids

    newest = created[0]
    assert newest["detail"]["scope"] == "read"
    admin_id = newest["key_id"]
    by_key = env.client.get("/v1/admin/audit", params={"key_id": admin_id}, headers=admin)
    assert {e["key_id"] for e in by_key.json()["items"]} == {admin_id}
    at = newest["at"]
    since = env.client.get("/v1/admin/audit", params={"since": at}, headers=admin).json()
    assert newest["id"] in [e["id"] for e in since["items"]]
    until = env.client.get("/v1/admin/audit", params={"until": at}, headers=admin).json()
    assert newest["id"] not in [e["id"] for e in until["items"]]
    by_target = env.client.get(
        "/v1/admin/audit", params={"target": newest["target"]}, headers=admin
    ).json()["items"]
    assert [e["id"] for e in by_target] == [newest["id"]]
    seeded = env.client.get("/v1/admin/audit", params={"action": "profile.seed"}, headers=admin)
    assert len(seeded.json()["items"]) > 20
    assert all(e["key_id"] is None for e in seeded.json()["items"])
    for params in ({"since": "yesterday"}, {"target": "a\x00b"}, {"action": "DROP TABLE"}):
        assert env.client.get("/v1/admin/audit", params=params, headers=admin).status_code == 422


def _compute_catalog(client: TestClient) -> dict[str, Any]:
    response = client.post("/v1/policies/compute", json={"pipelines": [pipeline()]})
    assert response.status_code == 200, response.text
    catalog: dict[str, Any] = response.json()["provenance"]["catalog"]
    return catalog


def test_catalogue_revisions(env: Env, tmp_path: Path, run_cli: Callable[..., Result]) -> None:
    admin = env.as_(env.admin)
    shipped = _compute_catalog(env.client)
    listing = env.client.get("/v1/catalog/revisions").json()
    assert listing["items"] == []
    assert listing["in_use"] == shipped

    # These toy catalogues would break the service in place of the shipped one: forced.
    data = snapshot("v1")
    imported = env.client.post(
        "/v1/admin/catalog/revisions",
        json={"snapshot_base64": base64.b64encode(data).decode(), "force": True},
        headers=admin,
    )
    assert imported.status_code == 201, imported.text
    revision = imported.json()
    assert revision["active"] is False
    assert revision["actions"] == 3
    assert revision["source_version"] == "v1"
    duplicate = env.client.post(
        "/v1/admin/catalog/revisions",
        json={"snapshot_base64": base64.b64encode(data).decode()},
        headers=admin,
    )
    assert duplicate.status_code == 409

    from_documents = env.client.post(
        "/v1/admin/catalog/revisions",
        json={
            "service_reference": SERVICES,
            "source_version": "v2",
            "date": "2026-10-02",
            "force": True,
        },
        headers=admin,
    )
    assert from_documents.status_code == 201, from_documents.text
    assert from_documents.json()["source"] == "aws:service-reference"

    problems = [
        ({"snapshot_base64": "%%%"}, "/snapshot_base64"),
        ({"snapshot_base64": base64.b64encode(b"not gzip").decode()}, "/snapshot_base64"),
        (
            {
                "service_reference": [{"Name": "x", "Actions": "no"}],
                "source_version": "v",
                "date": "2026-01-01",
            },
            "/service_reference",
        ),
        ({"service_reference": SERVICES, "date": "2026-01-01"}, "/source_version"),
        ({}, ""),
    ]
    for body, pointer in problems:
        response = env.client.post("/v1/admin/catalog/revisions", json=body, headers=admin)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["errors"][0]["pointer"] == pointer

    activated = env.client.post(
        f"/v1/admin/catalog/revisions/{revision['id']}/activate",
        params={"force": "true"},
        headers=admin,
    )
    assert activated.status_code == 200
    assert activated.json()["active"] is True
    deadline = time.monotonic() + 5
    while _compute_catalog(env.client)["sha256"] != revision["sha256"]:
        assert time.monotonic() < deadline, "the active catalogue never reached compute"
        time.sleep(0.05)
    cited = _compute_catalog(env.client)
    assert cited["version"] == "v1"
    assert cited["actions"] == 3
    active = env.client.get("/v1/catalog/revisions", params={"active": True}).json()["items"]
    assert [r["id"] for r in active] == [revision["id"]]
    assert (
        env.client.post("/v1/admin/catalog/revisions/999/activate", headers=admin).status_code
        == 404
    )
    page = env.client.get("/v1/catalog/revisions", params={"limit": 1}).json()
    assert page["next_cursor"]
    rest = env.client.get("/v1/catalog/revisions", params={"cursor": page["next_cursor"]}).json()
    assert [r["id"] for r in page["items"] + rest["items"]] == [
        from_documents.json()["id"],
        revision["id"],
    ]
    events = env.client.get(
        "/v1/admin/audit", params={"action": "catalog.activate"}, headers=admin
    ).json()["items"]
    assert events[0]["after_revision"] == revision["id"]

    # The command line: import a snapshot file and activate it; replicas follow.
    path = tmp_path / "snapshot.json.gz"
    path.write_bytes(snapshot("v3"))
    result = run_cli(env.url, "catalog", "import", str(path), "--activate", "--force")
    assert result.exit_code == 0, result.output
    assert "active" in result.output
    deadline = time.monotonic() + 5
    while _compute_catalog(env.client)["version"] != "v3":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    again = run_cli(env.url, "catalog", "import", str(path))
    assert again.exit_code == 1
    assert "already" in again.output

    # The shipped catalogue back in use: a repair, no force needed (and the module's later
    # tests find the service ready).
    shipped_path = tmp_path / "shipped.json.gz"
    shipped_path.write_bytes(load_snapshot())
    repaired = run_cli(env.url, "catalog", "import", str(shipped_path), "--activate")
    assert repaired.exit_code == 0, repaired.output
    deadline = time.monotonic() + 5
    while _compute_catalog(env.client)["sha256"] != shipped["sha256"]:
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_cli_keys(env: Env, run_cli: Callable[..., Result]) -> None:
    made = run_cli(env.url, "keys", "create", "--name", "from-cli", "--scope", "write")
    assert made.exit_code == 0, made.output
    token = made.output.strip().splitlines()[-1]
    key_id = made.output.split()[1]
    deprecate = "/v1/profiles/Source/AWS/S3/1/deprecate"
    assert env.client.post(deprecate, headers={"X-API-Key": token}).status_code == 428
    listed = run_cli(env.url, "keys", "list")
    assert "from-cli" in listed.output
    assert token not in listed.output
    revoked = run_cli(env.url, "keys", "revoke", key_id)
    assert revoked.exit_code == 0, revoked.output
    assert env.client.post(deprecate, headers={"X-API-Key": token}).status_code == 401
    missing = run_cli(env.url, "keys", "revoke", "99999")
    assert missing.exit_code == 1


@contextmanager
def _statements(client: TestClient) -> Iterator[list[str]]:
    engine = client.app.state.services.engine  # type: ignore[attr-defined]
    seen: list[str] = []

    def count(*args: Any) -> None:
        seen.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_open_reads_do_no_key_round_trip(env: Env) -> None:
    app = create_app(Settings(database_url=env.url, profile_refresh_seconds=300))
    request = {"pipelines": [pipeline()]}
    with TestClient(app) as client, _statements(client) as seen:
        for _ in range(3):
            headers = {"Authorization": "Bearer anything"}
            assert client.post("/v1/policies/compute", json=request, headers=headers).is_success
    assert seen == []


def test_reads_behind_keys(env: Env, api_key: Callable[..., str]) -> None:
    reader = api_key(env.url, "read", "short-lived")
    ttl = 0.3
    app = create_app(
        Settings(database_url=env.url, profile_refresh_seconds=ttl, require_keys_for_reads=True)
    )
    request = {"pipelines": [pipeline()]}
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        assert client.get("/readyz").status_code == 200
        closed = client.get("/v1/profiles")
        assert closed.status_code == 401
        assert closed.headers["www-authenticate"].startswith("Bearer")
        assert closed.headers["content-type"] == PROBLEM
        assert client.post("/v1/policies/compute", json=request).status_code == 401
        ok = client.get("/v1/profiles", headers={"X-API-Key": reader})
        assert ok.status_code == 200
        revision = client.get(
            "/v1/profiles/Source/AWS/S3/1/revisions/1", headers={"X-API-Key": reader}
        )
        assert revision.headers["cache-control"] == "private, max-age=31536000, immutable"
        headers = {"Authorization": f"Bearer {reader}"}
        assert client.post("/v1/policies/compute", json=request, headers=headers).is_success
        with _statements(client) as seen:
            assert client.post("/v1/policies/compute", json=request, headers=headers).is_success
        key_queries = [s for s in seen if "api_key" in s]
        assert key_queries == []  # a verified key is remembered
        # A read key still cannot write.
        denied = client.post("/v1/profiles", json={}, headers=headers)
        assert denied.status_code == 403
        # Revocation reaches cached reads within the TTL.
        keys = env.client.get("/v1/admin/keys", headers=env.as_(env.admin)).json()["items"]
        key_id = next(k["id"] for k in keys if k["name"] == "short-lived")
        assert env.client.delete(f"/v1/admin/keys/{key_id}", headers=env.as_(env.admin)).is_success
        deadline = time.monotonic() + ttl + 1
        while client.get("/v1/profiles", headers=headers).status_code != 401:
            assert time.monotonic() < deadline, "revocation not seen within the bound"
            time.sleep(0.05)


OPERATIONAL_PATHS = ["/metrics", "/docs", "/redoc", "/openapi.json", "/static/docs/swagger-ui.css"]


@pytest.mark.parametrize("protected", [False, True])
def test_operational_endpoints_behind_a_read_key(env: Env, protected: bool) -> None:
    app = create_app(
        Settings(
            database_url=env.url,
            require_keys_for_reads=True,
            protect_operational_endpoints=protected,
        )
    )
    with TestClient(app) as client:
        for path in OPERATIONAL_PATHS:
            closed = client.get(path)
            if not protected:
                assert closed.status_code == 200, path  # open, as before
                continue
            assert closed.status_code == 401, path
            assert closed.headers["content-type"] == PROBLEM
            assert closed.headers["www-authenticate"].startswith("Bearer")
            assert client.get(path, headers={"X-API-Key": "pp_nope_nope"}).status_code == 401
            assert client.get(path, headers=env.as_(env.reader)).status_code == 200, path
        # The probes stay open for the orchestrator.
        assert client.get("/healthz").status_code == 200
        assert client.get("/readyz").status_code == 200


def test_protecting_operational_endpoints_needs_keys_for_reads(env: Env) -> None:
    app = create_app(Settings(database_url=env.url, protect_operational_endpoints=True))
    with TestClient(app) as client:
        for path in OPERATIONAL_PATHS:
            assert client.get(path).status_code == 200, path  # reads are open: so are these


def test_production_turns_keys_on(env: Env) -> None:
    assert Settings(database_url=env.url, production=True).keys_required_for_reads
    assert not Settings(database_url=env.url).keys_required_for_reads


def test_cli_imports_a_service_reference_directory(
    env: Env, tmp_path: Path, run_cli: Callable[..., Result]
) -> None:
    directory = tmp_path / "reference"
    directory.mkdir()
    for service in [*SERVICES, service_document("sprockets", "Turn")]:
        (directory / f"{service['Name']}.json").write_text(json.dumps(service))
    without_version = run_cli(env.url, "catalog", "import", str(directory))
    assert without_version.exit_code != 0
    done = run_cli(
        env.url,
        "catalog", "import", str(directory), "--source-version", "v9", "--date", "2026-11-01",
        "--force",
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "4 actions" in done.output
    listed = run_cli(env.url, "catalog", "list")
    assert "aws:service-reference\tv9\t2026-11-01" in listed.output


def test_every_list_leaves_next_cursor_out_on_its_last_page(env: Env) -> None:
    admin = env.as_(env.admin)
    env.client.post("/v1/admin/keys", json={"name": "paged", "scope": "read"}, headers=admin)
    lists = {
        "/v1/profiles": 10,
        "/v1/profiles/Source/AWS/CodeCommit/1/revisions": 1,
        "/v1/catalog/revisions": 1,
        "/v1/admin/keys": 1,
        "/v1/admin/audit": 2,
        "/v1/baselines": 1,
    }
    for path, limit in lists.items():
        pages: list[dict[str, Any]] = []
        cursor: str | None = None
        while len(pages) < 100:
            params: dict[str, Any] = {"limit": limit, **({"cursor": cursor} if cursor else {})}
            response = env.client.get(path, params=params, headers=admin)
            assert response.status_code == 200, (path, response.text)
            pages.append(response.json())
            cursor = pages[-1].get("next_cursor")
            if "next_cursor" not in pages[-1]:
                break
            assert isinstance(cursor, str), (path, pages[-1])
            assert cursor, path
        assert "next_cursor" not in pages[-1], path
        assert all(len(p["items"]) == limit for p in pages[:-1]), path
        if path in {"/v1/profiles", "/v1/admin/keys", "/v1/admin/audit", "/v1/baselines"}:
            assert len(pages) > 1, path  # these hold more than one page here
