"""The reference pipeline's computed policy, checked against the done criteria of the product."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from app.engine.compute import ComputeResult, compute_policy
from app.engine.pipeline.api_json import parse_pipeline_json
from app.service.catalog_import import default_catalog

from .profile_fixtures import shipped_profiles

ACCOUNT = "111122223333"
BUCKET = "arn:aws:s3:::codepipeline-eu-west-2-111122223333"
KEY = "arn:aws:kms:eu-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
REPO = "arn:aws:codecommit:eu-west-2:111122223333:MyDemoRepo"


@pytest.fixture(scope="module")
def result(shared_dir: Path) -> ComputeResult:
    document = json.loads((shared_dir / "examples" / "reference-pipeline.json").read_text())
    pipeline, findings = parse_pipeline_json(document, "/pipelines/0")
    assert findings == []
    return compute_policy([pipeline], shipped_profiles())


def grants(result: ComputeResult) -> dict[str, list[tuple[tuple[str, ...], Any]]]:
    out: dict[str, list[tuple[tuple[str, ...], Any]]] = defaultdict(list)
    for stmt in result.statements:
        for action in stmt.actions:
            out[action.lower()].append((stmt.resources, stmt.condition))
    return out


def resources_of(result: ComputeResult, action: str) -> set[str]:
    return {r for resources, _ in grants(result)[action.lower()] for r in resources}


@pytest.mark.parametrize("action", ["codecommit:GetBranch", "codecommit:GetRepository"])
def test_codecommit_only_on_the_repository(result: ComputeResult, action: str) -> None:
    assert resources_of(result, action) == {REPO}


def test_codebuild_start_only_on_the_project_and_no_batch(result: ComputeResult) -> None:
    project = "arn:aws:codebuild:eu-west-2:111122223333:project/my-build"
    assert resources_of(result, "codebuild:StartBuild") == {project}
    assert resources_of(result, "codebuild:BatchGetBuilds") == {project}
    every = grants(result)
    assert "codebuild:startbuildbatch" not in every
    assert "codebuild:batchgetbuildbatches" not in every


@pytest.mark.parametrize(
    "action",
    ["cloudformation:CreateStack", "cloudformation:UpdateStack", "cloudformation:DescribeStacks"],
)
def test_cloudformation_only_on_the_stack(result: ComputeResult, action: str) -> None:
    assert resources_of(result, action) == {
        "arn:aws:cloudformation:eu-west-2:111122223333:stack/my-stack/*"
    }


def test_pass_role_to_cloudformation_only_on_the_stack_role(result: ComputeResult) -> None:
    by_service: dict[str, set[str]] = defaultdict(set)
    for resources, condition in grants(result)["iam:passrole"]:
        assert condition, "PassRole must carry iam:PassedToService"
        services = next(iter(condition.values()))["iam:PassedToService"]
        for service in [services] if isinstance(services, str) else services:
            by_service[service].update(resources)
    assert by_service["cloudformation.amazonaws.com"] == {
        "arn:aws:iam::111122223333:role/cfn-deploy-role"
    }
    assert set(by_service) <= {
        "cloudformation.amazonaws.com",
        "ecs-tasks.amazonaws.com",
        "ecs.amazonaws.com",
    }
    # Without a hint, the ECS roles are the account's roles, never `*`.
    assert by_service["ecs-tasks.amazonaws.com"] == {f"arn:aws:iam::{ACCOUNT}:role/*"}


def test_sns_only_on_the_approvals_topic(result: ComputeResult) -> None:
    assert resources_of(result, "sns:Publish") == {"arn:aws:sns:eu-west-2:111122223333:approvals"}


def test_s3_only_on_the_artifact_bucket(result: ComputeResult) -> None:
    s3 = {r for a, g in grants(result).items() if a.startswith("s3:") for res, _ in g for r in res}
    assert s3 == {BUCKET, BUCKET + "/*"}


def test_kms_only_on_the_artifact_key(result: ComputeResult) -> None:
    kms = {
        r for a, g in grants(result).items() if a.startswith("kms:") for res, _ in g for r in res
    }
    assert kms == {KEY}


def test_nothing_scopable_is_on_star(result: ComputeResult) -> None:
    """`*` only for actions the catalogue gives no resource type (`*` is their only Resource)."""
    catalog = default_catalog()
    on_star = {a for a, g in grants(result).items() for res, _ in g if "*" in res}
    assert on_star, "the reference pipeline uses actions without resource types"
    scopable = {a for a in on_star if (info := catalog.action(a)) is None or info.resource_types}
    assert not scopable


def test_every_statement_names_what_needs_it(result: ComputeResult) -> None:
    for stmt in result.statements:
        assert stmt.required_by
        assert stmt.sid.isalnum()


def test_output_is_byte_stable(shared_dir: Path) -> None:
    document = json.loads((shared_dir / "examples" / "reference-pipeline.json").read_text())
    runs = []
    for _ in range(3):
        pipeline, _ = parse_pipeline_json(document)
        runs.append(json.dumps(compute_policy([pipeline], shipped_profiles()).document))
    assert len(set(runs)) == 1
