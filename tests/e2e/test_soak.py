"""Load and soak, short form: one real server on SQLite, SOAK_SECONDS (15) at saturation from
16 keep-alive connections on loopback (bench/soak.py's asyncio + httpx generator), mixed compute,
diff and evaluate, after a WARMUP_SECONDS (5) warm-up. Zero errors; the server's RSS after the
run within RSS_GROWTH_MIB (30 MiB) of its RSS after the warm-up.

Long form, on demand, with figures:  SOAK_SECONDS=60 .venv/bin/pytest -s tests/e2e/test_soak.py
(or `.venv/bin/python bench/soak.py --seconds 60`).
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from ..servers import ROOT, prepare_database, running_server

pytestmark = pytest.mark.slow  # real server processes: left out of `make test-fast`

SOAK_SECONDS = float(os.environ.get("SOAK_SECONDS", "15"))
WARMUP_SECONDS = float(os.environ.get("SOAK_WARMUP_SECONDS", "5"))
CONNECTIONS = 16
RSS_GROWTH_MIB = 30


def _bench_soak() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_soak", ROOT / "bench" / "soak.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_saturation_makes_no_error_and_memory_stops_growing(
    tmp_path: Path, record_property: Any
) -> None:
    soak = _bench_soak()
    url = f"sqlite:///{tmp_path / 'soak.db'}"
    prepare_database(url)
    with running_server(url, tmp_path / "server.log") as server:
        warm = asyncio.run(soak.run_load(server.base, WARMUP_SECONDS, CONNECTIONS))
        assert warm.errors == 0, warm.error_samples
        before = server.rss_kib()
        result = asyncio.run(
            soak.run_load(server.base, SOAK_SECONDS, CONNECTIONS, pid=server.pid, rss_every=5)
        )
        after = server.rss_kib()
    growth_mib = (after - before) / 1024
    print(f"warm-up: {warm.summary()}")  # noqa: T201
    print(f"soak: {result.summary()}")  # noqa: T201
    print(  # noqa: T201
        f"RSS {before / 1024:.1f} MiB after warm-up, {after / 1024:.1f} MiB after "
        f"({growth_mib:+.1f}); samples: "
        + ", ".join(f"{t:.0f}s {kib / 1024:.1f}" for t, kib in result.rss_samples_kib)
    )
    record_property("soak_requests", result.requests)
    record_property("soak_errors", result.errors)
    record_property("soak_rss_growth_mib", round(growth_mib, 1))
    assert result.requests > 0
    assert set(result.by_kind) == {"compute", "diff", "evaluate"}
    assert result.errors == 0, result.error_samples
    assert growth_mib < RSS_GROWTH_MIB, f"RSS grew {growth_mib:.1f} MiB during the run"
