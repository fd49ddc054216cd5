"""In-process timings of the engine: compute scaling, diff, evaluate (one and a 10,000 batch) and
validate, on the shipped profiles and catalogue. No server, no database.

Run:  .venv/bin/python bench/in_process.py [--quick] [--profile CASE]

Each row is timed with time.perf_counter after two untimed warm-up calls (so the catalogue's
memoised expansions are warm); "first" is the very first call in this process. Median and p95 are
over the repeated runs (fewer runs for the slow cases, bounded by a time budget per row).
The catalogue and profile set are loaded and then frozen out of the garbage collector's
generations first, as the service does at start-up.
`--profile CASE` (compute-1000, pipelines-500, diff, evaluate-10000, validate) prints the cProfile
top functions of that case instead of the table. Nothing here asserts on time.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import pstats
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from _common import (
    ACCOUNT,
    LEGACY,
    REGION,
    banner,
    fmt_ms,
    legacy_policy,
    median,
    percentile,
    print_table,
    reference_pipeline,
    reference_variant,
    shipped_profile_set,
    synthetic_pipeline,
)

from app.engine.compute import ComputeContext, compute_policy
from app.engine.hint_checks import GivenHints
from app.engine.iam.analysis.diff import diff_policy
from app.engine.iam.analysis.evaluate import evaluate_request
from app.engine.iam.policy.view import read_policies
from app.engine.pipeline.api_json import parse_pipeline_json
from app.engine.requirements import requirements_from_computed
from app.service import diff as diff_service
from app.service import evaluate as evaluate_service
from app.service.catalog_import import default_catalog
from app.service.compute import PipelineSource
from app.service.profile_cache import LoadedProfileSet
from app.service.provenance import catalog_info


@dataclass
class Row:
    name: str
    first: float
    runs: list[float]
    note: str = ""
    target: str = ""

    @property
    def median(self) -> float:
        return median(self.runs)

    @property
    def p95(self) -> float:
        return percentile(self.runs, 0.95)


def measure(
    name: str,
    fn: Callable[[], object],
    *,
    runs: int,
    budget_s: float,
    note: str = "",
    target: str = "",
) -> Row:
    start = time.perf_counter()
    fn()
    first = (time.perf_counter() - start) * 1000
    fn()  # second warm-up
    timings: list[float] = []
    deadline = time.perf_counter() + budget_s
    while len(timings) < runs and (len(timings) < 5 or time.perf_counter() < deadline):
        start = time.perf_counter()
        fn()
        timings.append((time.perf_counter() - start) * 1000)
    return Row(name, first, timings, note, target)


def compute_case(documents: list[dict[str, Any]]) -> Callable[[], object]:
    profiles = shipped_profile_set()

    def run() -> object:
        pipelines = [parse_pipeline_json(d)[0] for d in documents]
        return compute_policy(pipelines, profiles)

    return run


def evaluation_matrix(size: int) -> list[evaluate_service.PointRequest]:
    """A permission matrix of `size` requests: 100 actions (those the reference pipeline needs,
    then actions of the services the legacy policy names, then some it does not grant) across
    distinct resource ARNs; PassRole requests carry iam:PassedToService."""
    catalog = default_catalog()
    profiles = shipped_profile_set()
    result = compute_policy([parse_pipeline_json(reference_pipeline())[0]], profiles)
    needed = list(
        dict.fromkeys(r.action for r in requirements_from_computed(result.statements, catalog))
    )
    extra: list[str] = []
    for service in ("ec2", "s3", "sns", "lambda", "ecs", "iam", "kms", "dynamodb", "sts"):
        extra.extend(catalog.expand(f"{service}:*")[:12])
    actions = list(dict.fromkeys([*needed, *extra]))[:100]
    resources = [
        f"arn:aws:s3:::codepipeline-{REGION}-{ACCOUNT}/obj-{i}" if i % 4 == 0 else
        f"arn:aws:codebuild:{REGION}:{ACCOUNT}:project/build-{i}" if i % 4 == 1 else
        f"arn:aws:iam::{ACCOUNT}:role/role-{i}" if i % 4 == 2 else
        f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/cluster-{i}/web-{i}"
        for i in range(max(1, size // len(actions) + 1))
    ]  # fmt: skip
    out = []
    for i in range(size):
        action = actions[i % len(actions)]
        resource = resources[i // len(actions)]
        context = (
            {"iam:PassedToService": "ecs-tasks.amazonaws.com"}
            if action.lower() == "iam:passrole"
            else {}
        )
        out.append(evaluate_service.PointRequest(action, resource, context))
    return out


def build_cases(quick: bool) -> dict[str, tuple[Callable[[], object], int, float, str, str]]:
    """name -> (fn, runs, budget seconds, note, target)."""
    catalog = default_catalog()
    info = catalog_info(catalog)
    profiles = shipped_profile_set()
    loaded = LoadedProfileSet(profile_set=profiles, revisions=())
    reference = reference_pipeline()
    legacy = legacy_policy()
    scale = 0.2 if quick else 1.0

    def runs(n: int) -> int:
        return max(5, int(n * scale))

    cases: dict[str, tuple[Callable[[], object], int, float, str, str]] = {}
    for n, r in ((10, 200), (100, 50), (1000, 15)):
        doc = synthetic_pipeline(n)
        cases[f"compute-{n}"] = (
            compute_case([doc]),
            runs(r),
            20 * scale,
            f"{n} actions, 1 pipeline (parse+compute)",
            "",
        )
    for n, r in ((1, 200), (10, 50), (500, 11)):
        docs = [reference_variant(i) for i in range(n)]
        cases[f"pipelines-{n}"] = (
            compute_case(docs),
            runs(r),
            30 * scale,
            f"{n} x reference (5 actions), 1 role",
            "<= 1 s" if n == 500 else "",
        )

    computed = compute_policy([parse_pipeline_json(reference)[0]], profiles)
    requirements = requirements_from_computed(computed.statements, catalog)
    view = read_policies([legacy], pointer="")

    def engine_diff() -> object:
        current = read_policies([legacy], pointer="")
        return diff_policy(current.statements, requirements, catalog)

    sources = [PipelineSource(body=reference, pointer="/required/pipelines/0")]

    def service_diff() -> object:
        required = diff_service.required_from_pipelines(
            sources, loaded, catalog, context=ComputeContext(), hints=GivenHints()
        )
        return diff_service.diff([legacy], required, catalog, info, loaded, mode="segment")

    cases["diff-engine"] = (
        engine_diff, runs(200), 20 * scale,
        f"legacy 2019 vs reference: {len(requirements)} requirements", "",
    )  # fmt: skip
    cases["diff"] = (
        service_diff, runs(200), 20 * scale,
        "as POST /diff: compute + diff + patched policy re-diffed", "",
    )  # fmt: skip

    asked = [(r.action, r.resource) for r in requirements]

    def evaluate_needed() -> object:
        return [evaluate_request(view.statements, a, res, {}) for a, res in asked]

    cases["evaluate-needed"] = (
        evaluate_needed, runs(200), 10 * scale,
        f"legacy 2019: the reference's {len(asked)} (action, resource) pairs", "",
    )  # fmt: skip
    matrix = evaluation_matrix(10_000)

    def evaluate_batch() -> object:
        return evaluate_service.evaluate(
            [legacy], matrix, catalog, info, loaded, mode="segment", pointer="/policy/documents"
        )

    cases["evaluate-10000"] = (
        evaluate_batch, runs(15), 30 * scale,
        "legacy 2019: 10,000 requests (100 actions x 100 ARNs), as POST /evaluate in process",
        "well under 1 s",
    )  # fmt: skip

    validate = validate_function()
    legacy_text = LEGACY.read_text()
    if validate is not None:
        cases["validate"] = (
            lambda: validate(legacy_text, catalog), runs(200), 20 * scale,
            "legacy 2019 policy (JSON text)", "",
        )  # fmt: skip
    return cases


def validate_function() -> Callable[[Any, Any], object] | None:
    try:
        from app.engine.iam.validation.validate import validate_policy  # noqa: PLC0415 - may not exist yet
    except ImportError:
        return None
    fn: Callable[[Any, Any], object] = validate_policy
    return fn


def profile(fn: Callable[[], object], top: int = 25) -> None:
    fn()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(3):
        fn()
    profiler.disable()
    for key in ("tottime", "cumulative"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(key).print_stats(top)
        print(f"--- top {top} by {key} (3 runs) ---")
        print("\n".join(line for line in out.getvalue().splitlines() if line.strip())[:6000])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs (a smoke run)")
    parser.add_argument("--profile", metavar="CASE", help="cProfile one case instead")
    args = parser.parse_args()

    start = time.perf_counter()
    catalog = default_catalog()
    catalog_ms = (time.perf_counter() - start) * 1000
    cases = build_cases(args.quick)
    # As the service does once start-up has loaded the catalogue and the profiles (app/main.py):
    # what is loaded stays out of the collector's generations.
    gc.collect()
    gc.freeze()
    if args.profile:
        fn = cases[args.profile][0]
        profile(fn)
        return

    rows = [
        measure(name, fn, runs=n, budget_s=budget, note=note, target=target)
        for name, (fn, n, budget, note, target) in cases.items()
    ]
    by_name = {r.name: r for r in rows}
    banner("In-process engine timings (ms)")
    print(
        f"catalogue decode (first call of default_catalog): {catalog_ms:.0f} ms, "
        f"{len(catalog):,} actions\n"
    )
    print_table(
        ["case", "what", "first", "median", "p95", "runs", "target"],
        [
            [r.name, r.note, fmt_ms(r.first), fmt_ms(r.median), fmt_ms(r.p95), len(r.runs),
             r.target]
            for r in rows
        ],
    )  # fmt: skip
    if "validate" not in by_name:
        print("\nvalidate: not available (iam.validation.validate.validate_policy not importable)")

    print()
    ratio = by_name["compute-1000"].median / by_name["compute-10"].median
    per_action = [by_name[f"compute-{n}"].median / n * 1000 for n in (10, 100, 1000)]
    summary = [
        ["compute 1,000 / 10 actions", f"{ratio:.1f}x", "<= 25x"],
        ["compute per action at 10 / 100 / 1,000 (us)",
         " / ".join(f"{v:.0f}" for v in per_action), "flat (linear)"],
        ["500 pipelines on one role", f"{by_name['pipelines-500'].median:,.0f} ms", "<= 1,000 ms"],
        ["500 / 1 pipelines",
         f"{by_name['pipelines-500'].median / by_name['pipelines-1'].median:.0f}x", "~500x"],
        ["evaluate 10,000 requests", f"{by_name['evaluate-10000'].median:,.0f} ms",
         "well under 1,000 ms"],
        ["evaluate per request", f"{by_name['evaluate-10000'].median / 10:.1f} us", ""],
    ]  # fmt: skip
    print_table(["ratio", "measured", "target"], summary)


if __name__ == "__main__":
    main()
