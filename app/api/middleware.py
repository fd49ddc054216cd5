"""One ASGI middleware for every request: request id, size limits (of the body and of the
answer), time limit, the request's work budget, metrics, an access log line, and security
headers. Pure ASGI, so it adds little to the hot path.

Each request gets a `WorkBudget` (in its state, as `budget`) carrying its deadline. When the
request ends in any way — answered, answered 503 at its time limit, or its task cancelled (a
server shutting down stops what is still running after its grace period) — the budget is
cancelled, so work still under way in the thread pool for it stops at its next charge instead of
running on with nobody to answer."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import orjson

from app.api.metrics import observe_request
from app.engine.budget import WorkBudget, WorkLimits
from app.log_format import request_id_var

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

log = logging.getLogger("pipeline_policy.access")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-resource-policy", b"same-origin"),
]
_API_CSP = (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'")
_DOCS_PATHS = ("/docs", "/redoc", "/static/")


class _BodyTooLargeError(Exception):
    pass


def _problem(status: int, title: str, detail: str, instance: str) -> bytes:
    return orjson.dumps(
        {
            "type": "about:blank",
            "title": title,
            "status": status,
            "detail": detail,
            "instance": instance,
            "errors": [],
        }
    )


class RequestMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        time_limit_seconds: float,
        hsts_seconds: int = 0,
        work_limits: WorkLimits | None = None,
        max_response_bytes: int | None = None,
    ) -> None:
        self.app = app
        self.max_body = max_body_bytes
        self.time_limit = time_limit_seconds
        self.work_limits = work_limits or WorkLimits()
        self.max_response = max_response_bytes
        self.security_headers = list(_SECURITY_HEADERS)
        if hsts_seconds > 0:
            self.security_headers.append(
                (b"strict-transport-security", f"max-age={hsts_seconds}".encode())
            )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        given = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        budget = WorkBudget(self.work_limits, deadline=time.monotonic() + self.time_limit)
        scope.setdefault("state", {})["budget"] = budget
        status = 500
        responded = False
        path = scope.get("path", "")

        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body:
            await self._reply(
                send,
                413,
                "Request body too large",
                f"the body has {int(declared)} bytes; the limit is {self.max_body}",
                path,
                request_id,
            )
            self._finish(scope, scope.get("method", ""), 413, started, token)
            return

        received = 0
        too_large = False
        withheld = False  # an answer over the size limit: its start and body are not sent

        async def limited_receive() -> Message:
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    too_large = True
                    raise _BodyTooLargeError
            return message

        async def send_with_headers(message: Message) -> None:
            nonlocal status, responded, withheld
            if too_large:
                # The application may turn the aborted read into its own error; ours stands.
                raise _BodyTooLargeError
            if withheld:
                return
            if message["type"] == "http.response.start" and self._oversized(message):
                withheld = True
                status = 422
                responded = True
                await self._reply(
                    send,
                    422,
                    "The answer is too large",
                    f"the answer has {self._declared_length(message):,} bytes; at most "
                    f"{self.max_response:,} are sent (MAX_RESPONSE_BYTES): ask about fewer "
                    "pipelines, documents or requests at a time",
                    path,
                    request_id,
                )
                return
            if message["type"] == "http.response.start":
                status = message["status"]
                responded = True
                extra = [(b"x-request-id", request_id.encode()), *self.security_headers]
                if not path.startswith(_DOCS_PATHS):
                    extra.append(_API_CSP)
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        try:
            # A deadline on this task, not a new task per request as wait_for would make.
            async with asyncio.timeout(self.time_limit):
                await self.app(scope, limited_receive, send_with_headers)
        except _BodyTooLargeError:
            if not responded:
                status = 413
                await self._reply(
                    send,
                    413,
                    "Request body too large",
                    f"the body exceeds the limit of {self.max_body} bytes",
                    path,
                    request_id,
                )
        except TimeoutError:
            budget.cancel()
            if responded:
                # Too late for a 503: the status line is sent. Say so, or the access line's
                # status would be all that is known of a truncated answer.
                log.warning(
                    "time limit reached after the response started",
                    extra={"route": path, "status": status},
                )
            else:
                status = 503
                await self._reply(
                    send,
                    503,
                    "The request took too long",
                    f"no answer within {self.time_limit:g} s; the work was abandoned",
                    path,
                    request_id,
                )
        except asyncio.CancelledError:
            # The server is shutting down and its grace period is over: the work stops, and
            # the client hears why, if nothing was sent yet. The task ends here; its connection
            # is closed with it.
            budget.cancel()
            if not responded:
                status = 503
                with contextlib.suppress(Exception):
                    await self._reply(
                        send,
                        503,
                        "The server is shutting down",
                        "the request was still being worked on when the server stopped; "
                        "the work was abandoned: send it again",
                        path,
                        request_id,
                    )
        finally:
            budget.cancel()  # whatever still works for this request stops: nobody awaits it
            self._finish(scope, scope.get("method", ""), status, started, token)

    @staticmethod
    def _declared_length(message: Message) -> int:
        for name, value in message.get("headers", []):
            if name.lower() == b"content-length" and value.isdigit():
                return int(value)
        return -1

    def _oversized(self, message: Message) -> bool:
        return self.max_response is not None and self._declared_length(message) > self.max_response

    async def _reply(
        self, send: Send, status: int, title: str, detail: str, path: str, request_id: str
    ) -> None:
        body = _problem(status, title, detail, path)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/problem+json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"x-request-id", request_id.encode()),
                    (b"connection", b"close"),
                    *self.security_headers,
                    _API_CSP,
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    @staticmethod
    def _finish(scope: Scope, method: str, status: int, started: float, token: Any) -> None:
        elapsed = time.perf_counter() - started
        route = scope.get("route")
        template = getattr(route, "path", None) or "unmatched"
        observe_request(method, template, status, elapsed)
        if log.isEnabledFor(logging.INFO):
            log.info(
                "%s %s %s %.1fms",
                method,
                scope.get("path", ""),
                status,
                elapsed * 1000,
                extra={
                    "method": method,
                    "route": template,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                },
            )
        request_id_var.reset(token)
