"""Problems the service answers for what goes wrong outside its own work."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from fastapi.testclient import TestClient

DECISION_PATHS = [
    "/v1/policies/compute",
    "/v1/policies/diff",
    "/v1/policies/evaluate",
    "/v1/policies/validate",
    "/v1/pipelines/validate",
]


async def _send_half_and_leave(app: Any, path: str, content_type: bytes) -> list[int]:
    messages = iter(
        [
            {"type": "http.request", "body": b'{"pipelines": [', "more_body": True},
            {"type": "http.disconnect"},
        ]
    )

    async def receive() -> dict[str, Any]:
        return next(messages, {"type": "http.disconnect"})

    statuses: list[int] = []

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"test"), (b"content-type", content_type)],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
        "state": {},
    }
    await app(scope, receive, send)
    return statuses


@pytest.mark.parametrize("path", DECISION_PATHS)
@pytest.mark.parametrize("content_type", [b"application/json", b"text/plain"])
def test_a_client_that_leaves_mid_body_is_not_a_server_error(
    client: TestClient, path: str, content_type: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    statuses = asyncio.run(_send_half_and_leave(client.app, path, content_type))
    assert statuses == [400]
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


DOCUMENT = "Input should be a policy document: an object or JSON text"
ROLE = "arn:aws:iam::111122223333:role/pipeline-role"
STATEMENT = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}
POLICY = {"Version": "2012-10-17", "Statement": [STATEMENT]}
REQUESTS = [{"action": "s3:GetObject", "resource": "arn:aws:s3:::b/k"}]


def _evaluate(**fields: Any) -> dict[str, Any]:
    return {"principal": {"arn": ROLE, "type": "role"}, "requests": REQUESTS, **fields}


def _diff(**current: Any) -> dict[str, Any]:
    return {"current": current, "required": {"pipelines": [{"name": "p"}]}}


# A value that is neither an object nor text, in each field that takes a policy document.
NOT_A_DOCUMENT = [
    (
        "/v1/policies/diff",
        _diff(
            baseline="legacy-2019",
            companions=[{"kind": "trust-policy", "target": ROLE, "document": 42}],
        ),
        "/current/companions/0/document",
    ),
    ("/v1/policies/diff", _diff(documents=[POLICY, 42]), "/current/documents/1"),
    (
        "/v1/policies/diff",
        {"current": {"baseline": "legacy-2019"}, "required": {"policy": 42}},
        "/required/policy",
    ),
    ("/v1/policies/evaluate", _evaluate(policy={"documents": [True]}), "/policy/documents/0"),
    ("/v1/policies/evaluate", _evaluate(permissions_boundary=42), "/permissions_boundary"),
    (
        "/v1/policies/evaluate",
        _evaluate(session_policies=[POLICY, [POLICY]]),
        "/session_policies/1",
    ),
    (
        "/v1/policies/evaluate",
        _evaluate(resource_policies={"arn:aws:s3:::b/k": 1}),
        "/resource_policies/arn:aws:s3:::b~1k",
    ),
    (
        "/v1/policies/diff",
        _diff(baseline="legacy-2019", authorization={"session_policies": [None]}),
        "/current/authorization/session_policies/0",
    ),
]


@pytest.mark.parametrize(("path", "body", "pointer"), NOT_A_DOCUMENT)
def test_a_value_that_is_no_policy_document_is_one_problem_at_its_place(
    client: TestClient, path: str, body: dict[str, Any], pointer: str
) -> None:
    response = client.post(path, json=body)
    assert response.status_code == 422, response.text
    assert response.json()["errors"] == [{"pointer": pointer, "detail": DOCUMENT}]


@pytest.mark.parametrize(
    ("context", "errors"),
    [
        ({"k": 5}, [("/requests/0/context/k", "Input should be a valid string or a valid list")]),
        ({"k": ["a", 5]}, [("/requests/0/context/k/1", "Input should be a valid string")]),
        (
            {"str": {"str": "a"}},
            [("/requests/0/context/str", "Input should be a valid string or a valid list")],
        ),
    ],
)
def test_union_member_names_are_no_places(
    client: TestClient, context: dict[str, Any], errors: list[tuple[str, str]]
) -> None:
    body = _evaluate(requests=[{**REQUESTS[0], "context": context}], policy={"documents": [POLICY]})
    response = client.post("/v1/policies/evaluate", json=body)
    assert response.status_code == 422, response.text
    assert [(e["pointer"], e["detail"]) for e in response.json()["errors"]] == errors
