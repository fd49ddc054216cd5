"""`pipeline-policy serve --workers 2`: /metrics counts the requests of every worker, whichever
worker answers it, names only the catalogue in use after a switch, and the folder the workers
share is gone after the server stops."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from ..conftest import migrate_and_seed
from ..documents import snapshot
from ..servers import run_cli, running_server

pytestmark = pytest.mark.slow  # real server processes: left out of `make test-fast`

REQUESTS = 400


def _families(base: str) -> dict[str, list[Any]]:
    text = httpx.get(f"{base}/metrics", timeout=10).text
    return {f.name: f.samples for f in text_string_to_metric_families(text)}


def _catalogues(base: str) -> list[str]:
    """The catalogue versions /metrics names."""
    return [s.labels["source_version"] for s in _families(base)["pipeline_policy_catalog_info"]]


def _healthz_count(base: str) -> float:
    text = httpx.get(f"{base}/metrics", timeout=10).text
    for family in text_string_to_metric_families(text):
        if family.name == "pipeline_policy_http_requests":
            for sample in family.samples:
                if sample.name.endswith("_total") and sample.labels == {
                    "route": "/healthz",
                    "method": "GET",
                    "status": "200",
                }:
                    return sample.value
    return 0.0


def _get_healthz(base: str) -> int:
    # A connection per request, so the kernel hands requests to both workers.
    return httpx.get(f"{base}/healthz", timeout=10, headers={"connection": "close"}).status_code


def test_metrics_count_every_workers_requests(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'workers.db'}"
    migrate_and_seed(url)
    temp = tmp_path / "tmp"
    temp.mkdir()
    with running_server(url, tmp_path / "server.log", workers=2, TMPDIR=str(temp)) as server:
        shared = [p.name for p in temp.iterdir() if p.name.startswith("pipeline-policy-metrics-")]
        assert len(shared) == 1, shared
        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(pool.map(_get_healthz, [server.base] * REQUESTS))
        assert statuses == [200] * REQUESTS
        # Each read may be answered by either worker: each must count all the requests.
        assert [_healthz_count(server.base) for _ in range(6)] == [REQUESTS] * 6

        shipped = _catalogues(server.base)
        assert len(shipped) == 1
        assert shipped != ["v-next"]
        path = tmp_path / "next.json.gz"
        path.write_bytes(snapshot("v-next"))
        run_cli(url, "catalog", "import", str(path), "--activate", "--force")
        # Both workers follow within PROFILE_REFRESH_SECONDS (1 s); from then on every scrape,
        # whichever worker answers, names the new catalogue and only it.
        deadline = time.monotonic() + 15
        while (reads := [_catalogues(server.base) for _ in range(6)]) != [["v-next"]] * 6:
            assert time.monotonic() < deadline, reads
            time.sleep(0.2)
    assert not any(p.name.startswith("pipeline-policy-metrics-") for p in temp.iterdir())
