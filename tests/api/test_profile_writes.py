"""The profile write API, ETags and history, on a database of its own (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings

from ..concurrency import race
from ..documents import CUSTOM_KEY, custom_profile, pipeline, used_revisions, with_note

PROBLEM = "application/problem+json"
CUSTOM = "/v1/profiles/Invoke/Custom/SlackNotify/1"


@dataclass
class Env:
    client: TestClient
    url: str
    admin: str
    writer: str
    reader: str

    def as_(self, key: str, **headers: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {key}", **headers}


@pytest.fixture(scope="module")
def env(module_database_url: str, api_key: Callable[..., str]) -> Iterator[Env]:
    url = module_database_url
    keys = {s: api_key(url, s, f"{s}-key") for s in ("admin", "write", "read")}
    app = create_app(Settings(database_url=url, profile_refresh_seconds=0.2))
    with TestClient(app) as client:
        yield Env(client, url, keys["admin"], keys["write"], keys["read"])


def _create(env: Env, document: dict[str, Any]) -> Any:
    return env.client.post("/v1/profiles", json=document, headers=env.as_(env.writer))


def _path(provider: str) -> str:
    return f"/v1/profiles/Invoke/Custom/{provider}/1"


def _publish(env: Env, path: str, document: dict[str, Any], etag: str | None) -> Any:
    headers = env.as_(env.writer) if etag is None else env.as_(env.writer, **{"If-Match": etag})
    return env.client.put(path, json=document, headers=headers)


def _status(env: Env, path: str, document: dict[str, Any], etag: str) -> int:
    status: int = _publish(env, path, document, etag).status_code
    return status


def test_writes_need_a_write_key(env: Env) -> None:
    doc = custom_profile("KeyCheck")
    missing = env.client.post("/v1/profiles", json=doc)
    assert missing.status_code == 401
    assert missing.headers["content-type"] == PROBLEM
    assert missing.headers["www-authenticate"].startswith("Bearer")
    bad = env.client.post("/v1/profiles", json=doc, headers=env.as_("pp_00000000_" + "x" * 43))
    assert bad.status_code == 401
    garbage = env.client.post("/v1/profiles", json=doc, headers={"X-API-Key": "nonsense"})
    assert garbage.status_code == 401
    read_only = env.client.post("/v1/profiles", json=doc, headers=env.as_(env.reader))
    assert read_only.status_code == 403
    assert read_only.headers["content-type"] == PROBLEM
    assert "write" in read_only.json()["detail"]
    assert env.client.get(_path("KeyCheck")).status_code == 404  # nothing was written
    by_header = env.client.post("/v1/profiles", json=doc, headers={"X-API-Key": env.admin})
    assert by_header.status_code == 201  # admin implies write; X-API-Key works too


def test_create_a_custom_profile(env: Env) -> None:
    before = env.client.get("/v1/profiles").json()["profile_set_revision"]
    created = _create(env, custom_profile())
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["revision"] == 1
    assert body["action_type"] == CUSTOM_KEY
    assert body["set_revision"] == before + 1
    assert body["published_by"].startswith("key ")
    assert created.headers["location"] == CUSTOM
    fetched = env.client.get(CUSTOM)
    assert fetched.headers["etag"] == created.headers["etag"]
    assert fetched.json()["document"] == custom_profile()
    again = _create(env, custom_profile())
    assert again.status_code == 409
    assert again.headers["content-type"] == PROBLEM


def test_third_party_owner_and_bad_documents(env: Env) -> None:
    third = custom_profile("ThirdPartyTool")
    third["action_type"]["owner"] = "ThirdParty"
    assert _create(env, third).status_code == 201
    cases: list[tuple[dict[str, Any], str]] = [
        (custom_profile("Bad1", statements=[{"id": "not ok!"}]), "/statements/0/id"),
        (custom_profile("Bad2", sources={}), "/sources"),
        (
            {**custom_profile("Bad3"), "action_type": {**CUSTOM_KEY, "owner": "Someone"}},
            "/action_type/owner",
        ),
        (
            {**custom_profile("Bad4"), "action_type": {**CUSTOM_KEY, "provider": "x" * 36}},
            "/action_type/provider",
        ),
        (custom_profile("Bad5", title="t" * 201), "/title"),
        (custom_profile("Bad6", title="nul\x00"), "/title"),
        (custom_profile("Bad7", effective_date="yesterday"), "/effective_date"),
        (custom_profile("Bad8", supported_since=10**30), "/supported_since"),
        (custom_profile("Bad10", notes=["ok", 10**30]), "/notes/1"),
    ]
    for document, pointer in cases:
        response = _create(env, document)
        assert response.status_code == 422, (pointer, response.text)
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["errors"][0]["pointer"] == pointer
    not_an_object = env.client.post("/v1/profiles", json=[1, 2], headers=env.as_(env.writer))
    assert not_an_object.status_code == 422
    not_a_number = env.client.post(
        "/v1/profiles",
        content=json.dumps(custom_profile("Bad9", notes=[float("nan")])),
        headers=env.as_(env.writer, **{"Content-Type": "application/json"}),
    )
    assert not_a_number.status_code == 422
    assert not_a_number.json()["errors"][0]["pointer"] == "/notes/0"


def test_publish_needs_the_current_etag(env: Env) -> None:
    path = _path("Publisher")
    doc = custom_profile("Publisher")
    assert _create(env, doc).status_code == 201
    first = env.client.get(path)
    etag1 = first.headers["etag"]
    assert etag1.startswith('"')
    assert first.headers["cache-control"] == "no-cache"
    assert env.client.get(path, headers={"If-None-Match": etag1}).status_code == 304

    changed = with_note(doc, "second revision")
    missing = _publish(env, path, changed, None)
    assert missing.status_code == 428
    assert missing.json()["errors"][0]["pointer"] == "header:If-Match"
    assert _publish(env, path, changed, "*").status_code == 428
    assert _publish(env, path, changed, '"not-the-etag"').status_code == 412

    published = _publish(env, path, changed, etag1)
    assert published.status_code == 200, published.text
    assert published.json()["revision"] == 2
    etag2 = published.headers["etag"]
    assert etag2 != etag1
    stale = _publish(env, path, with_note(doc, "lost update"), etag1)
    assert stale.status_code == 412
    assert stale.headers["content-type"] == PROBLEM
    # The same document again is not a new revision.
    same = _publish(env, path, changed, etag2)
    assert same.status_code == 200
    assert same.json()["revision"] == 2

    # Published revisions are immutable and say so.
    old = env.client.get(f"{path}/revisions/1")
    assert old.json()["document"] == doc
    assert old.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert old.headers["etag"] == etag1
    assert (
        env.client.get(f"{path}/revisions/1", headers={"If-None-Match": etag1}).status_code == 304
    )
    assert env.client.get(path, headers={"If-None-Match": etag1}).status_code == 200

    mismatch = _publish(env, path, custom_profile("Other"), etag2)
    assert mismatch.status_code == 422
    assert mismatch.json()["errors"][0]["pointer"] == "/action_type"
    unknown = _publish(env, _path("Nobody"), custom_profile("Nobody"), etag2)
    assert unknown.status_code == 404


def test_deprecate(env: Env) -> None:
    path = _path("Old")
    assert _create(env, custom_profile("Old")).status_code == 201
    etag = env.client.get(path).headers["etag"]
    assert env.client.post(f"{path}/deprecate", headers=env.as_(env.writer)).status_code == 428
    deprecated = env.client.post(
        f"{path}/deprecate",
        json={"reason": "replaced by v2"},
        headers=env.as_(env.writer, **{"If-Match": etag}),
    )
    assert deprecated.status_code == 200, deprecated.text
    assert deprecated.json()["status"] == "deprecated"
    assert deprecated.json()["revision"] == 2
    assert deprecated.json()["document"] == custom_profile("Old")
    again = env.client.post(
        f"{path}/deprecate",
        headers=env.as_(env.writer, **{"If-Match": deprecated.headers["etag"]}),
    )
    assert again.status_code == 409
    listing = env.client.get("/v1/profiles", params={"status": "deprecated"}).json()["items"]
    assert [p["action_type"]["provider"] for p in listing] == ["Old"]
    revisions = env.client.get(f"{path}/revisions", params={"status": "active"}).json()
    assert [r["revision"] for r in revisions["items"]] == [1]
    # Compute names the deprecated profile at the action that uses it.
    request = {"pipelines": [pipeline({**CUSTOM_KEY, "provider": "Old"})]}
    deadline = time.monotonic() + 5
    while True:
        findings = env.client.post("/v1/policies/compute", json=request).json()["findings"]
        found = [f for f in findings if f["code"] == "DEPRECATED_PROFILE"]
        if found:
            break
        assert time.monotonic() < deadline, "the deprecated revision never reached compute"
        time.sleep(0.05)
    [finding] = found
    assert finding["finding_type"] == "WARNING"
    assert finding["path"] == "/pipelines/0/pipeline/stages/1/actions/0"
    assert "Invoke/Custom/Old/1" in finding["message"]
    # Publishing an active document again brings it back.
    back = _publish(env, path, custom_profile("Old"), deprecated.headers["etag"])
    assert back.json()["status"] == "active"
    assert back.json()["revision"] == 3


def test_diff_between_revisions(env: Env) -> None:
    path = _path("Differ")
    old = custom_profile("Differ")
    assert _create(env, old).status_code == 201
    new = with_note(old, "now tags too")
    new["statements"][0]["actions"] = ["lambda:InvokeFunction", "lambda:TagResource"]
    del new["statements"][1]
    new["statements"].append(
        {
            "id": "Logs",
            "description": "write logs",
            "actions": ["logs:PutLogEvents"],
            "resources": ["arn:${partition}:logs:${region}:${account}:log-group:notifier:*"],
            "source": "guide",
        }
    )
    new["sources"]["guide"] = {"title": "Guide", "url": "https://guide.example"}
    new["title"] = "Notifier v2"
    etag = env.client.get(path).headers["etag"]
    assert _publish(env, path, new, etag).status_code == 200
    diff = env.client.get(f"{path}/revisions/1/diff/2")
    assert diff.status_code == 200
    assert diff.headers["cache-control"].endswith("immutable")
    body = diff.json()
    assert [s["id"] for s in body["statements"]["added"]] == ["Logs"]
    assert [s["id"] for s in body["statements"]["removed"]] == ["Read"]
    [changed] = body["statements"]["changed"]
    assert changed["id"] == "Invoke"
    assert changed["actions_added"] == ["lambda:TagResource"]
    assert changed["actions_removed"] == []
    assert set(changed["fields"]) == {"actions"}
    assert body["notes"] == {"added": ["now tags too"], "removed": []}
    assert set(body["sources"]["added"]) == {"guide"}
    assert body["fields"]["title"] == {"before": old["title"], "after": "Notifier v2"}
    backwards = env.client.get(f"{path}/revisions/2/diff/1").json()
    assert [s["id"] for s in backwards["statements"]["added"]] == ["Read"]
    assert env.client.get(f"{path}/revisions/1/diff/9").status_code == 404
    assert env.client.get(f"{path}/revisions/0/diff/1").status_code == 422


def test_revision_and_profile_pagination(env: Env) -> None:
    path = _path("Paged")
    doc = custom_profile("Paged")
    assert _create(env, doc).status_code == 201
    for i in range(4):
        etag = env.client.get(path).headers["etag"]
        assert _publish(env, path, with_note(doc, f"edit {i}"), etag).status_code == 200
    seen: list[int] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = env.client.get(f"{path}/revisions", params=params).json()
        seen += [r["revision"] for r in page["items"]]
        cursor = page.get("next_cursor")
        if cursor is None:
            break
    assert seen == [1, 2, 3, 4, 5]

    everything = env.client.get("/v1/profiles", params={"limit": 200}).json()["items"]
    walked: list[dict[str, Any]] = []
    cursor = None
    while True:
        params = {"limit": 7, **({"cursor": cursor} if cursor else {})}
        page = env.client.get("/v1/profiles", params=params).json()
        walked += page["items"]
        cursor = page.get("next_cursor")
        if cursor is None:
            break
    assert walked == everything
    assert len(everything) > 30

    for bad in ("not base64!", "e30", "eyJhZnRlciI6IDF9"):  # invalid, {}, {"after": 1}
        problem = env.client.get("/v1/profiles", params={"cursor": bad})
        assert problem.status_code == 422, bad
        assert problem.json()["errors"][0]["pointer"].startswith("query:cursor")
    assert env.client.get("/v1/profiles", params={"limit": 201}).status_code == 422
    assert env.client.get("/v1/profiles", params={"limit": 0}).status_code == 422


def test_list_etag_and_not_modified(env: Env) -> None:
    listing = env.client.get("/v1/profiles")
    etag = listing.headers["etag"]
    assert env.client.get("/v1/profiles", headers={"If-None-Match": etag}).status_code == 304
    assert env.client.get("/v1/profiles", headers={"If-None-Match": f"W/{etag}"}).status_code == 304
    revisions = env.client.get("/v1/profiles/Source/AWS/CodeCommit/1/revisions")
    assert revisions.headers["etag"]


def test_compute_uses_a_published_revision(env: Env) -> None:
    path = _path("Computed")
    doc = custom_profile("Computed")
    assert _create(env, doc).status_code == 201
    action_type = {**CUSTOM_KEY, "provider": "Computed"}
    request = {"pipelines": [pipeline(action_type)]}
    label = "Invoke/Custom/Computed/1"
    deadline = time.monotonic() + 5
    while (
        used_revisions(env.client.post("/v1/policies/compute", json=request).json()).get(label) != 1
    ):
        assert time.monotonic() < deadline, "revision 1 never reached compute"
        time.sleep(0.05)
    etag = env.client.get(path).headers["etag"]
    assert _publish(env, path, with_note(doc, "v2"), etag).status_code == 200
    deadline = time.monotonic() + 5
    while used_revisions(env.client.post("/v1/policies/compute", json=request).json())[label] != 2:
        assert time.monotonic() < deadline, "revision 2 never reached compute"
        time.sleep(0.05)


def test_concurrent_publishes_from_one_etag(env: Env) -> None:
    path = _path("Raced")
    doc = custom_profile("Raced")
    assert _create(env, doc).status_code == 201
    for round_ in range(3):
        etag = env.client.get(path).headers["etag"]
        statuses = race(
            [
                partial(_status, env, path, with_note(doc, f"round {round_} writer {n}"), etag)
                for n in range(2)
            ]
        )
        assert sorted(statuses) == [200, 412], statuses
    revisions = env.client.get(f"{path}/revisions").json()["items"]
    assert [r["revision"] for r in revisions] == [1, 2, 3, 4]


def test_every_write_is_audited(env: Env) -> None:
    path = _path("Audited")
    assert _create(env, custom_profile("Audited")).status_code == 201
    etag = env.client.get(path).headers["etag"]
    assert _publish(env, path, with_note(custom_profile("Audited"), "x"), etag).status_code == 200
    audit = env.client.get(
        "/v1/admin/audit",
        params={"target": "profile:Invoke/Custom/Audited/1"},
        headers=env.as_(env.admin),
    )
    assert audit.status_code == 200
    events = audit.json()["items"]
    assert [(e["action"], e["before_revision"], e["after_revision"]) for e in events] == [
        ("profile.publish", 1, 2),
        ("profile.create", None, 1),
    ]
    writer_id = events[0]["key_id"]
    assert writer_id is not None
    assert all(e["key_id"] == writer_id for e in events)
    assert env.client.get("/v1/admin/audit", headers=env.as_(env.writer)).status_code == 403
    assert env.client.get("/v1/admin/audit").status_code == 401


# --- the schema and the catalogue on the write path ----------------------------------------------


def _statement(**fields: Any) -> dict[str, Any]:
    return {"id": "Grant", "description": "what it is for", "source": "wiki", **fields}


def _errors(response: Any) -> list[tuple[str, str]]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    return [(e["pointer"], e["detail"]) for e in response.json()["errors"]]


@pytest.mark.parametrize(
    ("place", "wrong", "meant"),
    [
        ((), "tilte", "title"),
        (("statements", 0), "condtion", "condition"),
        (("statements", 0), "wen", "when"),
        (("statements", 0, "when"), "equls", "equals"),
        (("sources", "wiki"), "ulr", "url"),
        (("action_type",), "categroy", "category"),
    ],
)
def test_a_misspelt_key_is_a_422_at_its_pointer_naming_the_key_meant(
    env: Env, place: tuple[str | int, ...], wrong: str, meant: str
) -> None:
    document = custom_profile(f"Typo{wrong}")
    document["statements"][0]["when"] = {"config": "FunctionName", "equals": "notify"}
    document["statements"][0]["condition"] = {"StringEquals": {"aws:ResourceAccount": "${account}"}}
    target: Any = document
    for part in place:
        target = target[part]
    target[wrong] = target.pop(meant)
    pointer = "/" + "/".join([*(str(p) for p in place), wrong])
    expected = (pointer, f"unknown key `{wrong}`; did you mean `{meant}`?")
    assert expected in _errors(_create(env, document))
    # The same on PUT, for a profile that exists.
    path = _path("TypoTarget")
    existing = custom_profile("TypoTarget")
    if env.client.get(path).status_code == 404:
        assert _create(env, existing).status_code == 201
    etag = env.client.get(path).headers["etag"]
    document["action_type"] = {
        k: existing["action_type"].get(meant if k == wrong else k, v)
        for k, v in document["action_type"].items()
    }
    assert expected in _errors(_publish(env, path, document, etag))


def test_an_unknown_action_is_a_422_at_its_pointer_naming_the_action_meant(env: Env) -> None:
    document = custom_profile(
        "UnknownAction",
        statements=[
            _statement(
                actions=["codecommit:GetBranch", "codecommit:GetRepo"],
                resources=["arn:${partition}:codecommit:${region}:${account}:repo"],
            )
        ],
    )
    [(pointer, detail)] = _errors(_create(env, document))
    assert pointer == "/statements/0/actions/1"
    assert "`codecommit:GetRepo` is not an action of the catalogue" in detail
    assert "did you mean `codecommit:GetRepository`" in detail
    # No key lets an unknown action through.
    admin = env.client.post("/v1/profiles", json=document, headers=env.as_(env.admin))
    assert _errors(admin) == [(pointer, detail)]


ROLE = "arn:${partition}:iam::${account}:role/notifier"
RISKY = [
    pytest.param(_statement(actions=["iam:*"], resources=["*"]), "/actions/0", id="iam-star"),
    pytest.param(_statement(actions=["*"], resources=["*"]), "/actions/0", id="star"),
    pytest.param(
        _statement(
            actions=["kms:Decrypt", "kms:GenerateDataKey*"],
            resources=["arn:${partition}:kms:${region}:${account}:key/*"],
        ),
        "/actions/1",
        id="pattern",
    ),
    pytest.param(
        _statement(actions=["lambda:GetFunction"], resources=["*"]),
        "/resources/0",
        id="resource-star",
    ),
    pytest.param(
        _statement(
            actions=["iam:PassRole"],
            resources=[ROLE],
            condition={"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}},
        ),
        "/actions/0",
        id="escalation",
    ),
]


@pytest.mark.parametrize(("statement", "where"), RISKY)
def test_a_broad_or_escalating_grant_needs_its_reason_and_an_admin_key(
    env: Env, request: pytest.FixtureRequest, statement: dict[str, Any], where: str
) -> None:
    provider = "Risky" + request.node.callspec.id.replace("-", "")
    pointer = f"/statements/2{where}"
    document = custom_profile(provider)
    document["statements"].append(statement)
    # Without a reason: refused whatever the key.
    for key in (env.writer, env.admin):
        [(at, detail)] = _errors(
            env.client.post("/v1/profiles", json=document, headers=env.as_(key))
        )
        assert at == pointer
        assert "risk_reason" in detail
    # With a reason, a `write` key is not enough.
    document["statements"][2] = {**statement, "risk_reason": "the notifier manages its own keys"}
    [(at, detail)] = _errors(_create(env, document))
    assert at == pointer
    assert "needs an `admin` key" in detail
    assert env.client.get(_path(provider)).status_code == 404
    # With a reason and an `admin` key it is published, the reason kept in the document.
    created = env.client.post("/v1/profiles", json=document, headers=env.as_(env.admin))
    assert created.status_code == 201, created.text
    assert created.json()["document"]["statements"][2]["risk_reason"]
    # Publishing a new revision of it needs the `admin` key again.
    etag = created.headers["etag"]
    changed = with_note(document, "second revision")
    [(at, _)] = _errors(_publish(env, _path(provider), changed, etag))
    assert at == pointer
    admin = env.client.put(
        _path(provider), json=changed, headers=env.as_(env.admin, **{"If-Match": etag})
    )
    assert admin.status_code == 200, admin.text


def test_the_write_body_is_the_profile_schema_in_openapi(env: Env) -> None:
    spec = env.client.get("/openapi.json").json()
    for path, method in (
        ("/v1/profiles", "post"),
        ("/v1/profiles/{category}/{owner}/{provider}/{version}", "put"),
    ):
        body = spec["paths"][path][method]["requestBody"]["content"]["application/json"]
        assert body["schema"]["$ref"] == "#/components/schemas/ProfileDocument"
    statement = spec["components"]["schemas"]["ProfileStatement"]
    assert statement["additionalProperties"] is False
    assert "risk_reason" in statement["properties"]


def test_an_undated_profile_is_listed_as_of_any_day_and_named(env: Env) -> None:
    path = _path("Undated")
    assert _create(env, custom_profile("Undated")).status_code == 201  # supported_since null
    label = "Invoke/Custom/Undated/1"
    params = {"as_of": "2018-06-01", "provider": "undated"}
    listing = env.client.get("/v1/profiles", params=params).json()
    assert [p["href"] for p in listing["items"]] == [path]
    assert listing["undated"] == [label]
    pipelines = [pipeline({**CUSTOM_KEY, "provider": "Undated"})]
    deadline = time.monotonic() + 5
    while label not in used_revisions(
        env.client.post("/v1/policies/compute", json={"pipelines": pipelines}).json()
    ):
        assert time.monotonic() < deadline, "the profile never reached compute"
        time.sleep(0.05)
    request = {"pipelines": pipelines, "profiles": {"as_of": "2018-06-01"}}
    findings = env.client.post("/v1/policies/compute", json=request).json()["findings"]
    [undated] = [f for f in findings if f["code"] == "PROFILE_UNDATED_AS_OF"]
    assert undated["detail"] == {"action_type": label, "as_of": "2018-06-01"}
    # Without as_of there is nothing to say.
    findings = env.client.post("/v1/policies/compute", json={"pipelines": pipelines})
    assert "PROFILE_UNDATED_AS_OF" not in {f["code"] for f in findings.json()["findings"]}
