"""One place maps every error to RFC 9457 problem+json, with the location of the problem."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from types import MappingProxyType
from typing import Annotated, Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from pydantic.json_schema import SkipJsonSchema
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from app.api.schemas.common import FindingOut, no_default
from app.engine.budget import WorkCancelledError, WorkLimitExceededError
from app.engine.error_places import error_places
from app.engine.errors import EngineError, PipelineParseError, ProfileDefinitionError
from app.engine.findings import Finding, FindingType
from app.engine.iam.errors import PolicyParseError
from app.engine.policy_templates import UndeployableError
from app.engine.strict_model import loc_pointer
from app.service.errors import (
    ExistsError,
    ForceRequiredError,
    InvalidInputError,
    MissingError,
    StaleRevisionError,
    TooLargeError,
    UseCaseError,
)

log = logging.getLogger(__name__)
PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_BASE = "https://pipeline-policy.dev/problems/"
FINDINGS_HEADER = "X-Findings"


# Where in the body's text a problem is, for a body that is not JSON: absent otherwise (never
# null), and the OpenAPI document says so.
TextPlace = Annotated[
    int | SkipJsonSchema[None],
    Field(exclude_if=lambda place: place is None, json_schema_extra=no_default),
]


class ProblemLocation(BaseModel):
    pointer: str = Field(
        description="JSON pointer (RFC 6901) into the request body, or a parameter name; for a "
        "body that is not JSON, the innermost array or object open where it fails"
    )
    detail: str
    line: TextPlace = Field(default=None, description="line of the body's text (from 1)")
    column: TextPlace = Field(default=None, description="column within the line (from 1)")
    offset: TextPlace = Field(default=None, description="characters before it in the text")


@dataclass(frozen=True)
class TextPosition:
    line: int
    column: int
    offset: int


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = Field(default="about:blank")
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[ProblemLocation] = Field(default_factory=list)


class FindingsProblem(Problem):
    """A problem that comes with the findings of the decision: a policy refused as deployable
    text because ERROR findings stand against it."""

    findings: list[FindingOut] = Field(
        default_factory=list,
        description="every finding of the decision (the ERROR ones are also in `errors`)",
    )


class HttpProblemError(Exception):
    """An error the API answers with: its HTTP status, problem type and title, mapped to
    problem+json here and nowhere else (the service layer's own errors carry no HTTP)."""

    status = 400
    slug = "bad-request"
    title = "Bad request"
    headers: dict[str, str] | None = None
    members: Mapping[str, Any] = MappingProxyType({})  # extension members of the problem

    def __init__(
        self,
        detail: str,
        *,
        pointer: str | None = None,
        members: Mapping[str, Any] | None = None,
        position: TextPosition | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.pointer = pointer
        if members is not None:
            self.members = members
        self.position = position


class NotFoundError(HttpProblemError):
    status = 404
    slug = "not-found"
    title = "Not found"


class UnprocessableInputError(HttpProblemError):
    status = 422
    slug = "unprocessable-input"
    title = "The input could not be processed"


class UnsupportedMediaTypeError(HttpProblemError):
    status = 415
    slug = "unsupported-media-type"
    title = "The body must be JSON"


class UnauthorizedError(HttpProblemError):
    status = 401
    slug = "unauthorized"
    title = "An API key is required"
    headers = {"WWW-Authenticate": "Bearer"}  # noqa: RUF012  (read-only class constant)


class ForbiddenError(HttpProblemError):
    status = 403
    slug = "forbidden"
    title = "The API key's scope does not allow this"


class ConflictError(HttpProblemError):
    status = 409
    slug = "conflict"
    title = "Conflict with the current state"


class ForceRequiredConflictError(ConflictError):
    # 409, not 422: the request is sound and the same change is accepted against another state
    # (other profiles, another catalogue in use); it conflicts with what is in use now, and the
    # caller can resolve that (force it, or change the profiles) and send it again (RFC 9110).
    slug = "force-required"
    title = "The change would break what is in use"


class ContentTooLargeError(HttpProblemError):
    status = 413
    slug = "too-large"
    title = "The content is too large"


class PreconditionFailedError(HttpProblemError):
    status = 412
    slug = "stale-revision"
    title = "The revision named by If-Match is not the current one"


class PreconditionRequiredError(HttpProblemError):
    status = 428
    slug = "if-match-required"
    title = "If-Match is required"


class ServiceUnavailableError(HttpProblemError):
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
    members: Mapping[str, Any] | None = None,
) -> JSONResponse:
    body = Problem(
        type=PROBLEM_BASE + slug if slug else "about:blank",
        title=title,
        status=status,
        detail=detail,
        instance=instance,
        errors=list(errors),
    )
    content = body.model_dump(exclude_none=True)
    # Extension members (RFC 9457 §3.2) come after the standard ones and never replace them.
    content.update((k, v) for k, v in (members or {}).items() if k not in content)
    return JSONResponse(
        content,
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
    return loc_pointer(parts)


def _validation_locations(exc: RequestValidationError) -> list[ProblemLocation]:
    """Each problem of the request at its place: a parameter's name, or a pointer into the body
    (the body says which parts of a location are its places: see app.engine.error_places)."""
    located: list[ProblemLocation] = []
    in_body: list[dict[str, Any]] = []
    for e in exc.errors():
        loc = tuple(e.get("loc", ()))
        if loc[:1] == ("body",) and e.get("type") != "json_invalid":
            in_body.append({**e, "loc": loc[1:]})
        else:
            located.append(ProblemLocation(pointer=_loc_to_pointer(loc), detail=str(e.get("msg"))))
    places = error_places(in_body, exc.body)
    return located + [ProblemLocation(pointer=p, detail=m) for p, m in places]


async def _validation_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = _validation_locations(exc)
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
        errors=[ProblemLocation(pointer=p, detail=m) for p, m in exc.problems],
    )


async def _work_limit_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, WorkLimitExceededError)
    return problem_response(
        422,
        "The request asks for too much work",
        slug="work-limit",
        detail=exc.message,
        instance=request.url.path,
        errors=[ProblemLocation(pointer=exc.pointer, detail=exc.message)],
        members={"limit": exc.limit, "allowed": exc.allowed},
    )


