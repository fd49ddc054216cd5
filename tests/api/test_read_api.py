"""Health, profiles and baselines."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from fastapi.testclient import TestClient

from app.engine.profile_schema import ProfileDocument
from app.service.profile_files import profile_files


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"]["database"] == "ok"


def test_profiles_list_and_detail(client: TestClient) -> None:
    listing = client.get("/v1/profiles").json()
    labels = {
        "/".join(p["action_type"][k] for k in ("category", "owner", "provider", "version"))
        for p in listing["items"]
    }
    assert {
        "Source/AWS/CodeCommit/1",
        "Build/AWS/CodeBuild/1",
        "Pipeline/AWS/ArtifactStore/1",
    } <= labels
    detail = client.get("/v1/profiles/Source/AWS/CodeCommit/1").json()
    assert detail["revision"] >= 1
    assert detail["document"]["statements"]
    revisions = client.get("/v1/profiles/Source/AWS/CodeCommit/1/revisions").json()
    assert revisions["items"][0]["revision"] == 1
    assert "next_cursor" not in revisions  # the last page
    assert client.get("/v1/profiles/Source/AWS/CodeCommit/1/revisions/1").status_code == 200
    assert client.get("/v1/profiles/Source/AWS/CodeCommit/1/revisions/99").status_code == 404
    assert client.get("/v1/profiles/Source/AWS/Nope/1").status_code == 404
    filtered = client.get("/v1/profiles", params={"category": "Source"}).json()["items"]
    assert filtered
    assert all(p["action_type"]["category"] == "Source" for p in filtered)


def test_baselines(client: TestClient) -> None:
    names = [b["name"] for b in client.get("/v1/baselines").json()["items"]]
    assert names == ["legacy-2017", "legacy-2019", "minimum-2025"]
    legacy = client.get("/v1/baselines/legacy-2019").json()
    assert len(legacy["policy"]["Statement"]) == 12
    assert client.get("/v1/baselines/none").status_code == 404
    assert client.get("/v1/baselines/Bad Name").status_code == 422


def test_profiles_as_of_a_date(client: TestClient) -> None:
    listing = client.get("/v1/profiles", params={"as_of": "2018-06-01"}).json()
    providers = {p["action_type"]["provider"] for p in listing["items"]}
    assert "CodeCommit" in providers
    assert "StepFunctions" not in providers  # supported since 2020-05-27
    assert listing["as_of"] == "2018-06-01"
    assert "Source/AWS/CodeCommit/1" in listing["predates"]
    now = client.get("/v1/profiles/Source/AWS/CodeCommit/1")
    then = client.get("/v1/profiles/Source/AWS/CodeCommit/1", params={"as_of": "2019-01-01"})
    assert then.status_code == 200
    ids = [s["id"] for s in then.json()["document"]["statements"]]
    assert "FullClone" not in ids  # since 2020-11-11
    assert "FullClone" in [s["id"] for s in now.json()["document"]["statements"]]
    assert then.json()["statements"] == len(ids)
    assert then.headers["etag"] != now.headers["etag"]
    gone = client.get("/v1/profiles/Invoke/AWS/StepFunctions/1", params={"as_of": "2018-06-01"})
    assert gone.status_code == 404
    pinned = client.get("/v1/profiles", params={"set_revision": 1})
    assert pinned.headers["cache-control"].endswith("immutable")
    assert client.get("/v1/profiles", params={"set_revision": 999}).status_code == 404
    assert client.get("/v1/profiles", params={"as_of": "someday"}).status_code == 422


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (
            {"provider": "codebuild"},
            {"Build/AWS/CodeBuild/1", "Test/AWS/CodeBuild/1", "Rule/AWS/CodeBuild/1"},
        ),
        ({"provider": "CODEBUILD", "category": "test"}, {"Test/AWS/CodeBuild/1"}),
        (
            {"owner": "thirdparty"},
            {
                "Source/ThirdParty/GitHub/1",
                "Deploy/ThirdParty/AlexaSkillsKit/1",
                "Invoke/ThirdParty/Snyk/1",
            },
        ),
        (
            {"category": "pipeline", "status": "ACTIVE"},
            {
                "Pipeline/AWS/ActionRole/1",
                "Pipeline/AWS/ActionRoleInputArtifacts/1",
                "Pipeline/AWS/ActionRoleOutputArtifacts/1",
                "Pipeline/AWS/ArtifactStore/1",
            },
        ),
        ({"provider": "codebuild", "status": "Deprecated"}, set()),
    ],
)
def test_list_filters_ignore_case(
    client: TestClient, params: dict[str, str], expected: set[str]
) -> None:
    response = client.get("/v1/profiles", params=params)
    assert response.status_code == 200, response.text
    assert {_label(p) for p in response.json()["items"]} == expected


def test_a_status_filter_must_be_a_status(client: TestClient) -> None:
    response = client.get("/v1/profiles", params={"status": "retired"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "query:status"


def test_as_of_lists_only_action_types_supported_then(client: TestClient) -> None:
    listing = client.get("/v1/profiles", params={"as_of": "2018-06-01"}).json()
    labels = {_label(p) for p in listing["items"]}
    assert "Deploy/AWS/Lambda/1" not in labels  # documented from 2025-05-16
    assert "Invoke/AWS/Lambda/1" in labels  # from 2016-01-27
    assert "Approval/AWS/Manual/1" in labels  # from 2016-07-06
    # Every shipped profile is dated but Snyk's, which no source dates.
    assert listing["undated"] == ["Invoke/ThirdParty/Snyk/1"]
    everything = client.get("/v1/profiles", params={"limit": 200}).json()["items"]
    undated = {_label(p) for p in everything if not p["supported_since"]}
    assert undated == {"Invoke/ThirdParty/Snyk/1"}


def test_the_profile_json_schema_is_served_for_editors(client: TestClient) -> None:
    response = client.get("/v1/profiles/schema")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/schema+json"
    schema = response.json()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["additionalProperties"] is False
    assert {k: v for k, v in schema.items() if k != "$schema"} == (
        ProfileDocument.model_json_schema()
    )
    statement = schema["$defs"]["ProfileStatement"]
    assert statement["additionalProperties"] is False
    assert "risk_reason" in statement["properties"]
    etag = response.headers["etag"]
    again = client.get("/v1/profiles/schema", headers={"If-None-Match": etag})
    assert again.status_code == 304
    # What editors get is what the files follow.
    validator = jsonschema.Draft202012Validator(schema)
    for data in profile_files():
        assert validator.is_valid(data.document), data.path.name


def _label(profile: dict[str, Any]) -> str:
    return "/".join(profile["action_type"][k] for k in ("category", "owner", "provider", "version"))
