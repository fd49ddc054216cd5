"""Health, profiles and baselines."""

from __future__ import annotations

from fastapi.testclient import TestClient


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
    assert revisions[0]["revision"] == 1
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
