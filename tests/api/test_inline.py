"""Small decisions run on the event loop; large ones, and any that may wait on the database,
in the thread pool."""

from __future__ import annotations

import asyncio
import threading

import pytest
from fastapi import Request, Response

from app.api.inline import INLINE_BODY_BYTES, answer, small_body


def _request(content_length: str | None) -> Request:
    # Header bytes are latin-1, as the server hands them over.
    headers = (
        [] if content_length is None else [(b"content-length", content_length.encode("latin-1"))]
    )
    return Request({"type": "http", "method": "POST", "path": "/", "headers": headers})


@pytest.mark.parametrize(
    ("declared", "small"),
    [
        ("0", True),
        ("2333", True),
        (str(INLINE_BODY_BYTES), True),
        (str(INLINE_BODY_BYTES + 1), False),
        (None, False),  # chunked: the size is not known up front
        ("-1", False),
        ("12abc", False),
        ("\u00b2", False),  # a digit to str.isdigit, not to int()
    ],
)
def test_small_body(declared: str | None, small: bool) -> None:
    assert small_body(_request(declared)) is small


@pytest.mark.parametrize(
    ("declared", "needs_database", "on_loop"),
    [
        ("2333", False, True),
        ("2333", True, False),
        (str(INLINE_BODY_BYTES + 1), False, False),
        (None, False, False),
    ],
)
def test_answer_runs_where_it_should(
    declared: str | None, needs_database: bool, on_loop: bool
) -> None:
    async def run() -> bool:
        loop_thread = threading.get_ident()
        ran_on: list[int] = []

        def work() -> Response:
            ran_on.append(threading.get_ident())
            return Response(b"ok")

        response = await answer(_request(declared), work, needs_database=needs_database)
        assert response.body == b"ok"
        return ran_on == [loop_thread]

    assert asyncio.run(run()) is on_loop
