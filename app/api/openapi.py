"""The OpenAPI document: operation ids, tags, and the problems every operation shares.

Routers give each operation its summary and the problems of its own (404, 409, 412, 428, 403 via
`problem_responses`); this module adds, in one place, what follows from the app as a whole:

- 422 wherever parameters or a body are validated (replacing FastAPI's `HTTPValidationError`,
  which this service never answers with),
- 413 wherever there is a body, and 503 everywhere (both from `RequestMiddleware`),
- 415 wherever there is a body (sent as anything but JSON),
- 401 on every operation outside the open probes (writes and admin always need a key, reads when
  REQUIRE_KEYS_FOR_READS is on),

each as a `Problem` in `application/problem+json`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute

from app.api.auth import OPEN_PATHS
from app.api.problems import (
    PROBLEM_MEDIA_TYPE,
    PROBLEM_SCHEMA_REF,
    FindingsProblem,
    Problem,
    problem_content,
    problem_description,
    problem_example,
)

OPENAPI_TAGS: list[dict[str, Any]] = [
    {
        "name": "policies",
        "description": "Decisions on service-role policies: compute the least-privilege policy of "
        "pipelines, diff a role's current policy against it, evaluate requests against a policy, "
        "validate a policy.",
    },
    {
        "name": "pipelines",
        "description": "Check pipeline definitions (get-pipeline JSON, CloudFormation, "
        "Terraform) against CodePipeline's structure rules and the profiles.",
    },
    {
        "name": "profiles",
        "description": "The permission profile of every action type, its immutable revisions "
        "and what changed between two; publishing needs a `write` key and `If-Match`.",
    },
    {
        "name": "baselines",
        "description": "The legacy default service-role policies (2017, 2019) and the 2025 "
        "minimum.",
    },
    {
        "name": "catalog",
        "description": "The imported IAM action catalogue revisions and the one in use.",
    },
    {
        "name": "admin",
        "description": "API keys, the audit log, importing and activating catalogue revisions "
        "(`admin` key).",
    },
    {
        "name": "health",
        "description": "Liveness, readiness and Prometheus metrics; open even when reads need "
        "keys.",
    },
]

_SCHEMA_PREFIX = "#/components/schemas/"
_FASTAPI_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")
_METHODS = frozenset({"get", "put", "post", "delete", "patch", "head", "options", "trace"})


def operation_id(route: APIRoute) -> str:
    """`<tag>_<endpoint function>`, e.g. `policies_compute_policy`: stable across path changes,
    unique because endpoint names are unique within a tag (tests/api/test_openapi.py checks)."""
    return f"{route.tags[0]}_{route.name}" if route.tags else route.name


def _problem_schemas() -> dict[str, Any]:
    """`Problem`, `FindingsProblem` (the 422 of the text operations) and what they refer to."""
    schemas: dict[str, Any] = {}
    for model in (Problem, FindingsProblem):
        schema = model.model_json_schema(
            ref_template=_SCHEMA_PREFIX + "{model}", mode="serialization"
        )
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    return schemas


def _is_fastapi_validation_error(response: dict[str, Any]) -> bool:
    return _SCHEMA_PREFIX + "HTTPValidationError" in str(response.get("content", {}))


_EXAMPLE_PATH_VALUES = {
    "category": "Source",
    "owner": "AWS",
    "provider": "CodeCommit",
    "version": "1",
    "revision": "1",
    "other": "2",
    "name": "legacy-2019",
    "key_id": "7",
    "revision_id": "2",
}


def _example_error(spec: dict[str, Any], operation: dict[str, Any]) -> tuple[str, str]:
    """Where a 422 of this operation could point: the body's first required field, or its
    first parameter."""
    body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
    ref = body.get("schema", {}).get("$ref", "")
    if ref.startswith(_SCHEMA_PREFIX):
        schema = spec.get("components", {}).get("schemas", {}).get(ref[len(_SCHEMA_PREFIX) :], {})
        required = schema.get("required") or list(schema.get("properties", {}))
        return (f"/{required[0]}" if required else "", "Field required")
    if body:
        return ("", "Input should be a valid dictionary")
    parameter = (operation.get("parameters") or [{}])[0]
    return (f"{parameter.get('in', 'query')}:{parameter.get('name', '')}", "Input is not valid")


def _add_problem(responses: dict[str, Any], status: int) -> None:
    key = str(status)
    existing = responses.get(key)
    if existing is None or (status == 422 and _is_fastapi_validation_error(existing)):
        responses[key] = {"description": problem_description(status), "content": {}}
    content = responses[key].setdefault("content", {})
    content.setdefault(PROBLEM_MEDIA_TYPE, problem_content(status)[PROBLEM_MEDIA_TYPE])


def _complete_operation(spec: dict[str, Any], path: str, operation: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    if operation.get("parameters") or operation.get("requestBody"):
        _add_problem(responses, 422)
    if operation.get("requestBody"):
        _add_problem(responses, 413)
        _add_problem(responses, 415)
    if path not in OPEN_PATHS:
        _add_problem(responses, 401)
    _add_problem(responses, 503)
    # Each problem example names this operation's path (and a 422 a place in its input).
    instance = re.sub(r"\{(\w+)\}", lambda m: _EXAMPLE_PATH_VALUES.get(m[1], m[0]), path)
    error = _example_error(spec, operation)
    for status, response in responses.items():
        media = response.get("content", {}).get(PROBLEM_MEDIA_TYPE)
        if media is None or not status.isdigit():
            continue
        if media.get("schema") == PROBLEM_SCHEMA_REF:
            media["example"] = problem_example(int(status), instance, error)
        elif "example" in media:  # a problem of its own kind (FindingsProblem), for this path
            media["example"] = {**media["example"], "instance": instance}


def complete_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """Add the shared problem responses and the `Problem` schema; drop FastAPI's unused
    validation-error schemas."""
    for path, item in spec.get("paths", {}).items():
        for method, operation in item.items():
            if method in _METHODS:
                _complete_operation(spec, path, operation)
    schemas: dict[str, Any] = spec.setdefault("components", {}).setdefault("schemas", {})
    for name, schema in _problem_schemas().items():
        # A schema the routes already use (FindingOut) stays as FastAPI wrote it.
        schemas.setdefault(name, schema)
    for name in _FASTAPI_VALIDATION_SCHEMAS:
        schemas.pop(name, None)
    leftover = str(spec)
    assert not any(_SCHEMA_PREFIX + n + "'" in leftover for n in _FASTAPI_VALIDATION_SCHEMAS)
    spec["components"]["schemas"] = dict(sorted(schemas.items()))
    return spec


def install_openapi(app: FastAPI) -> None:
    """Make `app.openapi()` (and so `/openapi.json`) answer with the completed document."""
    build: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = complete_spec(build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
