"""One place maps every error to RFC 9457 problem+json, with the location of the problem."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.engine.errors import EngineError, PipelineParseError, ProfileDefinitionError
from app.engine.findings import pointer_join
from app.engine.iam.errors import PolicyParseError
from app.service.errors import (
    ExistsError,
    InvalidInputError,
    MissingError,
    StaleRevisionError,
    UseCaseError,
)

log = logging.getLogger(__name__)
PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_BASE = "https://pipeline-policy.dev/problems/"


class ProblemLocation(BaseModel):
    pointer: str = Field(
        description="JSON pointer (RFC 6901) into the request body, or a parameter name"
    )
    detail: str


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = Field(default="about:blank")
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[ProblemLocation] = Field(default_factory=list)


class ServiceError(Exception):
    """An error of the service layer with an HTTP status, mapped here and nowhere else."""

    status = 400
    slug = "bad-request"
    title = "Bad request"
    headers: dict[str, str] | None = None

    def __init__(self, detail: str, *, pointer: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.pointer = pointer


class NotFoundError(ServiceError):
    status = 404
    slug = "not-found"
    title = "Not found"


class UnprocessableInputError(ServiceError):
    status = 422
    slug = "unprocessable-input"
    title = "The input could not be processed"


class UnauthorizedError(ServiceError):
    status = 401
    slug = "unauthorized"
    title = "An API key is required"
    headers = {"WWW-Authenticate": "Bearer"}  # noqa: RUF012  (read-only class constant)


class ForbiddenError(ServiceError):
    status = 403
    slug = "forbidden"
    title = "The API key's scope does not allow this"


class ConflictError(ServiceError):
    status = 409
    slug = "conflict"
    title = "Conflict with the current state"


class PreconditionFailedError(ServiceError):
    status = 412
    slug = "stale-revision"
    title = "The revision named by If-Match is not the current one"


class PreconditionRequiredError(ServiceError):
    status = 428
    slug = "if-match-required"
    title = "If-Match is required"


class ServiceUnavailableError(ServiceError):
    status = 503
    slug = "not-ready"
    title = "Not ready"


def problem_response(
    status: int,
    title: str,
    *,
    slug: str | None = None,
    detail: str | None = None,
    instance: str | None = None,
    errors: Sequence[ProblemLocation] = (),
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = Problem(
        type=PROBLEM_BASE + slug if slug else "about:blank",
        title=title,
        status=status,
        detail=detail,
        instance=instance,
        errors=list(errors),
    )
    return JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


def _loc_to_pointer(loc: Sequence[Any]) -> str:
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header"):
        where = parts.pop(0)
        if where != "body":
            return f"{where}:{'.'.join(str(p) for p in parts)}"
    return pointer_join("", *(str(p) for p in parts))


async def _validation_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        ProblemLocation(pointer=_loc_to_pointer(e.get("loc", ())), detail=str(e.get("msg", "")))
        for e in exc.errors()
    ]
    return problem_response(
        422,
        "The request does not match its schema",
        slug="invalid-request",
        detail=f"{len(errors)} problem(s) in the request",
        instance=request.url.path,
        errors=errors,
    )


async def _engine_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, EngineError)
    slug = {
        PipelineParseError: "invalid-pipeline",
        ProfileDefinitionError: "invalid-profile",
    }.get(type(exc), "invalid-input")
    return problem_response(
        422,
        "The input could not be interpreted",
        slug=slug,
        detail=exc.message,
        instance=request.url.path,
        errors=[ProblemLocation(pointer=exc.pointer, detail=exc.message)],
    )


async def _service_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ServiceError)
    errors = (
        [ProblemLocation(pointer=exc.pointer, detail=exc.detail)] if exc.pointer is not None else []
    )
    return problem_response(
        exc.status,
        exc.title,
        slug=exc.slug,
        detail=exc.detail,
        instance=request.url.path,
        errors=errors,
        headers=exc.headers,
    )


# Use-case errors carry no HTTP; this table gives them their status, in this one place.
_USE_CASE_PROBLEMS: tuple[tuple[type[UseCaseError], type[ServiceError]], ...] = (
    (MissingError, NotFoundError),
    (ExistsError, ConflictError),
    (StaleRevisionError, PreconditionFailedError),
    (InvalidInputError, UnprocessableInputError),
)


async def _use_case_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, UseCaseError)
    problem = next((p for u, p in _USE_CASE_PROBLEMS if isinstance(exc, u)), ServiceError)
    return await _service_handler(request, problem(exc.detail, pointer=exc.pointer))


async def _http_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return problem_response(
        exc.status_code,
        str(exc.detail) if exc.detail else "Error",
        instance=request.url.path,
        headers=dict(exc.headers) if exc.headers else None,
    )


async def _unexpected_handler(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s", request.url.path, exc_info=exc)
    return problem_response(
        500, "Internal error", detail="the error was logged", instance=request.url.path
    )


async def _policy_parse_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, PolicyParseError)
    return problem_response(
        422,
        "The policy could not be read",
        slug="invalid-policy",
        detail=exc.message,
        instance=request.url.path,
        errors=[ProblemLocation(pointer=exc.pointer, detail=exc.message)],
    )


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(PolicyParseError, _policy_parse_handler)
    app.add_exception_handler(RequestValidationError, _validation_handler)
    app.add_exception_handler(EngineError, _engine_handler)
    app.add_exception_handler(ServiceError, _service_handler)
    app.add_exception_handler(UseCaseError, _use_case_handler)
    app.add_exception_handler(StarletteHTTPException, _http_handler)
    app.add_exception_handler(Exception, _unexpected_handler)


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    422: {"model": Problem, "content": {PROBLEM_MEDIA_TYPE: {}}, "description": "Invalid input"},
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the problems an endpoint can answer with."""
    described = {
        401: "No valid API key",
        403: "The key's scope is too small",
        404: "Not found",
        409: "Conflicts with the current state",
        412: "If-Match names a revision that is no longer current",
        422: "Invalid input",
        428: "If-Match is missing",
    }
    return {
        s: {"model": Problem, "content": {PROBLEM_MEDIA_TYPE: {}}, "description": described[s]}
        for s in statuses
    }
