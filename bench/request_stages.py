"""Where a compute request's time goes: the stages of POST /v1/policies/compute on the reference
pipeline, and whole requests driven through the ASGI apps in this process (no server, no socket).

Run:  .venv/bin/python bench/request_stages.py [--requests 2000]

Stages are timed by themselves (best of 5 batches, after a warm-up): the strict JSON decode, the
request model, the use case (parse the pipeline, compute, provenance, findings), building the
answer's model and encoding it. Whole requests are sent to the ASGI apps by a minimal driver
(not httpx's ASGITransport, whose client-side work would be counted in the CPU time):
the bare echo app (bench/echo_app.py), the echo added to the product app (same middleware, route
class and lifespan as compute), and compute with the pipeline renamed in each request; the figure
is CPU time per request (process time
over a batch, the best of 3 batches, taken in turn), so a noisy neighbour moves it less than
wall time. A migrated and seeded SQLite database in a temporary folder serves the product app.
Nothing here asserts on time.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from _common import (
    REFERENCE,
    banner,
    database_env,
    prepare_database,
    print_table,
    shipped_profile_set,
)

_REFERENCE = json.loads(REFERENCE.read_text())
BODY = json.dumps({"pipelines": [_REFERENCE]}).encode()
_NAME = _REFERENCE["pipeline"]["name"].encode()


def renamed_bodies() -> Iterator[bytes]:
    """The body with the pipeline renamed anew each time: a new pipeline in every request."""
    for n in itertools.count(1):
        yield BODY.replace(_NAME, _NAME + b"N" + str(n).encode())


def best_of(fn: Callable[[], object], n: int, batches: int = 5) -> float:
    """Microseconds per call: the best batch of n // batches calls."""
    for _ in range(min(50, n)):
        fn()
    per_batch = max(1, n // batches)
    best = float("inf")
    for _ in range(batches):
        start = time.perf_counter()
        for _ in range(per_batch):
            fn()
        best = min(best, (time.perf_counter() - start) / per_batch)
    return best * 1e6


def stage_rows(n: int) -> list[list[str]]:
    from app.api.routers.compute import compute_outcome  # noqa: PLC0415
    from app.api.schemas.compute import ComputeRequest, ComputeResponse  # noqa: PLC0415
    from app.api.strict_json import strict_loads  # noqa: PLC0415
    from app.service.catalog_import import default_catalog  # noqa: PLC0415
    from app.service.profile_cache import LoadedProfileSet  # noqa: PLC0415
    from app.service.provenance import catalog_info  # noqa: PLC0415

    loaded = LoadedProfileSet(profile_set=shipped_profile_set(), revisions=())
    catalog = default_catalog()
    info = catalog_info(catalog)
    data = json.loads(BODY)
    request = ComputeRequest.model_validate(data)

    def use_case() -> Any:
        return compute_outcome(request, loaded, info, iam_catalog=catalog)

    outcome = use_case()

    def answer() -> ComputeResponse:
        return ComputeResponse.of(outcome)

    model = answer()

    def encode() -> bytes:
        return model.__pydantic_serializer__.to_json(model)

    gc.collect()
    gc.freeze()  # as the service does after start-up
    stages: list[tuple[str, Callable[[], object]]] = [
        ("strict JSON decode of the body", lambda: strict_loads(BODY)),
        ("request model (ComputeRequest)", lambda: ComputeRequest.model_validate(data)),
        ("use case: parse + compute + provenance + findings", use_case),
        ("answer model (ComputeResponse)", answer),
        ("encoding (the model's serialiser)", encode),
    ]
    rows = [[name, f"{best_of(fn, n):.0f}"] for name, fn in stages]
    rows.append(["(answer size)", f"{len(encode()):,} bytes"])
    return rows


async def asgi_post(app: Any, path: str, body: bytes = BODY) -> None:
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.Event().wait()  # no disconnect while the answer is written
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    status: list[int] = []

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])

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
        "headers": [
            (b"host", b"bench"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
        "state": {},
    }
    await app(scope, receive, send)
    if status != [200]:
        raise RuntimeError(f"{path} answered {status}")


async def request_rows(n: int) -> list[list[str]]:
    import echo_app  # noqa: PLC0415

    product = echo_app.product_with_echo()
    lifespan = product.router.lifespan_context(product)
    await lifespan.__aenter__()
    try:
        compute = "/v1/policies/compute"
        same = itertools.repeat(BODY)
        renamed = renamed_bodies()
        targets = [
            ("bare echo app, /echo", echo_app.app, "/echo", same),
            ("product app, /echo", product, "/echo", same),
            ("product app, compute (a new pipeline name each request)", product, compute, renamed),
        ]
        best: dict[str, float] = {}
        for _ in range(3):
            for name, app, path, bodies in targets:
                for _ in range(50):
                    await asgi_post(app, path, next(bodies))
                batch = list(itertools.islice(bodies, n))
                start = time.process_time()
                for body in batch:
                    await asgi_post(app, path, body)
                per = (time.process_time() - start) / n * 1e6
                best[name] = min(best.get(name, float("inf")), per)
    finally:
        await lifespan.__aexit__(None, None, None)
    echo = best["bare echo app, /echo"]
    return [[name, f"{us:.0f}", f"{us / echo:.2f}x"] for name, us in best.items()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per batch")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pp-bench-stages-") as tmp:
        env = database_env(Path(tmp))
        prepare_database(env)
        os.environ.update(env)
        stages = stage_rows(args.requests)
        requests = asyncio.run(request_rows(args.requests))
    banner("Where a compute request's time goes (reference pipeline, in process)")
    print_table(["stage", "µs"], stages)
    print()
    print_table(["whole request through the ASGI app", "CPU µs", "vs bare echo"], requests)


if __name__ == "__main__":
    main()
