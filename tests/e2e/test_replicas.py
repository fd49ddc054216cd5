"""Two real server processes on one PostgreSQL: a revision published through one is used by the
other within the refresh bound, and two publishes from the same ETag make one revision."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest

from ..concurrency import race
from ..conftest import migrate_and_seed
from ..documents import pipeline, used_revisions, with_note
from ..servers import free_ports, running_server

pytestmark = pytest.mark.slow  # real server processes: left out of `make test-fast`

REFRESH_SECONDS = 1.0  # the default PROFILE_REFRESH_SECONDS, said out loud
CODECOMMIT = "/v1/profiles/Source/AWS/CodeCommit/1"
LABEL = "Source/AWS/CodeCommit/1"


@contextmanager
def _servers(url: str, logs: Path, count: int) -> Iterator[list[str]]:
    """`count` server processes on the database at `url`, until ready."""
    with ExitStack() as stack:
        yield [
            stack.enter_context(
                running_server(
                    url,
                    logs / f"server-{i}.log",
                    port=port,
                    PROFILE_REFRESH_SECONDS=str(REFRESH_SECONDS),
                )
            ).base
            for i, port in enumerate(free_ports(count))
        ]


@dataclass
class Replicas:
    a: str
    b: str
    writer: str
    admin: str


@pytest.fixture(scope="module")
def replicas(
    module_postgres_url: str,
    tmp_path_factory: pytest.TempPathFactory,
    api_key: Callable[..., str],
) -> Iterator[Replicas]:
    url = module_postgres_url
    migrate_and_seed(url)
    writer, admin = api_key(url, "write", "e2e-writer"), api_key(url, "admin", "e2e-admin")
    with _servers(url, tmp_path_factory.mktemp("replicas"), 2) as (a, b):
        yield Replicas(a, b, writer, admin)


def _publish(http: httpx.Client, base: str, key: str, document: dict[str, Any], etag: str) -> int:
    response = http.put(
        f"{base}{CODECOMMIT}",
        json=document,
        headers={"Authorization": f"Bearer {key}", "If-Match": etag},
    )
    return response.status_code


def _publish_fresh(base: str, key: str, document: dict[str, Any], etag: str) -> int:
    with httpx.Client(timeout=30) as http:
        return _publish(http, base, key, document, etag)


def _revision_used(http: httpx.Client, base: str) -> int:
    response = http.post(f"{base}/v1/policies/compute", json={"pipelines": [pipeline()]})
    assert response.status_code == 200, response.text
    return used_revisions(response.json())[LABEL]


def test_a_revision_published_through_one_replica_reaches_the_other(
    replicas: Replicas, record_property: Any
) -> None:
    with httpx.Client(timeout=10) as http:
        before = _revision_used(http, replicas.b)
        current = http.get(f"{replicas.a}{CODECOMMIT}")
        document = with_note(current.json()["document"], "published through replica A")
        status = _publish(http, replicas.a, replicas.writer, document, current.headers["etag"])
        assert status == 200
        published = time.monotonic()  # committed: the response comes after the commit
        while (seen := _revision_used(http, replicas.b)) == before:
            assert time.monotonic() - published <= REFRESH_SECONDS + 1, "B never saw it"
            time.sleep(0.02)
        elapsed = time.monotonic() - published
    assert seen == before + 1
    record_property("replica_convergence_seconds", round(elapsed, 3))
    print(f"replica B used revision {seen} {elapsed:.3f} s after A published it")  # noqa: T201
    assert elapsed <= REFRESH_SECONDS + 1


def test_concurrent_publishes_from_one_etag_make_one_revision(replicas: Replicas) -> None:
    outcomes: list[int] = []
    with httpx.Client(timeout=10) as http:
        for round_ in range(4):
            current = http.get(f"{replicas.a}{CODECOMMIT}")
            etag, document = current.headers["etag"], current.json()["document"]
            # Through both replicas, and (odd rounds) both through one.
            targets = [replicas.a, replicas.b] if round_ % 2 == 0 else [replicas.b, replicas.b]
            statuses = race(
                [
                    partial(
                        _publish_fresh,
                        base,
                        replicas.writer,
                        with_note(document, f"round {round_}, writer {n}"),
                        etag,
                    )
                    for n, base in enumerate(targets)
                ]
            )
            assert sorted(statuses) == [200, 412], statuses
            outcomes += statuses
        revisions = http.get(f"{replicas.b}{CODECOMMIT}/revisions").json()["items"]
        audit = http.get(
            f"{replicas.b}/v1/admin/audit",
            params={"action": "profile.publish", "target": f"profile:{LABEL}"},
            headers={"X-API-Key": replicas.admin},
        ).json()["items"]
    numbers = [r["revision"] for r in revisions]
    assert numbers == list(range(1, len(numbers) + 1))
    # Every successful publish of the run is one revision and one audit event.
    assert len(audit) == len(numbers) - 1 == 1 + outcomes.count(200)
    assert {e["after_revision"] for e in audit} == set(numbers[1:])
