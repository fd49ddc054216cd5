"""The request middleware: the time limit (a 503 problem), security headers, and CORS."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from app.api.middleware import RequestMiddleware
from app.main import create_app
from app.settings import Settings


async def _slow_app(scope: Any, receive: Any, send: Any) -> None:
    if scope["path"] == "/slow":
        await asyncio.sleep(5)
    await send({"type": "http.response.start", "status": 200, "headers": []})
    if scope["path"] == "/slow-body":
        await send({"type": "http.response.body", "body": b"part", "more_body": True})
        await asyncio.sleep(5)
    await send({"type": "http.response.body", "body": b"fast"})


@pytest.mark.parametrize(("path", "status"), [("/slow", 503), ("/fast", 200)])
def test_time_limit(path: str, status: int) -> None:
    app = RequestMiddleware(_slow_app, max_body_bytes=1024, time_limit_seconds=0.2)

    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.get(path)

    response = asyncio.run(call())
    assert response.status_code == status
    assert response.headers["x-request-id"]
    if status == 503:
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["title"] == "The request took too long"
    else:
        assert response.content == b"fast"


def test_time_limit_after_the_response_started_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    app = RequestMiddleware(_slow_app, max_body_bytes=1024, time_limit_seconds=0.2)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        sent.append(dict(message))

    scope = {"type": "http", "method": "GET", "path": "/slow-body", "headers": []}
    with caplog.at_level("WARNING", logger="pipeline_policy.access"):
        asyncio.run(app(scope, receive, send))
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
    assert sent[0]["status"] == 200  # the status line had gone out: no 503 can follow
    assert "time limit reached after the response started" in caplog.text


@pytest.mark.parametrize(
    ("hsts_seconds", "expected"), [(0, None), (31_536_000, "max-age=31536000")]
)
def test_hsts_only_when_configured(hsts_seconds: int, expected: str | None) -> None:
    app = RequestMiddleware(
        _slow_app, max_body_bytes=1024, time_limit_seconds=1, hsts_seconds=hsts_seconds
    )

    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.get("/fast")

    response = asyncio.run(call())
    assert response.headers.get("strict-transport-security") == expected
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    ("origin", "allowed"), [("https://ui.example.com", True), ("https://evil.example", False)]
)
def test_cors_allows_only_the_listed_origins(origin: str, allowed: bool) -> None:
    # A preflight is answered by the CORS middleware itself: no lifespan (database) needed.
    client = TestClient(create_app(Settings(cors_origins=["https://ui.example.com"])))
    response = client.options(
        "/v1/policies/compute",
        headers={"origin": origin, "access-control-request-method": "POST"},
    )
    assert (response.headers.get("access-control-allow-origin") == origin) is allowed
    assert (response.status_code == 200) is allowed


def _budget_app(seen: list[Any], *, work_seconds: float) -> Any:
    """An app whose work runs in a thread, charging the request's budget until it is stopped."""

    async def app(scope: Any, receive: Any, send: Any) -> None:
        budget = scope["state"]["budget"]
        seen.append(budget)

        def work() -> None:
            deadline = time.monotonic() + work_seconds
            while time.monotonic() < deadline:
                budget.charge(steps=1)
                time.sleep(0.001)

        await asyncio.to_thread(work)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"done"})

    return app


def test_the_time_limit_cancels_the_requests_work_budget() -> None:
    seen: list[Any] = []
    app = RequestMiddleware(
        _budget_app(seen, work_seconds=5), max_body_bytes=1024, time_limit_seconds=0.2
    )

    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.get("/work")

    started = time.monotonic()
    response = asyncio.run(call())  # returns once the worker thread is done too
    assert response.status_code == 503
    (budget,) = seen
    assert budget.cancelled
    # The thread stopped at its next charge after the 503, not after its 5 s of work.
    assert time.monotonic() - started < 2


def test_a_finished_request_leaves_its_budget_cancelled() -> None:
    seen: list[Any] = []
    app = RequestMiddleware(
        _budget_app(seen, work_seconds=0.01), max_body_bytes=1024, time_limit_seconds=5
    )

    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.get("/work")

    assert asyncio.run(call()).status_code == 200
    assert seen[0].cancelled


async def _large_answer(scope: Any, receive: Any, send: Any) -> None:
    body = b"x" * 5000
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


@pytest.mark.parametrize(("limit", "status"), [(4999, 422), (5000, 200)])
def test_an_answer_over_the_size_limit_is_a_422(limit: int, status: int) -> None:
    app = RequestMiddleware(
        _large_answer, max_body_bytes=1024, time_limit_seconds=5, max_response_bytes=limit
    )

    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.get("/large")

    response = asyncio.run(call())
    assert response.status_code == status
    if status == 422:
        assert response.headers["content-type"] == "application/problem+json"
        assert "5,000 bytes" in response.json()["detail"]
    else:
        assert len(response.content) == 5000
