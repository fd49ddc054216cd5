"""The product's route class: the key and strict-JSON checks run in every API route, and the
body is decoded once."""

from __future__ import annotations

import gc
import importlib
import json
import pkgutil
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError

import app.api.routers as routers_package
from app.api.checked_route import CheckedRoute
from app.main import YOUNG_COLLECTION_THRESHOLD, create_app
from app.settings import Settings

ROUTER_MODULES = sorted(m.name for m in pkgutil.iter_modules(routers_package.__path__))


@pytest.mark.parametrize("module_name", ROUTER_MODULES)
def test_every_api_route_is_checked(module_name: str) -> None:
    module = importlib.import_module(f"app.api.routers.{module_name}")
    routes = [r for r in module.router.routes if isinstance(r, APIRoute)]
    assert routes, f"{module_name} declares no API route"
    unchecked = [r.path for r in routes if not isinstance(r, CheckedRoute)]
    assert unchecked == [], f"routes without the key and strict-JSON checks: {unchecked}"


def test_the_body_is_decoded_once(
    client: TestClient, reference: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    plain_decodes: list[int] = []
    real_loads = json.loads

    def counting_loads(text: Any, **kwargs: Any) -> Any:
        if "object_pairs_hook" not in kwargs:  # the strict decode passes its hook
            plain_decodes.append(1)
        return real_loads(text, **kwargs)

    monkeypatch.setattr(json, "loads", counting_loads)
    response = client.post("/v1/policies/compute", json={"pipelines": [reference]})
    assert response.status_code == 200, response.text
    assert plain_decodes == []


def test_repeated_member_is_still_refused_with_its_pointer(client: TestClient) -> None:
    response = client.post(
        "/v1/policies/evaluate",
        content=b'{"policy": {"documents": []}, "requests": [], "requests": []}',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["errors"][0]["pointer"] == "/requests"


def test_what_start_up_loaded_is_frozen_while_the_app_runs(seeded_database_url: str) -> None:
    app = create_app(Settings(database_url=seeded_database_url, profile_refresh_seconds=60))
    before = gc.get_threshold()
    with TestClient(app) as test_client:
        assert test_client.get("/readyz").status_code == 200
        assert gc.get_freeze_count() > 0
        # The youngest generation is collected less often while the app serves.
        assert gc.get_threshold()[0] == YOUNG_COLLECTION_THRESHOLD
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == before


def test_the_collector_runs_once_start_up_has_loaded(seeded_database_url: str) -> None:
    # `serve` pauses the collector before the app's imports; the lifespan starts it again once
    # what start-up loaded is frozen, and also when start-up fails.
    app = create_app(Settings(database_url=seeded_database_url, profile_refresh_seconds=60))
    gc.disable()
    try:
        with TestClient(app) as test_client:
            assert gc.isenabled()
            assert test_client.get("/readyz").status_code == 200
        broken = create_app(Settings(database_url="sqlite:////nonexistent/dir/db.sqlite"))
        gc.disable()
        with pytest.raises(OperationalError), TestClient(broken):
            pass
        assert gc.isenabled()
    finally:
        gc.enable()


@pytest.mark.parametrize(
    ("content_type", "body", "status", "pointer", "says"),
    [
        ("text/plain", b'{"pipelines": []}', 415, "header:Content-Type", "application/json"),
        ("application/x-www-form-urlencoded", b"a=b", 415, "header:Content-Type", "form"),
        ("application/json", b'{"pipelines": ["\xff"]}', 422, "", "UTF-8"),
        ("application/json", b"[" * 100_000 + b"]" * 100_000, 422, "/0" * 64, "64 levels deep"),
        ("application/json", b'{"pipelines": [}', 422, "/pipelines", "not JSON"),
        # A surrogate encoded as raw UTF-8 bytes is not UTF-8 either (it was a 500).
        ("application/json", b'{"pipelines": [{"name": "\xed\xa0\x80"}]}', 422, "", "UTF-8"),
        # RFC 8259: JSON between systems is UTF-8; UTF-16 (with its escapes) is refused.
        ("application/json", '{"pipelines": ["\\ud800"]}'.encode("utf-16"), 422, "", "UTF-8"),
        (None, b'{"pipelines": []}', 415, "header:Content-Type", "without a Content-Type"),
    ],
)
def test_a_body_that_is_not_json_text_is_a_located_problem(
    client: TestClient,
    content_type: str | None,
    body: bytes,
    status: int,
    pointer: str | None,
    says: str,
) -> None:
    headers = {"content-type": content_type} if content_type else {}
    response = client.post("/v1/policies/compute", content=body, headers=headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    (error,) = response.json()["errors"]
    if pointer is not None:
        assert error["pointer"] == pointer
    assert says in error["detail"] or says in response.json()["detail"]


def test_a_post_without_a_body_needs_no_content_type(client: TestClient) -> None:
    # POST /v1/policies/compute without a body: the model says the body is missing (422),
    # whatever the content type, rather than a 415 for a body that is not there.
    response = client.post("/v1/policies/compute", headers={"content-type": "text/plain"})
    assert response.status_code == 422, response.text


def test_a_byte_order_mark_before_utf_8_json_is_ignored(
    client: TestClient, reference: dict[str, Any]
) -> None:
    body = b"\xef\xbb\xbf" + json.dumps({"pipelines": [reference]}).encode()
    response = client.post(
        "/v1/policies/compute", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 200, response.text
