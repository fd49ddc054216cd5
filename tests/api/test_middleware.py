"""The request middleware's time limit: an answer that takes too long becomes a 503 problem."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from app.api.middleware import RequestMiddleware


async def _slow_app(scope: Any, receive: Any, send: Any) -> None:
    if scope["path"] == "/slow":
        await asyncio.sleep(5)
    await send({"type": "http.response.start", "status": 200, "headers": []})
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