async def _work_cancelled_handler(request: Request, exc: Exception) -> JSONResponse:
    # The deadline passed in the work itself, a moment before the time limit answered.
    assert isinstance(exc, WorkCancelledError)
    return problem_response(
        503,
        "The request took too long",
        detail=exc.message,
        instance=request.url.path,
        headers={"connection": "close"},
    )


_UNDEPLOYABLE_TITLE = "ERROR findings stand against the policy"


def _undeployable_body(exc: UndeployableError, instance: str) -> dict[str, Any]:
    problem = Problem(
        type=PROBLEM_BASE + "undeployable-policy",
        title=_UNDEPLOYABLE_TITLE,
        status=422,
        detail=exc.message,
        instance=instance,
        errors=[
            ProblemLocation(pointer=f.path, detail=f"{f.code}: {f.message}") for f in exc.errors
        ],
    )
    findings = [f.model_dump() for f in FindingOut.all(exc.findings)]  # `line` null included
    return {**problem.model_dump(exclude_none=True), "findings": findings}


async def _undeployable_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, UndeployableError)
    return JSONResponse(
        _undeployable_body(exc, request.url.path),
        status_code=422,
        media_type=PROBLEM_MEDIA_TYPE,
        headers={FINDINGS_HEADER: str(len(exc.findings))},
    )


def findings_problem_example() -> dict[str, Any]:
    """The 422 of a text operation whose policy has an ERROR finding."""
    finding = Finding(
        code="NO_ARTIFACT_STORE",
        finding_type=FindingType.ERROR,
        message="the pipeline has no artifact store; artifact-bucket permissions are not computed",
        path="/pipelines/0/pipeline",
    )
    return _undeployable_body(UndeployableError([finding]), "/v1/policies/compute/cloudformation")


async def _http_problem_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HttpProblemError)
    return http_problem_response(request, exc)


def http_problem_response(request: Request, exc: HttpProblemError) -> JSONResponse:
    """The problem+json answer of an HTTP problem, for callers outside the exception handlers."""
    place = vars(exc.position) if exc.position is not None else {}
    errors = (
        [ProblemLocation(pointer=exc.pointer, detail=exc.detail, **place)]
        if exc.pointer is not None
        else []
    )
    return problem_response(
        exc.status,
        exc.title,
        slug=exc.slug,
        detail=exc.detail,
        instance=request.url.path,
        errors=errors,
        headers=exc.headers,
        members=exc.members,
    )


# Use-case errors carry no HTTP; this table gives them their status, in this one place.
_USE_CASE_PROBLEMS: tuple[tuple[type[UseCaseError], type[HttpProblemError]], ...] = (
    (MissingError, NotFoundError),
    (ForceRequiredError, ForceRequiredConflictError),
    (ExistsError, ConflictError),
    (StaleRevisionError, PreconditionFailedError),
    (TooLargeError, ContentTooLargeError),
    (InvalidInputError, UnprocessableInputError),
)


async def _use_case_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, UseCaseError)
    problem = next((p for u, p in _USE_CASE_PROBLEMS if isinstance(exc, u)), HttpProblemError)
    return await _http_problem_handler(
        request, problem(exc.detail, pointer=exc.pointer, members=exc.members)
    )


async def _http_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return problem_response(
        exc.status_code,
        str(exc.detail) if exc.detail else "Error",
        instance=request.url.path,
        headers=dict(exc.headers) if exc.headers else None,
    )


