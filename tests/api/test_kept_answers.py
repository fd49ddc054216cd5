"""Kept answers: compute asked again with the same bytes, on its own database (SQLite and
PostgreSQL), through the real app."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from app.main import create_app
from app.settings import Settings

from ..documents import CUSTOM_KEY, custom_profile, pipeline, used_revisions, with_note

COMPUTE = "/v1/policies/compute"


@dataclass
class Env:
    client: TestClient
    url: str
    writer: str


@pytest.fixture(scope="module")
def env(module_database_url: str, api_key: Callable[..., str]) -> Iterator[Env]:
    settings = Settings(
        database_url=module_database_url, profile_refresh_seconds=0.2, validate_responses=True
    )
    with TestClient(create_app(settings)) as client:
        yield Env(client, module_database_url, api_key(module_database_url, "write"))


def _cache_count(client: TestClient, result: str) -> float:
    for family in text_string_to_metric_families(client.get("/metrics").text):
        if family.name == "pipeline_policy_answer_cache":
            for sample in family.samples:
                if sample.name.endswith("_total") and sample.labels == {
                    "kind": "compute",
                    "result": result,
                }:
                    return sample.value
    return 0.0


def _request(name: str | None = None) -> dict[str, Any]:
    """A pipeline of its own, so no other test's answer is kept for it."""
    return {"pipelines": [pipeline(name=name or f"p-{uuid.uuid4().hex[:8]}")]}


def _without_id(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != "decision_id"}


def test_the_same_request_gets_the_same_answer_with_its_own_decision_id(env: Env) -> None:
    request = _request()
    hits, misses = _cache_count(env.client, "hit"), _cache_count(env.client, "miss")
    first = env.client.post(COMPUTE, json=request)
    second = env.client.post(COMPUTE, json=request)
    assert first.status_code == second.status_code == 200
    assert second.headers["content-type"] == first.headers["content-type"]
    assert _without_id(second.json()) == _without_id(first.json())
    assert second.json()["decision_id"] != first.json()["decision_id"]
    uuid.UUID(second.json()["decision_id"])
    assert _cache_count(env.client, "miss") == misses + 1
    assert _cache_count(env.client, "hit") == hits + 1


def test_a_kept_answer_is_not_decoded_again(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    body = json.dumps(_request()).encode()
    headers = {"content-type": "application/json"}
    assert env.client.post(COMPUTE, content=body, headers=headers).status_code == 200
    decodes: list[int] = []
    real_loads = json.loads

    def counting_loads(text: Any, **kwargs: Any) -> Any:
        decodes.append(1)
        return real_loads(text, **kwargs)

    monkeypatch.setattr(json, "loads", counting_loads)
    assert env.client.post(COMPUTE, content=body, headers=headers).status_code == 200
    assert decodes == []
    # Other bytes (the same document, spaced otherwise) are decoded and checked as ever.
    spaced = json.dumps(json.loads(body), indent=1).encode()
    assert env.client.post(COMPUTE, content=spaced, headers=headers).status_code == 200
    assert decodes


@pytest.mark.parametrize(
    ("params", "accept", "media"),
    [
        ({}, None, "application/json"),
        ({"format": "terraform"}, None, "text/x-hcl"),
        ({}, "application/x-yaml", "application/x-yaml"),
        ({"format": "json"}, "application/x-yaml", "application/json"),
    ],
)
def test_the_format_asked_for_is_part_of_the_key(
    env: Env, params: dict[str, str], accept: str | None, media: str
) -> None:
    request = _request(name="formats")
    answers = []
    for _ in range(2):  # the second of each is kept (by an earlier parameter for json)
        headers = {"accept": accept} if accept else {}
        response = env.client.post(COMPUTE, json=request, params=params, headers=headers)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith(media)
        answers.append(response.text)
    if media != "application/json":
        assert answers[0] == answers[1]


def test_a_refused_body_is_refused_again(env: Env) -> None:
    request = _request()
    del request["pipelines"][0]["pipeline"]["stages"]
    for _ in range(2):
        response = env.client.post(COMPUTE, json=request)
        assert response.status_code == 422
        assert response.headers["content-type"].startswith("application/problem+json")


def test_a_profile_selection_is_never_kept(env: Env) -> None:
    current = env.client.get("/v1/profiles").json()
    assert current
    request = {**_request(), "profiles": {"as_of": "2099-01-01"}}
    hits, misses = _cache_count(env.client, "hit"), _cache_count(env.client, "miss")
    for _ in range(2):
        assert env.client.post(COMPUTE, json=request).status_code == 200
    assert (_cache_count(env.client, "hit"), _cache_count(env.client, "miss")) == (hits, misses)


def test_a_new_profile_revision_is_used_by_the_next_request(env: Env) -> None:
    headers = {"Authorization": f"Bearer {env.writer}"}
    path = "/v1/profiles/Invoke/Custom/KeptAnswer/1"
    doc = custom_profile("KeptAnswer")
    assert env.client.post("/v1/profiles", json=doc, headers=headers).status_code == 201
    services = env.client.app.state.services  # type: ignore[attr-defined]
    services.profiles.refresh()
    request = {"pipelines": [pipeline({**CUSTOM_KEY, "provider": "KeptAnswer"})]}
    label = "Invoke/Custom/KeptAnswer/1"
    for _ in range(2):  # computed, then kept
        assert used_revisions(env.client.post(COMPUTE, json=request).json())[label] == 1
    etag = env.client.get(path).headers["etag"]
    published = env.client.put(
        path, json=with_note(doc, "v2"), headers={**headers, "If-Match": etag}
    )
    assert published.status_code == 200
    services.profiles.refresh()  # what the refresher does within PROFILE_REFRESH_SECONDS
    assert used_revisions(env.client.post(COMPUTE, json=request).json())[label] == 2


def test_nothing_is_kept_when_turned_off(module_database_url: str) -> None:
    settings = Settings(database_url=module_database_url, answer_cache_bytes=0)
    with TestClient(create_app(settings)) as client:
        request = _request()
        hits = _cache_count(client, "hit")
        first = client.post(COMPUTE, json=request)
        second = client.post(COMPUTE, json=request)
        assert first.status_code == second.status_code == 200
        assert _cache_count(client, "hit") == hits
        assert not client.app.state.services.answers  # type: ignore[attr-defined]


def test_a_kept_answer_still_needs_a_key(
    module_database_url: str, api_key: Callable[..., str]
) -> None:
    reader = api_key(module_database_url, "read", "kept-reader")
    settings = Settings(database_url=module_database_url, require_keys_for_reads=True)
    with TestClient(create_app(settings)) as client:
        request = _request()
        auth = {"Authorization": f"Bearer {reader}"}
        for _ in range(2):
            assert client.post(COMPUTE, json=request, headers=auth).status_code == 200
        refused = client.post(COMPUTE, json=request)
        assert refused.status_code == 401
        assert refused.headers["content-type"].startswith("application/problem+json")
