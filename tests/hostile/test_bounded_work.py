"""Small requests that ask for a great deal of work, as families of growing size, against a real
one-worker server process: each is answered (200, or a located 422 once it passes the work
budget) within a bound, with a bounded body, without the server's memory running away, while
/healthz and an ordinary compute keep answering within a second. A request stopped by its time
limit stops working (the process's CPU time goes quiet), and SIGTERM stops a busy server within
seconds.

Measured per case, and printed (`pytest -s` shows them): the answer's time and size, the peak
resident memory of the server process so far (VmHWM), and the worst latency of the liveness probe
and of the ordinary compute while the case ran.
"""

from __future__ import annotations

import os
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from ..amplifiers import (
    ACCOUNT,
    explained_evaluation,
    fan_out_template,
    glob_diff_request,
    long_name_against_long_deny,
    nested_for,
    nested_replace,
    redundancy_policy,
    scp_levels,
    wildcard_boundary,
    wildcard_condition_evaluation,
)
from ..servers import Server, prepare_database, running_server

pytestmark = pytest.mark.slow  # real server processes: left out of `make test-fast`

# A case's answer, the budget's refusal included, in the server's CPU seconds: the bound is on
# the work a request may cause; wall-clock time on a shared machine measures its other load too.
ANSWER_CPU_SECONDS = 15.0
ANSWER_SECONDS = 60.0  # and never a hang, however loaded the machine
LIVENESS_SECONDS = 1.0  # /healthz and an ordinary compute while a case runs
MAX_BODY_BYTES = 32 * 1024 * 1024  # MAX_RESPONSE_BYTES' default
MAX_RSS_GROWTH_MIB = 600  # peak resident memory above the server's after start-up
PROBLEM = "application/problem+json"


def _status(path: str) -> dict[str, int]:
    fields = {}
    for line in Path(path).read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0])
    return fields


def peak_rss_mib(server: Server) -> float:
    return _status(f"/proc/{server.pid}/status")["VmHWM"] / 1024


def cpu_seconds(server: Server) -> float:
    """User and system CPU time of the server process, all its threads."""
    fields = Path(f"/proc/{server.pid}/stat").read_text().rpartition(")")[2].split()
    ticks = int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return ticks / os.sysconf("SC_CLK_TCK")


def ordinary_compute() -> dict[str, Any]:
    """A small pipeline under a new name each time."""
    return {
        "pipelines": [
            {
                "name": f"p-{uuid.uuid4().hex[:8]}",
                "roleArn": "arn:aws:iam::111122223333:role/r",
                "artifactStore": {"type": "S3", "location": "artifacts"},
                "stages": [
                    {
                        "name": "Source",
                        "actions": [
                            {
                                "name": "S",
                                "actionTypeId": {
                                    "category": "Source",
                                    "owner": "AWS",
                                    "provider": "S3",
                                    "version": "1",
                                },
                                "configuration": {"S3Bucket": "b", "S3ObjectKey": "k"},
                                "outputArtifacts": [{"name": "o"}],
                            }
                        ],
                    }
                ],
            }
        ]
    }


