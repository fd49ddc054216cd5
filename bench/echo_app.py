"""A bare echo endpoint for bench/http_throughput.py: the floor of what compute can cost.

It parses the same request model as POST /v1/policies/compute and returns it. Like the product's
route it is a synchronous handler (run in the thread pool) and it answers JSON; it has no
dependencies and no response model. Two ways to serve it, both by uvicorn with the settings
`pipeline-policy serve` uses (see _common.echo_command):

- `app`: alone in a bare FastAPI app, with no middleware;
- `product_with_echo()`: added to the product's own app (`create_app()`), so that it passes
  through the same middleware (request id, limits, metrics, access log, security headers) and
  lifespan as compute. The ratio against this one is what compute itself adds.

Not a product route: the product never registers it.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from app.api.schemas.compute import ComputeRequest

app = FastAPI(title="bench echo")


@app.post("/echo")
def echo(request: ComputeRequest) -> dict[str, Any]:
    return request.model_dump()


def product_with_echo() -> FastAPI:
    from app.main import create_app  # noqa: PLC0415 - only this variant needs the product

    product = create_app()
    product.add_api_route("/echo", echo, methods=["POST"], include_in_schema=False)
    return product


@app.get("/readyz")
def readyz() -> dict[str, str]:
    return {"status": "ready"}
