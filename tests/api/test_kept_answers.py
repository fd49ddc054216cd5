"""Kept answers: decisions asked again with the same bytes, on a database of their own (SQLite
and PostgreSQL), through the real app."""

from __future__ import annotations

import dataclasses
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


def _cache_count(client: TestClient, result: str, kind: str = "compute") -> float:
    for family in text_string_to_metric_families(client.get("/metrics").text):
        if family.name == "pipeline_policy_answer_cache":
            for sample in family.samples:
                if sample.name.endswith("_total") and sample.labels == {
                    "kind": kind,
                    "result": result,
                }:
                    return sample.value
    return 0.0


def _counts(client: TestClient, kind: str = "compute") -> tuple[float, float]:
    """(hits, misses) so far."""
    return _cache_count(client, "hit", kind), _cache_count(client, "miss", kind)


def _request(name: str | None = None) -> dict[str, Any]:
    """A (valid) pipeline of its own, so no other test's answer is kept for it."""
    invoke = {"category": "Invoke", "owner": "AWS", "provider": "Lambda", "version": "1"}
    return {"pipelines": [pipeline(invoke, name=name or f"p-{uuid.uuid4().hex[:8]}")]}


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


def test_nothing_is_kept_or_counted_when_turned_off(module_database_url: str) -> None:
    settings = Settings(database_url=module_database_url, answer_cache_bytes=0)
    with TestClient(create_app(settings)) as client:
        request = _request()
        before = _counts(client)
        first = client.post(COMPUTE, json=request)
        second = client.post(COMPUTE, json=request)
        assert first.status_code == second.status_code == 200
        assert second.json()["decision_id"] != first.json()["decision_id"]
        assert _counts(client) == before  # no look-up, so neither a hit nor a miss
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


def test_a_large_body_is_kept(env: Env) -> None:
    request = {"pipelines": [pipeline(name=f"big-{uuid.uuid4().hex[:6]}-{i}") for i in range(40)]}
    body = json.dumps(request).encode()
    hits, misses = _counts(env.client)
    headers = {"content-type": "application/json"}
    first = env.client.post(COMPUTE, content=body, headers=headers)
    second = env.client.post(COMPUTE, content=body, headers=headers)
    assert first.status_code == second.status_code == 200
    assert _without_id(second.json()) == _without_id(first.json())
    assert _counts(env.client) == (hits + 1, misses + 1)


def _twice(env: Env, path: str, request: dict[str, Any]) -> list[dict[str, Any]]:
    answers = []
    for _ in range(2):
        response = env.client.post(path, json=request)
        assert response.status_code == 200, response.text
        answers.append(response.json())
    return answers


def _decisions(client: TestClient, kind: str) -> dict[str, float]:
    """The decisions counted so far for `kind`, by verdict."""
    for family in text_string_to_metric_families(client.get("/metrics").text):
        if family.name == "pipeline_policy_decisions":
            return {
                s.labels["verdict"]: s.value
                for s in family.samples
                if s.name.endswith("_total") and s.labels["kind"] == kind
            }
    return {}


def _evaluate_request(name: str) -> dict[str, Any]:
    statements = [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"},
    ]
    return {
        "policy": {"documents": [{"Version": "2012-10-17", "Statement": statements}]},
        "requests": [  # one of each verdict
            {"action": "s3:GetObject", "resource": f"arn:aws:s3:::{name}/k"},
            {"action": "s3:DeleteObject", "resource": f"arn:aws:s3:::{name}/k"},
            {"action": "ec2:RunInstances"},
        ],
    }


# (kind, path, a request of its own for a new name): every route whose answers are kept.
DECISIONS: list[tuple[str, str, Callable[[str], dict[str, Any]]]] = [
    ("compute", COMPUTE, lambda name: {"pipelines": [pipeline(name=name)]}),
    (
        "diff",
        "/v1/policies/diff",
        lambda name: {
            "current": {"documents": [{"Version": "2012-10-17", "Statement": []}]},
            "required": {"pipelines": [pipeline(name=name)]},
        },
    ),
    ("evaluate", "/v1/policies/evaluate", _evaluate_request),
    ("pipelines", "/v1/pipelines/validate", lambda name: {"pipelines": [pipeline(name=name)]}),
]
_IDS = [d[0] for d in DECISIONS]


