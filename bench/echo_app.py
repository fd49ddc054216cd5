"""Bare echo endpoints for bench/http_throughput.py and bench/targets.py: the floor of what
compute can cost.

`/echo-typed` is the reference of the throughput target: a plain FastAPI endpoint that parses the
compute request into typed pipeline models (the pipeline, its stages, and its actions with their
type, configuration and artifacts) and returns them, as FastAPI does with a response model.

`/echo` parses the same request model as POST /v1/policies/compute and returns it. Like the
product's route it is an `async` handler (run on the event loop) and it answers JSON; it has no
dependencies and no response model. `/echo-sync` is the same as a plain `def` handler, which
FastAPI runs in the thread pool (the echo this bench used while compute was a `def` route).
Two ways to serve them, both by uvicorn with the settings `pipeline-policy serve` uses (see
_common.echo_command):

- `app`: alone in a bare FastAPI app, with no middleware;
- `product_with_echo()`: added to the product's own app (`create_app()`) with the product's
  route class, so that it passes through the same middleware (request id, limits, metrics,
  access log, security headers), the same key and strict-JSON checks, and the same lifespan as
  compute. The ratio against this one is what compute itself adds.

Not a product route: the product never registers it.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel

from app.api.schemas.compute import ComputeRequest

app = FastAPI(title="bench echo")


class ActionTypeId(BaseModel):
    category: str
    owner: str
    provider: str
    version: str


class Artifact(BaseModel):
    name: str


class Action(BaseModel):
    name: str
    actionTypeId: ActionTypeId  # noqa: N815 - the get-pipeline member's name
    runOrder: int = 1  # noqa: N815
    configuration: dict[str, str] = {}
    inputArtifacts: list[Artifact] = []  # noqa: N815
    outputArtifacts: list[Artifact] = []  # noqa: N815
    roleArn: str | None = None  # noqa: N815
    region: str | None = None
    namespace: str | None = None


class Stage(BaseModel):
    name: str
    actions: list[Action]


class Pipeline(BaseModel):
    name: str
    roleArn: str  # noqa: N815
    stages: list[Stage]
    version: int | None = None


class PipelineDocument(BaseModel):
    pipeline: Pipeline


class TypedRequest(BaseModel):
    pipelines: list[PipelineDocument]


@app.post("/echo-typed")
async def echo_typed(request: TypedRequest) -> TypedRequest:
    return request


@app.post("/echo")
async def echo(request: ComputeRequest) -> dict[str, Any]:
    return request.model_dump()


@app.post("/echo-sync")
def echo_sync(request: ComputeRequest) -> dict[str, Any]:
    return request.model_dump()


def product_with_echo() -> FastAPI:
    from app.api.checked_route import CheckedRoute  # noqa: PLC0415
    from app.main import create_app  # noqa: PLC0415 - only this variant needs the product

    product = create_app()
    product.router.add_api_route(
        "/echo", echo, methods=["POST"], include_in_schema=False, route_class_override=CheckedRoute
    )
    # First in the routing order, as compute's router is: routing past the other routers would
    # cost the echo time that compute does not pay.
    routes = product.router.routes
    routes.insert(0, routes.pop())
    return product


@app.get("/readyz")
def readyz() -> dict[str, str]:
    return {"status": "ready"}
