"""Prometheus metrics: requests by route and status, decisions by kind and verdict,
and the profile-set and catalogue revisions in use."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    Metric,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

from app.service.provenance import CatalogInfo

REGISTRY = CollectorRegistry(auto_describe=True)

REQUESTS = Counter(
    "pipeline_policy_http_requests_total",
    "HTTP requests by route template, method and status.",
    ["route", "method", "status"],
    registry=REGISTRY,
)
LATENCY = Histogram(
    "pipeline_policy_http_request_duration_seconds",
    "HTTP request duration by route template and method.",
    ["route", "method"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=REGISTRY,
)
DECISIONS = Counter(
    "pipeline_policy_decisions_total",
    "Decisions answered, by kind (compute, diff, validate, evaluate, pipelines) and verdict.",
    ["kind", "verdict"],
    registry=REGISTRY,
)


class _RevisionsCollector(Collector):
    # Built at each scrape from the answering process's own state, never stored: in the
    # multiprocess mode a stored gauge would live on in every worker's file, so a catalogue
    # replaced since would still be listed beside the new one.
    def __init__(self, profile_set: int, catalog: CatalogInfo) -> None:
        self.profile_set = profile_set
        self.catalog = catalog

    def collect(self) -> Iterator[Metric]:
        yield GaugeMetricFamily(
            "pipeline_policy_profile_set_revision",
            "Profile-set revision the process answers with.",
            value=self.profile_set,
        )
        info = self.catalog
        catalog = GaugeMetricFamily(
            "pipeline_policy_catalog_info",
            "IAM action catalogue in use (labels name it; the value is its action count).",
            labels=["source_version", "date", "sha256"],
        )
        catalog.add_metric([info.version, info.date, info.sha256[:12]], info.actions)
        yield catalog


# The labelled children of each (route, method, status) seen: `labels()` checks its arguments
# and takes a lock on every call. The registry keeps every child anyway, and these metrics are
# never cleared (a cleared metric would orphan the children kept here).
_REQUEST_CHILDREN: dict[tuple[str, str, int], tuple[Any, Any]] = {}


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    key = (route, method, status)
    children = _REQUEST_CHILDREN.get(key)
    if children is None:
        children = (REQUESTS.labels(route, method, str(status)), LATENCY.labels(route, method))
        _REQUEST_CHILDREN[key] = children
    children[0].inc()
    children[1].observe(seconds)


def record_decision(kind: str, verdict: str) -> None:
    DECISIONS.labels(kind, verdict).inc()


@contextmanager
def shared_by_workers(workers: int) -> Iterator[None]:
    """Around serving with several worker processes: every worker writes its samples to one
    folder (prometheus_client's multiprocess mode), so /metrics, whichever worker answers it,
    counts the requests of all of them. The folder is made empty for this run and removed after
    it, unless PROMETHEUS_MULTIPROC_DIR names one already (it must then be emptied between runs).
    The workers are new interpreters, which read the variable when they import the client."""
    if workers < 2 or os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        yield
        return
    folder = tempfile.mkdtemp(prefix="pipeline-policy-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder
    try:
        yield
    finally:
        os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
        shutil.rmtree(folder, ignore_errors=True)


def exposition(profile_set: int, catalog: CatalogInfo) -> tuple[bytes, str]:
    """Every worker's samples when PROMETHEUS_MULTIPROC_DIR is set, else this process's; and
    the profile-set revision and catalogue the answering process decides with."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        samples = CollectorRegistry()
        multiprocess.MultiProcessCollector(samples)  # type: ignore[no-untyped-call]
    else:
        samples = REGISTRY
    current = CollectorRegistry()
    current.register(_RevisionsCollector(profile_set, catalog))
    return generate_latest(samples) + generate_latest(current), CONTENT_TYPE_LATEST