async def _client_gone_handler(request: Request, _exc: Exception) -> JSONResponse:
    # The client closed the connection while its body was being read: not the service's
    # error (no 500, no error log), and nobody is left to read this answer.
    log.info("the client left before its request body was read, on %s", request.url.path)
    return problem_response(
        400,
        "The request body was not received",
        detail="the client closed the connection before the body was read",
        instance=request.url.path,
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
    app.add_exception_handler(UndeployableError, _undeployable_handler)
    app.add_exception_handler(RequestValidationError, _validation_handler)
    app.add_exception_handler(WorkLimitExceededError, _work_limit_handler)
    app.add_exception_handler(WorkCancelledError, _work_cancelled_handler)
    app.add_exception_handler(EngineError, _engine_handler)
    app.add_exception_handler(HttpProblemError, _http_problem_handler)
    app.add_exception_handler(UseCaseError, _use_case_handler)
    app.add_exception_handler(StarletteHTTPException, _http_handler)
    app.add_exception_handler(ClientDisconnect, _client_gone_handler)
    app.add_exception_handler(Exception, _unexpected_handler)


# OpenAPI: every documented error is a `Problem` as application/problem+json, with an example.
# app.api.openapi puts the `Problem` schema into the components and adds the problems every
# operation shares (422, 413, 401, 503); routers name the ones of their own (404, 409, ...).
PROBLEM_SCHEMA_REF = {"$ref": "#/components/schemas/Problem"}
_DOCUMENTED: dict[int, tuple[str, str, str | None, str]] = {
    # status: (description, title, slug, example detail)
    401: (
        "No valid API key",
        UnauthorizedError.title,
        UnauthorizedError.slug,
        "send an API key as `Authorization: Bearer <key>` or `X-API-Key`",
    ),
    403: (
        "The key's scope is too small",
        ForbiddenError.title,
        ForbiddenError.slug,
        "this needs a `write` key; key pp_3f9a2c1b has `read`",
    ),
    404: (
        "Not found",
        NotFoundError.title,
        NotFoundError.slug,
        "no profile for action type `Source/AWS/CodeCommit/9`",
    ),
    409: (
        "Conflicts with the current state",
        ConflictError.title,
        ConflictError.slug,
        "`Invoke/Custom/SlackNotify/1` already has a profile; publish a revision with PUT",
    ),
    412: (
        "If-Match names a revision that is no longer current",
        PreconditionFailedError.title,
        PreconditionFailedError.slug,
        "If-Match does not name the current revision 3 of `Source/AWS/CodeCommit/1`; read it again",
    ),
    413: (
        "The body is larger than MAX_REQUEST_BYTES",
        "Request body too large",
        None,
        "the body has 6000000 bytes; the limit is 5242880",
    ),
    415: (
        "The body is not sent as JSON",
        UnsupportedMediaTypeError.title,
        UnsupportedMediaTypeError.slug,
        "the body is sent as `text/plain`; send it as `application/json`",
    ),
    422: (
        "Invalid input: the pointers in `errors` say where",
        "The request does not match its schema",
        "invalid-request",
        "1 problem(s) in the request",
    ),
    428: (
        "If-Match is missing",
        PreconditionRequiredError.title,
        PreconditionRequiredError.slug,
        "send If-Match with the ETag of the current revision (from GET)",
    ),
    503: (
        "No answer within the request time limit; the work was abandoned",
        "The request took too long",
        None,
        "no answer within 30 s; the work was abandoned",
    ),
}


def problem_example(
    status: int,
    instance: str = "/v1/policies/compute",
    error: tuple[str, str] = ("/pipelines", "Field required"),
) -> dict[str, Any]:
    """An example of the problem a status answers with; `error` is a 422's (pointer, detail)."""
    phrase = HTTPStatus(status).phrase
    _, title, slug, detail = _DOCUMENTED.get(status, (phrase, phrase, None, None))
    example = Problem(
        type=PROBLEM_BASE + slug if slug else "about:blank",
        title=title,
        status=status,
        detail=detail,
        instance=instance,
        errors=[ProblemLocation(pointer=error[0], detail=error[1])] if status == 422 else [],
    )
    return example.model_dump(exclude_none=True)


def problem_content(status: int) -> dict[str, Any]:
    """The `content` of a documented problem response."""
    return {PROBLEM_MEDIA_TYPE: {"schema": PROBLEM_SCHEMA_REF, "example": problem_example(status)}}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the problems an endpoint can answer with (the shared ones — 401,
    413, 422, 503 — are added to every operation they apply to by app.api.openapi)."""
    return {s: {"description": _DOCUMENTED[s][0], "content": problem_content(s)} for s in statuses}


def problem_description(status: int) -> str:
    return _DOCUMENTED[status][0] if status in _DOCUMENTED else HTTPStatus(status).phrase


PROBLEM_RESPONSES = problem_responses(422)