class Liveness:
    """While a case runs: /healthz every 0.1 s and an ordinary compute every 0.3 s, from their
    own connections; the worst latency of each, and any answer that was not a 200."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.worst_health = 0.0
        self.worst_compute = 0.0
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._poll, args=("health", 0.1)),
            threading.Thread(target=self._poll, args=("compute", 0.3)),
        ]

    def _poll(self, what: str, every: float) -> None:
        with httpx.Client(base_url=self.base, timeout=10) as client:
            while not self._stop.is_set():
                started = time.perf_counter()
                try:
                    if what == "health":
                        response = client.get("/healthz")
                    else:
                        response = client.post("/v1/policies/compute", json=ordinary_compute())
                except httpx.HTTPError as exc:
                    self.failures.append(f"{what}: {exc!r}")
                    return
                took = time.perf_counter() - started
                if response.status_code != 200:
                    self.failures.append(f"{what}: {response.status_code}")
                if what == "health":
                    self.worst_health = max(self.worst_health, took)
                else:
                    self.worst_compute = max(self.worst_compute, took)
                self._stop.wait(every)

    def __enter__(self) -> Liveness:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(15)


@dataclass(frozen=True)
class Family:
    name: str
    path: str
    body: Callable[[int], dict[str, Any]]
    # The sizes tried, and whether each must be refused by the budget (a 422) or answered.
    sizes: tuple[tuple[int, bool], ...]
    pointer: str | None = None  # where a refusal points (a prefix)
    check: Callable[[int, dict[str, Any]], None] | None = None


def _cloudformation(text: str) -> dict[str, Any]:
    return {"sources": [{"format": "cloudformation", "body": text}]}


def _terraform(text: str) -> dict[str, Any]:
    return {"sources": [{"format": "terraform", "body": text}]}


def _redundancy_limited(statements: int, body: dict[str, Any]) -> None:
    codes = {f["code"] for f in body["findings"]}
    if statements >= 40:
        assert "REDUNDANCY_CHECK_LIMITED" in codes


FAMILIES = [
    Family(
        "cloudformation-reference-fan-out",
        "/v1/policies/compute",
        lambda levels: _cloudformation(fan_out_template(levels)),
        ((4, False), (8, False), (10, True), (13, True), (16, True)),
        pointer="/sources/0/body/Resources/B",
    ),
    Family(
        "cloudformation-fan-out-pipeline-validation",
        "/v1/pipelines/validate",
        lambda levels: _cloudformation(fan_out_template(levels)),
        ((6, False), (11, True)),
        pointer="/sources/0/body/Resources/B",
    ),
    Family(
        "terraform-nested-functions",
        "/v1/policies/compute",
        lambda depth: _terraform(nested_replace(depth)),
        ((2, False), (6, False), (8, True), (16, True)),
        pointer="/sources/0/body/resource/aws_codepipeline/p/artifact_store/0/location",
    ),
    Family(
        "terraform-nested-comprehensions",
        "/v1/policies/compute",
        lambda depth: _terraform(nested_for(depth)),
        ((1, False), (2, True), (3, True)),
        pointer="/sources/0/body/resource/aws_codepipeline/p/artifact_store/0/location",
    ),
    Family(
        "diff-wildcard-heavy-statements",
        "/v1/policies/diff",
        lambda scale: glob_diff_request(scale, 40 * scale),
        ((1, False), (2, True), (8, True)),
        pointer="/current/documents/0/Statement/",
    ),
    Family(
        "diff-long-name-against-long-deny",
        "/v1/policies/diff",
        long_name_against_long_deny,
        ((2_500, False), (20_000, False), (100_000, True), (400_000, True)),
        pointer="/current/documents/0/Statement/1",
    ),
    Family(
        "diff-long-name-against-long-boundary-deny",
        "/v1/policies/diff",
        lambda length: long_name_against_long_deny(length, "boundary"),
        ((2_500, False), (50_000, False), (100_000, True)),
        pointer="/current/authorization/permissions_boundary/Statement/1",
    ),
    Family(
        "diff-boundary-of-many-wildcard-resources",
        "/v1/policies/diff",
        wildcard_boundary,
        ((10, False), (100, True), (10_000, True), (50_000, True)),
        pointer="/current/authorization/permissions_boundary/Statement/0",
    ),
    Family(
        "diff-under-scp-levels-of-many-statements",
        "/v1/policies/diff",
        lambda statements: scp_levels(7, statements, builds=10),
        ((30, False), (1_000, False), (3_000, True)),
        pointer=f"/current/authorization/accounts/{ACCOUNT}/scp_levels/",
    ),
    Family(
        "validate-wildcard-heavy-redundancy",
        "/v1/policies/validate",
        lambda statements: {"policy": {"documents": [redundancy_policy(statements)]}},
        ((20, False), (40, False), (100, False), (400, False)),
        check=_redundancy_limited,
    ),
    Family(
        "evaluate-with-explanations",
        "/v1/policies/evaluate",
        lambda statements: explained_evaluation(statements, 10_000),
        ((1, False), (10, False), (100, True)),
        pointer="/",
    ),
    Family(
        "evaluate-wildcard-conditions",
        "/v1/policies/evaluate",
        lambda keys: wildcard_condition_evaluation(1, keys=keys),
        ((1, False), (5, False), (30, True)),
        pointer="/policy/documents/0/Statement/0",
    ),
    Family(
        "evaluate-wildcard-conditions-repeated",
        "/v1/policies/evaluate",
        wildcard_condition_evaluation,
        ((5, True), (50, True)),
        pointer="/policy/documents/0/Statement/0",
    ),
]

CASES = [
    pytest.param(family, size, refused, id=f"{family.name}-{size}")
    for family in FAMILIES
    for size, refused in family.sizes
]


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('bounded') / 'bounded.db'}"
    prepare_database(url)
    return url


@dataclass(frozen=True)
class Measured:
    server: Server
    baseline_rss_mib: float  # after start-up and a first answer

    @property
    def base(self) -> str:
        return self.server.base


@pytest.fixture(scope="module")
def server(database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Measured]:
    log = tmp_path_factory.mktemp("bounded-server") / "server.log"
    with running_server(database, log) as started:
        assert httpx.post(started.base + "/v1/policies/compute", json=ordinary_compute()).is_success
        yield Measured(started, peak_rss_mib(started))
    assert "unhandled error" not in log.read_text()


@pytest.mark.parametrize(("family", "size", "refused"), CASES)
def test_a_family_of_growing_size_is_answered_within_its_bounds(
    family: Family, size: int, refused: bool, server: Measured
) -> None:
    body = family.body(size)
    with Liveness(server.base) as liveness, httpx.Client(timeout=ANSWER_SECONDS) as client:
        cpu_before = cpu_seconds(server.server)
        started = time.perf_counter()
        response = client.post(server.base + family.path, json=body)
        took = time.perf_counter() - started
        cpu = cpu_seconds(server.server) - cpu_before
    peak = peak_rss_mib(server.server)
    print(  # noqa: T201 - the measurements of the report
        f"\n{family.name} size={size}: {response.status_code} in {took:.2f} s "
        f"({cpu:.2f} s of server CPU), "
        f"{len(response.content):,} bytes, peak RSS {peak:.0f} MiB, /healthz worst "
        f"{liveness.worst_health * 1000:.0f} ms, compute worst "
        f"{liveness.worst_compute * 1000:.0f} ms"
    )
    assert response.status_code == (422 if refused else 200), response.text[:500]
    assert cpu < ANSWER_CPU_SECONDS
    assert len(response.content) < MAX_BODY_BYTES
    assert peak - server.baseline_rss_mib < MAX_RSS_GROWTH_MIB
    assert not liveness.failures
    assert liveness.worst_health < LIVENESS_SECONDS
    assert liveness.worst_compute < LIVENESS_SECONDS
    if refused:
        assert response.headers["content-type"].startswith(PROBLEM)
        problem = response.json()
        assert problem["type"].endswith("/work-limit")
        pointers = [e["pointer"] for e in problem["errors"]]
        assert family.pointer is not None
        assert any(p.startswith(family.pointer) for p in pointers), pointers
    elif family.check is not None:
        family.check(size, response.json())


@pytest.mark.parametrize("parallel", [2, 5])
def test_heavy_requests_in_parallel_leave_the_server_live(parallel: int, server: Measured) -> None:
    """Several requests at their limit at once (each a comprehension over a comprehension, a
    million values asked for): each is refused, and the probes still answer within a second."""
    body = _terraform(nested_for(2))
    statuses: list[int] = []

    def heavy() -> None:
        with httpx.Client(timeout=60) as client:
            statuses.append(
                client.post(server.base + "/v1/policies/compute", json=body).status_code
            )

    threads = [threading.Thread(target=heavy) for _ in range(parallel)]
    with Liveness(server.base) as liveness:
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        took = time.perf_counter() - started
    print(  # noqa: T201
        f"\n{parallel} in parallel: {statuses} in {took:.2f} s, peak RSS "
        f"{peak_rss_mib(server.server):.0f} MiB, /healthz worst "
        f"{liveness.worst_health * 1000:.0f} ms, compute worst "
        f"{liveness.worst_compute * 1000:.0f} ms"
    )
    assert statuses == [422] * parallel
    assert not liveness.failures
    assert liveness.worst_health < LIVENESS_SECONDS
    assert liveness.worst_compute < LIVENESS_SECONDS


# ---- deadlines that stop the work ------------------------------------------------------------

DEADLINE_SECONDS = 2


@pytest.fixture(scope="module")
def unbudgeted(database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server whose budgets are out of reach, so the time limit is what stops the work."""
    log = tmp_path_factory.mktemp("deadline-server") / "server.log"
    with running_server(
        database,
        log,
        REQUEST_TIMEOUT_SECONDS=str(DEADLINE_SECONDS),
        MAX_WORK_STEPS=str(10**12),
        MAX_AUTOMATON_WORK=str(10**12),
        MAX_PRODUCED_ITEMS=str(10**12),
        MAX_PRODUCED_CHARACTERS=str(10**12),
        SHUTDOWN_TIMEOUT_SECONDS="2",
    ) as started:
        yield started


