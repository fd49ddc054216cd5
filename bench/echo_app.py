"""A bare echo endpoint for bench/http_throughput.py: the floor of what compute can cost.

It parses the same request model as POST /v1/policies/compute and returns it. Like the product's
route it is a synchronous handler (run in the thread pool) and it answers JSON; it has no
middleware, no dependencies and no response model. Served by uvicorn with the settings
`pipeline-policy serve` uses (see _common.echo_command). Not a product route.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from app.api.schemas.compute import ComputeRequest

app = FastAPI(title="bench echo")


@app.post("/echo")
def echo(request: ComputeRequest) -> dict[str, Any]:
    return request.model_dump()


@app.get("/readyz")
def readyz() -> dict[str, str]:
    return {"status": "ready"}
