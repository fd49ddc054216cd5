"""In-process timings of "will it run": the diff of a cross-account, cross-Region pipeline with
and without `current.authorization` (every permission of the service role and of each action
role decided with every layer), as the number of other accounts grows. Every timed call is a new
pipeline (its name and the names of what it deploys change), computed from its definition; the
current documents each call is given were computed beforehand, untimed.

Run:  .venv/bin/python bench/will_run.py [--quick]

Nothing here asserts on time.
"""

from __future__ import annotations

import argparse
import gc
import time
from collections.abc import Callable
from typing import Any

from _common import (
    banner,
    fmt_ms,
    median,
    percentile,
    pipeline_action,
    print_table,
    shipped_profile_set,
)

from app.engine.budget import WorkBudget
from app.engine.companions.documents import DocumentKind
from app.engine.compute import ComputeContext
from app.engine.hint_checks import GivenHints
from app.service import diff as diff_service
from app.service.catalog_import import default_catalog
from app.service.compute import PipelineSource, computed_policy
from app.service.profile_cache import LoadedProfileSet
from app.service.provenance import catalog_info
from app.service.will_run import GivenActionRole, RunContext, run_check

A = "111111111111"
HOME, AWAY = "us-east-1", "eu-west-1"
ROLES_AT = "/current/authorization/action_roles"
COMPARED = (DocumentKind.TRUST_POLICY, DocumentKind.BUCKET_POLICY, DocumentKind.KEY_POLICY)


def pipeline(name: str, accounts: int) -> dict[str, Any]:
    """A pipeline in A with a CodeDeploy and a CloudFormation action in each of `accounts`
    other accounts (alternating Regions), a KMS-encrypted store per Region."""
    deploys = []
    for i in range(accounts):
        account = f"{222222222222 + i:012d}"
        region = HOME if i % 2 == 0 else AWAY
        role = f"arn:aws:iam::{account}:role/{name}-deploy"
        deploys.append(
            pipeline_action(
                f"Deploy{i}",
                "Deploy",
                "CodeDeploy",
                {"ApplicationName": f"{name}-app{i}", "DeploymentGroupName": "prod"},
                inputs=["src"],
                roleArn=role,
                region=region,
            )
        )
        deploys.append(
            pipeline_action(
                f"Stack{i}",
                "Deploy",
                "CloudFormation",
                {
                    "ActionMode": "CREATE_UPDATE",
                    "StackName": f"{name}-stack{i}",
                    "TemplatePath": "src::template.yaml",
                    "RoleArn": f"arn:aws:iam::{account}:role/{name}-stack",
                },
                inputs=["src"],
                roleArn=role,
                region=region,
            )
        )
    stores = {
        region: {
            "type": "S3",
            "location": f"{name}-artifacts-{region}",
            "encryptionKey": {"id": f"arn:aws:kms:{region}:{A}:key/{name}-{region}", "type": "KMS"},
        }
        for region in (HOME, AWAY)
    }
    return {
        "pipeline": {
            "name": name,
            "roleArn": f"arn:aws:iam::{A}:role/{name}-service",
            "artifactStores": stores,
            "stages": [
                {
                    "name": "Source",
                    "actions": [
                        pipeline_action(
                            "Source",
                            "Source",
                            "CodeCommit",
                            {"RepositoryName": name, "BranchName": "main"},
                            outputs=["src"],
                        )
                    ],
                },
                {"name": "Deploy", "actions": deploys},
            ],
        }
    }


class Case:
    """One pipeline, and every document compute gives for it, as a request would carry them."""

    def __init__(self, name: str, accounts: int, loaded: LoadedProfileSet, catalog: Any) -> None:
        body = pipeline(name, accounts)
        self.sources = [PipelineSource(body=body, pointer="/required/pipelines/0")]
        computed = computed_policy(
            self.sources, loaded, context=ComputeContext(), hints=GivenHints(), catalog=catalog
        )
        self.documents = [computed.result.document]
        self.companions = [
            diff_service.CurrentCompanion(d.kind, d.target, d.document, f"/current/companions/{i}")
            for i, d in enumerate(computed.companions.documents)
            if d.kind in COMPARED
        ]
        self.context = RunContext(
            pointer="/current/authorization",
            resource_policies={
                d.target: d.document
                for d in computed.companions.documents
                if d.kind not in COMPARED
            },
            action_roles=[
                GivenActionRole(r.role_arn, [r.document], f"{ROLES_AT}/{i}")
                for i, r in enumerate(computed.result.action_roles)
            ],
        )


def run(case: Case, loaded: LoadedProfileSet, catalog: Any, info: Any, *, will_run: bool) -> Any:
    budget = WorkBudget()
    required = diff_service.required_from_pipelines(
        case.sources, loaded, catalog, context=ComputeContext(), hints=GivenHints(), budget=budget
    )
    outcome = diff_service.diff(
        case.documents,
        required,
        catalog,
        info,
        loaded,
        mode="segment",
        current_companions=case.companions,
        budget=budget,
    )
    if will_run:
        answer = run_check(
            required, case.documents, "/current/documents", case.context, case.companions, budget
        )
        assert answer.verdict == "runs", [c for c in answer.checks if not c.allowed][:3]
        return answer
    return outcome


def timed(fn: Callable[[Case], object], cases: list[Case]) -> list[float]:
    out = []
    for case in cases:
        start = time.perf_counter()
        fn(case)
        out.append((time.perf_counter() - start) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    runs = 5 if args.quick else 20
    catalog = default_catalog()
    info = catalog_info(catalog)
    loaded = LoadedProfileSet(profile_set=shipped_profile_set(), revisions=())
    gc.collect()
    gc.freeze()
    banner("Will it run: diff of a cross-account pipeline, without and with every layer")
    rows = []
    for accounts in (1, 4, 16):
        cases = [Case(f"p{accounts}x{i}", accounts, loaded, catalog) for i in range(2 * runs + 2)]
        checks = len(run(cases[0], loaded, catalog, info, will_run=True).checks)
        plain = timed(lambda c: run(c, loaded, catalog, info, will_run=False), cases[1 : runs + 1])
        layered = timed(lambda c: run(c, loaded, catalog, info, will_run=True), cases[runs + 1 :])
        rows.append(
            [
                accounts,
                checks,
                fmt_ms(median(plain)),
                fmt_ms(median(layered)),
                fmt_ms(percentile(layered, 0.95)),
                f"{median(layered) / median(plain):.2f}",
            ]
        )
    print_table(
        [
            "other accounts",
            "checks",
            "diff median",
            "diff + will run median",
            "p95",
            "ratio",
        ],
        rows,
    )


if __name__ == "__main__":
    main()
