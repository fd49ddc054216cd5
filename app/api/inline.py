"""Where a decision route does its work: on the event loop, or in the thread pool.

A plain `def` route runs in the thread pool, and the hop costs more than a small decision:
the worker thread and the event loop take turns with the GIL, so at 16 connections compute on
the reference pipeline answered 40 % fewer requests than when run on the loop. Routes whose
work is bounded by the size of their body (compute, pipeline validation, evaluate) answer a
small body that needs no database on the loop; anything large, or that may wait on the
database, goes to the pool, so a long request never holds the loop for other clients' small
ones. Diff and policy validation always use the pool: their work does not follow the body's
size (a `*` expands to the whole catalogue; redundancy checks are pairwise).
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request, Response
from fastapi.concurrency import run_in_threadpool

# The reference pipeline's compute request is 2.3 KB; its answer takes about half a millisecond.
INLINE_BODY_BYTES = 16_384


def small_body(http: Request) -> bool:
    declared = http.headers.get("content-length")
    # isascii: str.isdigit also accepts digits such as "²" that int() refuses.
    return (
        declared is not None
        and declared.isascii()
        and declared.isdigit()
        and int(declared) <= INLINE_BODY_BYTES
    )


async def answer(http: Request, work: Callable[[], Response], *, needs_database: bool) -> Response:
    if not needs_database and small_body(http):
        return work()
    return await run_in_threadpool(work)