def _new_name() -> str:
    return f"p-{uuid.uuid4().hex[:8]}"


@pytest.mark.parametrize(("kind", "path", "request_of"), DECISIONS, ids=_IDS)
def test_every_decision_is_kept_and_counted_alike(
    env: Env, kind: str, path: str, request_of: Callable[[str], dict[str, Any]]
) -> None:
    request = request_of(_new_name())
    hits, misses = _counts(env.client, kind)
    before = _decisions(env.client, kind)
    first = env.client.post(path, json=request)
    assert first.status_code == 200, first.text
    after_miss = _decisions(env.client, kind)
    second = env.client.post(path, json=request)
    after_hit = _decisions(env.client, kind)
    assert _without_id(second.json()) == _without_id(first.json())
    assert second.json()["decision_id"] != first.json()["decision_id"]
    assert _counts(env.client, kind) == (hits + 1, misses + 1)
    counted = {v: n - before.get(v, 0) for v, n in after_miss.items()}
    counted = {v: n for v, n in counted.items() if n}
    assert counted, "the computed answer counted no decision"
    if kind == "evaluate":
        assert counted == {"allowed": 1, "explicitly_denied": 1, "implicitly_denied": 1}
    # The kept answer counts the same decisions again.
    assert {v: after_hit.get(v, 0) - after_miss.get(v, 0) for v in counted} == counted


@pytest.mark.parametrize(("kind", "path", "request_of"), DECISIONS, ids=_IDS)
def test_the_same_bytes_under_another_content_type_are_refused(
    env: Env, kind: str, path: str, request_of: Callable[[str], dict[str, Any]]
) -> None:
    body = json.dumps(request_of(_new_name())).encode()
    as_json = env.client.post(path, content=body, headers={"content-type": "application/json"})
    assert as_json.status_code == 200, as_json.text
    for content_type in ("text/plain", "application/x-www-form-urlencoded"):
        refused = env.client.post(path, content=body, headers={"content-type": content_type})
        assert refused.status_code == 415, (kind, content_type, refused.text)
        assert refused.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(("kind", "path", "request_of"), DECISIONS, ids=_IDS)
def test_a_new_catalogue_is_used_by_the_next_request(
    env: Env, kind: str, path: str, request_of: Callable[[str], dict[str, Any]]
) -> None:
    app = env.client.app
    request = request_of(_new_name())
    first, kept = _twice(env, path, request)
    services = app.state.services  # type: ignore[attr-defined]
    catalogue = kept["provenance"]["catalog"]
    assert catalogue == first["provenance"]["catalog"]
    assert catalogue["version"] == services.catalog_info.version
    # What activating another catalogue does (app/main.py): new services, new catalogue info.
    new_info = dataclasses.replace(services.catalog_info, version="another-snapshot")
    app.state.services = dataclasses.replace(services, catalog_info=new_info)  # type: ignore[attr-defined]
    try:
        again = env.client.post(path, json=request).json()
        assert again["provenance"]["catalog"]["version"] == "another-snapshot"
    finally:
        app.state.services = services  # type: ignore[attr-defined]
    assert env.client.post(path, json=request).json()["provenance"]["catalog"] == catalogue


@pytest.mark.parametrize(
    ("kind", "path", "body"),
    [
        (
            "diff",
            "/v1/policies/diff",
            {"current": {"baseline": "legacy-2019"}, "required": {"pipelines": [pipeline()]}},
        ),
        (
            "diff",
            "/v1/policies/diff",
            {
                "current": {"documents": [{"Statement": []}]},
                "required": {"pipelines": [pipeline()], "profiles": {"as_of": "2099-01-01"}},
            },
        ),
        (
            "evaluate",
            "/v1/policies/evaluate",
            {"policy": {"baseline": "legacy-2019"}, "requests": [{"action": "ec2:RunInstances"}]},
        ),
        (
            "pipelines",
            "/v1/pipelines/validate",
            {"pipelines": [pipeline()], "profiles": {"as_of": "2099-01-01"}},
        ),
    ],
)
def test_answers_on_a_named_baseline_or_a_selection_are_not_kept(
    env: Env, kind: str, path: str, body: dict[str, Any]
) -> None:
    before = _counts(env.client, kind)
    _twice(env, path, body)
    assert _counts(env.client, kind) == before
