"""Schema fuzzing: schemathesis against the live OpenAPI of a real server process.

Every operation of /openapi.json is tried with generated requests, valid and invalid (the schema's
examples, then random data); every answer must be below 500 and, where the status is documented,
match its response schema, media type and documented headers (the snippet operations' text, the
X-Findings count). Every request carries a key in `Authorization` (a `write` key, an
`admin` key on /v1/admin), so the fuzzer gets past authentication and reaches the handlers.

Short form (CI): FUZZ_EXAMPLES=25 random examples per operation (the default).
Long form, on demand:  FUZZ_EXAMPLES=2000 .venv/bin/pytest tests/e2e/test_schemathesis.py
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from schemathesis import HookContext
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
)

from app.main import create_app
from app.settings import Settings

from ..servers import cli_key, prepare_database, running_server

pytestmark = pytest.mark.slow  # real server processes: left out of `make test-fast`

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
LONG = EXAMPLES > 100
# A request that hangs fails the case instead of the run.
REQUEST_TIMEOUT_SECONDS = 30
# The server's own limit (MAX_REQUEST_BYTES) stays at its default; the fuzzer's bodies are small.


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    work = tmp_path_factory.mktemp("fuzz")
    url = f"sqlite:///{work / 'fuzz.db'}"
    prepare_database(url)
    writer = cli_key(url, "write", "fuzz-writer")
    admin = cli_key(url, "admin", "fuzz-admin")
    with running_server(url, work / "server.log") as server:
        yield {"base": server.base, "writer": writer, "admin": admin, "log": work / "server.log"}


def _config() -> schemathesis.Config:
    return schemathesis.Config.from_dict(
        {
            "generation": {
                "mode": "all",  # valid and invalid data
                "max-examples": EXAMPLES,
                "with-security-parameters": False,  # the hook below sends real keys
                "database": "none",  # no example database in the work tree
                "deterministic": not LONG,  # a CI run tries the same cases every time
            },
            "phases": {
                "examples": {"enabled": True},
                "coverage": {"enabled": LONG},
                "fuzzing": {"enabled": True},
                "stateful": {"enabled": False},
            },
            "request-timeout": REQUEST_TIMEOUT_SECONDS,
        }
    )


# The operations must be known when pytest collects (one test per operation), before any server
# runs, so the schema is built by the same app factory the server runs;
# `test_the_fuzzed_schema_is_the_live_one` checks that the server serves exactly this document.
# (schemathesis' lazy `from_fixture` loader would fetch it from the server, but in schemathesis
# 4.32 it reads `request.node._nodeid`, which pytest 9.2 no longer has.)
OPENAPI = create_app(Settings()).openapi()
schema = schemathesis.openapi.from_dict(OPENAPI, config=_config())


@schema.hook
def map_path_parameters(
    context: HookContext, parameters: dict[str, Any] | None
) -> dict[str, Any] | None:
    # Revoking the fuzzer's own keys (ids 1 and 2) would only turn the rest of the run into 401s.
    if parameters and "key_id" in parameters and parameters["key_id"] in (1, 2, "1", "2"):
        parameters["key_id"] = 1_000_000
    return parameters


def test_the_fuzzed_schema_is_the_live_one(fuzz_server: dict[str, Any]) -> None:
    live = httpx.get(f"{fuzz_server['base']}/openapi.json", timeout=30)
    assert live.status_code == 200
    assert live.json() == OPENAPI


@schema.parametrize()
def test_every_operation_answers_below_500_and_within_its_schema(
    case: schemathesis.Case, fuzz_server: dict[str, Any]
) -> None:
    role = "admin" if case.operation.path.startswith("/v1/admin") else "writer"
    case.call_and_validate(
        base_url=fuzz_server["base"],
        headers={"Authorization": f"Bearer {fuzz_server[role]}"},
        checks=[
            not_a_server_error,
            response_schema_conformance,
            response_headers_conformance,
            content_type_conformance,
        ],
        timeout=REQUEST_TIMEOUT_SECONDS,
    )


def test_the_server_logged_no_unhandled_error(fuzz_server: dict[str, Any]) -> None:
    """Runs after the fuzzing (same module, later in file order)."""
    log: Path = fuzz_server["log"]
    assert "unhandled error" not in log.read_text()
