"""Profiles that extend another, through the API: checked resolved with the parent's current
revision, served as written and resolved (with the parent's revision named), kept valid when the
parent changes, and used by compute with both revisions in the provenance."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings

from ..documents import CUSTOM_KEY, custom_profile, pipeline, used_revisions, with_note

PROBLEM = "application/problem+json"


@dataclass
class Env:
    client: TestClient
    admin: str
    writer: str

    def as_(self, key: str, **headers: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {key}", **headers}


@pytest.fixture(scope="module")
def env(module_database_url: str, api_key: Callable[..., str]) -> Iterator[Env]:
    url = module_database_url
    admin, writer = api_key(url, "admin", "admin-key"), api_key(url, "write", "write-key")
    app = create_app(Settings(database_url=url, profile_refresh_seconds=0.2))
    with TestClient(app) as client:
        yield Env(client, admin, writer)


def _key(provider: str, category: str = "Invoke") -> dict[str, str]:
    return {**CUSTOM_KEY, "category": category, "provider": provider}


def _path(key: dict[str, str]) -> str:
    return f"/v1/profiles/{key['category']}/{key['owner']}/{key['provider']}/{key['version']}"


def _child(provider: str, parent: str, **changes: Any) -> dict[str, Any]:
    return {
        "action_type": _key(provider, "Deploy"),
        "extends": _key(parent),
        "title": f"{provider}, as {parent} does",
        "supported_since": None,
        "effective_date": "2026-11-28",
        **changes,
    }


def _create(env: Env, document: dict[str, Any], key: str | None = None) -> Any:
    return env.client.post("/v1/profiles", json=document, headers=env.as_(key or env.writer))


def _put(env: Env, document: dict[str, Any], etag: str, key: str | None = None) -> Any:
    headers = env.as_(key or env.writer, **{"If-Match": etag})
    return env.client.put(_path(document["action_type"]), json=document, headers=headers)


def _errors(response: Any) -> list[tuple[str, str]]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    return [(e["pointer"], e["detail"]) for e in response.json()["errors"]]


def test_a_child_is_served_as_written_and_resolved(env: Env) -> None:
    parent = custom_profile("Parent1")
    assert _create(env, parent).status_code == 201
    child = _child("Child1", "Parent1")
    created = _create(env, child)
    assert created.status_code == 201, created.text
    body = env.client.get(_path(child["action_type"])).json()
    assert body["document"] == child  # what PUT takes back
    assert body["extends"] == {"action_type": _key("Parent1"), "revision": 1}
    resolved = body["resolved"]
    assert resolved["action_type"] == child["action_type"]
    assert resolved["title"] == child["title"]
    assert "extends" not in resolved
    assert resolved["statements"] == parent["statements"]
    assert body["statements"] == len(parent["statements"])
    listed = env.client.get("/v1/profiles", params={"provider": "child1"}).json()["items"]
    assert [item["statements"] for item in listed] == [len(parent["statements"])]
    plain = env.client.get(_path(_key("Parent1"))).json()
    assert (plain["extends"], plain["resolved"]) == (None, None)


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda: _child("Orphan", "NoSuchParent"), "has no profile to extend"),
        (lambda: _child("Self", "Self") | {"extends": _key("Self", "Deploy")}, "itself"),
    ],
    ids=["unknown-parent", "itself"],
)
def test_a_parent_that_cannot_be_extended_is_a_422_at_extends(
    env: Env, make: Callable[[], dict[str, Any]], says: str
) -> None:
    [(pointer, detail)] = _errors(_create(env, make()))
    assert pointer == "/extends"
    assert says in detail


def test_extending_is_one_level(env: Env) -> None:
    assert _create(env, custom_profile("Parent2")).status_code == 201
    assert _create(env, _child("Child2", "Parent2")).status_code == 201
    # A child of a child is refused ...
    grandchild = _child("Grandchild2", "Child2") | {"extends": _key("Child2", "Deploy")}
    [(pointer, detail)] = _errors(_create(env, grandchild))
    assert pointer == "/extends"
    assert "extends `Invoke/Custom/Parent2/1` itself" in detail
    # ... and so is a parent that starts extending another.
    assert _create(env, custom_profile("Other2")).status_code == 201
    path = _path(_key("Parent2"))
    etag = env.client.get(path).headers["etag"]
    extending = {**custom_profile("Parent2"), "extends": _key("Other2")}
    [(pointer, detail)] = _errors(_put(env, extending, etag))
    assert pointer == "/extends"
    assert "`Deploy/Custom/Child2/1` extend(s) this profile" in detail


def test_a_parent_revision_that_breaks_a_child_is_refused(env: Env) -> None:
    assert _create(env, custom_profile("Parent3")).status_code == 201
    child = _child("Child3", "Parent3", pitfalls=[{"text": "see the wiki", "source": "wiki"}])
    assert _create(env, child).status_code == 201
    parent_path = _path(_key("Parent3"))
    etag = env.client.get(parent_path).headers["etag"]
    renamed = custom_profile("Parent3")
    renamed["sources"] = {"docs": renamed["sources"]["wiki"]}
    for statement in renamed["statements"]:
        statement["source"] = "docs"
    [(pointer, detail)] = _errors(_put(env, renamed, etag))
    assert pointer == "/"
    assert "`Deploy/Custom/Child3/1` extends this profile" in detail
    assert "`wiki` is not an id of `sources`" in detail
    assert "at `/pitfalls/0/source` of `Deploy/Custom/Child3/1`" in detail
    assert env.client.get(parent_path).json()["revision"] == 1


def test_a_new_parent_revision_moves_the_child_but_not_its_history(env: Env) -> None:
    parent = custom_profile("Parent4")
    assert _create(env, parent).status_code == 201
    child = _child("Child4", "Parent4")
    assert _create(env, child).status_code == 201
    child_path = _path(child["action_type"])
    before = env.client.get(child_path)
    parent_etag = env.client.get(_path(_key("Parent4"))).headers["etag"]
    changed = with_note(parent, "second revision")
    assert _put(env, changed, parent_etag).status_code == 200
    after = env.client.get(child_path)
    assert after.json()["extends"]["revision"] == 2
    assert after.json()["resolved"]["notes"] == changed["notes"]
    assert after.headers["etag"] != before.headers["etag"]  # the representation changed
    # The child's revision 1, read by its number, stays what it was when published.
    first = env.client.get(f"{child_path}/revisions/1").json()
    assert first["extends"]["revision"] == 1
    assert first["resolved"]["notes"] == parent["notes"]
    listed = env.client.get(f"{child_path}/revisions").json()["items"]
    assert [item["statements"] for item in listed] == [len(parent["statements"])]
    # If-Match names the representation read: the old one is stale, the new one publishes.
    assert _put(env, with_note(child, "x"), before.headers["etag"]).status_code == 412
    assert _put(env, with_note(child, "x"), after.headers["etag"]).status_code == 200


def test_a_child_cannot_take_grants_its_publisher_may_not_publish(env: Env) -> None:
    risky = custom_profile("Parent5")
    risky["statements"].append(
        {
            "id": "Keys",
            "description": "describe keys",
            "actions": ["kms:DescribeKey"],
            "resources": ["*"],
            "source": "wiki",
            "risk_reason": "the notifier reads keys it does not know in advance",
        }
    )
    assert _create(env, risky, env.admin).status_code == 201
    [(pointer, detail)] = _errors(_create(env, _child("Child5", "Parent5")))
    assert pointer == "/extends"
    assert "needs an `admin` key" in detail
    assert "taken from the profile of `Invoke/Custom/Parent5/1`" in detail
    assert _create(env, _child("Child5", "Parent5"), env.admin).status_code == 201


def test_compute_uses_the_child_with_both_revisions_in_the_provenance(env: Env) -> None:
    parent = custom_profile("Parent6")
    assert _create(env, parent).status_code == 201
    child = _child("Child6", "Parent6")
    assert _create(env, child).status_code == 201
    request = {"pipelines": [pipeline(child["action_type"])]}
    deadline = time.monotonic() + 5
    while True:
        body = env.client.post("/v1/policies/compute", json=request).json()
        used = used_revisions(body)
        if "Deploy/Custom/Child6/1" in used:
            break
        assert time.monotonic() < deadline, "the child never reached compute"
        time.sleep(0.05)
    assert used["Invoke/Custom/Parent6/1"] == 1
    actions = {a for s in body["policy"]["Statement"] for a in _list(s["Action"])}
    assert "lambda:InvokeFunction" in actions
    assert not [f for f in body["findings"] if f["code"] == "NO_PROFILE"]


def test_a_written_child_keeps_only_what_it_wrote(env: Env) -> None:
    assert _create(env, custom_profile("Parent7")).status_code == 201
    child = _child("Child7", "Parent7", notes=["its own note"])
    assert _create(env, child).status_code == 201
    body = env.client.get(_path(child["action_type"])).json()
    assert body["document"] == child
    expected = copy.deepcopy(custom_profile("Parent7"))
    assert body["resolved"]["notes"] == ["its own note"]
    assert body["resolved"]["sources"] == expected["sources"]


def _list(value: Any) -> list[str]:
    return value if isinstance(value, list) else [value]


def test_a_diff_names_a_changed_structure(env: Env) -> None:
    document = custom_profile("Differ8")
    assert _create(env, document).status_code == 201
    path = _path(_key("Differ8"))
    structure = {"source": "wiki", "configuration": {"FunctionName": {"required": True}}}
    etag = env.client.get(path).headers["etag"]
    assert _put(env, {**document, "structure": structure}, etag).status_code == 200
    fields = env.client.get(f"{path}/revisions/1/diff/2").json()["fields"]
    assert fields == {"structure": {"before": None, "after": structure}}
