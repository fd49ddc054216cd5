"""ETags, conditional requests and Cache-Control."""

from __future__ import annotations

import hashlib

import orjson
from fastapi import Request, Response
from pydantic import BaseModel

from app.api.deps import Services
from app.api.problems import PreconditionRequiredError

NO_CACHE = "no-cache"  # may be stored, must be revalidated (If-None-Match → 304)
NO_STORE = "no-store"
PRIVATE_NO_CACHE = "private, no-cache"
_YEAR = "max-age=31536000, immutable"


def immutable(services: Services) -> str:
    """For representations that never change. Shared caches may keep them only when reads are
    open; behind keys they are private to the client that authenticated."""
    scope = "private" if services.settings.keys_required_for_reads else "public"
    return f"{scope}, {_YEAR}"


def body_etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _opaque(tag: str) -> str:
    return tag.removeprefix("W/")


def _tags(header: str) -> list[str]:
    return [t.strip() for t in header.split(",") if t.strip()]


def not_modified(request: Request, etag: str) -> bool:
    """If-None-Match with the weak comparison of RFC 9110 §13.1.2."""
    header = request.headers.get("if-none-match")
    if not header:
        return False
    tags = _tags(header)
    return "*" in tags or _opaque(etag) in {_opaque(t) for t in tags}


def json_response(
    request: Request,
    payload: BaseModel,
    *,
    cache_control: str,
    etag: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """The payload as JSON with an ETag (the given one, else the body's hash); 304 when the
    client's If-None-Match names it."""
    body = orjson.dumps(payload.model_dump(mode="json"))
    tag = etag or body_etag(body)
    all_headers = {"ETag": tag, "Cache-Control": cache_control, **(headers or {})}
    if request.method in ("GET", "HEAD") and not_modified(request, tag):
        return Response(status_code=304, headers=all_headers)
    return Response(
        body, status_code=status_code, media_type="application/json", headers=all_headers
    )


def required_if_match(header: str | None) -> list[str]:
    """The strong entity tags of If-Match; 428 when absent (or `*`, which names no revision)."""
    if header is None or not header.strip():
        raise PreconditionRequiredError(
            "send If-Match with the ETag of the current revision (from GET)",
            pointer="header:If-Match",
        )
    tags = _tags(header)
    if "*" in tags:
        raise PreconditionRequiredError(
            "If-Match: * does not name a revision; send the current revision's ETag",
            pointer="header:If-Match",
        )
    return [t for t in tags if not t.startswith("W/")]
