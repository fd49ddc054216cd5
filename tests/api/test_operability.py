"""Request ids, security headers, size limit, metrics."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_request_id_is_returned_and_generated(client: TestClient) -> None:
    given = client.get("/healthz", headers={"x-request-id": "ci-job-42"})
    assert given.headers["x-request-id"] == "ci-job-42"
    generated = client.get("/healthz")
    assert len(generated.headers["x-request-id"]) == 32
    hostile = client.get("/healthz", headers={"x-request-id": "bad id\twith spaces"})
    assert hostile.headers["x-request-id"] != "bad id\twith spaces"


def test_security_headers(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert "default-src 'none'" in response.headers["content-security-policy"]


def test_body_over_the_limit_is_413_problem(client: TestClient) -> None:
    limit = client.app.state.services.settings.max_request_bytes  # type: ignore[attr-defined]
    response = client.post(
        "/v1/policies/compute",
        content=b"{" + b" " * (limit + 1) + b"}",
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"


def test_chunked_body_over_the_limit_is_413(client: TestClient) -> None:
    limit = client.app.state.services.settings.max_request_bytes  # type: ignore[attr-defined]

    def chunks():  # type: ignore[no-untyped-def]
        for _ in range(limit // 65536 + 2):
            yield b" " * 65536

    response = client.post(
        "/v1/policies/compute", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413


def test_metrics_count_requests_and_decisions(client: TestClient) -> None:
    client.post(
        "/v1/policies/evaluate",
        json={"policy": {"baseline": "legacy-2019"}, "requests": [{"action": "ec2:RunInstances"}]},
    )
    text = client.get("/metrics").text
    assert (
        'pipeline_policy_http_requests_total{method="POST",route="/v1/policies/evaluate",status="200"}'
        in text
    )
    assert 'pipeline_policy_decisions_total{kind="evaluate",verdict="allowed"}' in text
    assert "pipeline_policy_profile_set_revision" in text
    assert "pipeline_policy_catalog_info{" in text
