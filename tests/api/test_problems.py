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