def _large_terraform_sources(count: int) -> dict[str, Any]:
    block = 'resource "aws_s3_bucket" "b%d" {\n  bucket = "bucket-%d"\n  tags = { a = "b" }\n}\n'
    filler = "".join(block % (i, i) for i in range(2_900))  # ~240 KB, seconds to parse
    return {
        "sources": [
            {"format": "terraform", "body": nested_replace(1) + filler} for _ in range(count)
        ]
    }


@pytest.mark.parametrize(
    ("path", "body"),
    [
        pytest.param("/v1/policies/diff", glob_diff_request(8, 320), id="diff-8x320"),
        pytest.param(
            "/v1/policies/diff", long_name_against_long_deny(200_000), id="diff-long-name-deny"
        ),
        pytest.param("/v1/policies/diff", wildcard_boundary(10_000), id="diff-10k-wildcards"),
        pytest.param("/v1/policies/compute", _large_terraform_sources(16), id="terraform-16x240kb"),
        pytest.param(
            "/v1/policies/compute",
            {"sources": [{"format": "terraform", "body": nested_for(3)}]},
            id="terraform-comprehensions-3-deep",
        ),
    ],
)
def test_work_stops_within_a_second_of_the_time_limits_answer(
    path: str, body: dict[str, Any], unbudgeted: Server
) -> None:
    with httpx.Client(timeout=30) as client:
        started = time.perf_counter()
        response = client.post(unbudgeted.base + path, json=body)
        took = time.perf_counter() - started
    assert response.status_code == 503, response.text[:300]
    assert took < DEADLINE_SECONDS + 3
    time.sleep(1.0)  # the work notices its cancelled budget within this
    before = cpu_seconds(unbudgeted)
    time.sleep(1.0)
    spent = cpu_seconds(unbudgeted) - before
    print(f"\n{path}: 503 after {took:.2f} s; CPU in the second after: {spent:.2f} s")  # noqa: T201
    assert spent < 0.25, f"the server kept working after its 503: {spent:.2f} s of CPU in 1 s"


def test_sigterm_stops_a_busy_server_within_seconds(
    database: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    log = tmp_path_factory.mktemp("sigterm-server") / "server.log"
    server = Server(
        database,
        log,
        REQUEST_TIMEOUT_SECONDS="120",
        MAX_AUTOMATON_WORK=str(10**12),
        MAX_WORK_STEPS=str(10**12),
        SHUTDOWN_TIMEOUT_SECONDS="2",
    ).start()
    outcome: dict[str, Any] = {}

    def heavy() -> None:
        try:
            with httpx.Client(timeout=60) as client:
                outcome["response"] = client.post(
                    server.base + "/v1/policies/diff", json=glob_diff_request(8, 320)
                )
        except httpx.HTTPError as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=heavy)
    thread.start()
    try:
        time.sleep(1.5)  # the diff is under way
        assert cpu_seconds(server) > 0.5
        started = time.perf_counter()
        assert server.process is not None
        server.process.send_signal(signal.SIGTERM)
        server.process.wait(timeout=30)
        took = time.perf_counter() - started
    finally:
        server.stop()
        thread.join(60)
    print(f"\nSIGTERM to exit with a diff under way: {took:.2f} s")  # noqa: T201
    assert took < 6, log.read_text()[-2000:]
    # uvicorn shuts down, then raises the signal it caught again: a clean stop ends by SIGTERM.
    assert server.process.returncode in (0, -signal.SIGTERM), log.read_text()[-2000:]
    assert "Exception in ASGI application" not in log.read_text()
    response = outcome.get("response")
    assert response is None or response.status_code == 503, outcome
