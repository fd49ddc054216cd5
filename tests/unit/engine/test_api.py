"""The engine through its public face only: a pipeline parsed, its policy computed, validated,
diffed and evaluated, each answer checked against what the pipeline needs."""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pytest

from app.engine import api
from app.engine.api import ComputeContext, WorkBudget
from app.engine.iam.policy.view import read_policy
from app.service.catalog_import import default_catalog

from ...documents import pipeline
from .profile_fixtures import shipped_profiles

REPO = "arn:aws:codecommit:eu-west-2:111122223333:repo"


@dataclass(frozen=True)
class Request:
    action: str
    resource: str
    context: Mapping[str, Sequence[str] | str] = field(default_factory=dict)


@pytest.fixture(scope="module")
def computed() -> api.ComputeResult:
    parsed = api.parse(pipeline(name="Pipeline"))
    assert [p.name for p in parsed.pipelines] == ["Pipeline"]
    return api.compute(parsed.pipelines, shipped_profiles(), context=ComputeContext())


def test_every_operation_is_exported_and_described() -> None:
    for name in ("parse", "compute", "requirements", "diff", "validate", "evaluate"):
        function = getattr(api, name)
        assert name in api.__all__
        assert inspect.getdoc(function)
    assert all(hasattr(api, name) for name in api.__all__)


def test_the_computed_policy_is_valid_and_satisfies_its_own_requirements(
    computed: api.ComputeResult,
) -> None:
    catalog = default_catalog()
    validation = api.validate(computed.document, catalog)
    assert validation.valid, validation.findings
    needed = api.requirements(computed, catalog)
    assert any(r.action == "codecommit:GetBranch" and r.resource == REPO for r in needed)
    current = read_policy(computed.document, pointer="/current")
    statements = [dict(s) for s in computed.document["Statement"]]
    found = api.diff(current, needed, statements, catalog, mode="segment", budget=WorkBudget())
    assert found.result.verdict == "sufficient"
    assert found.patched_verdict == "sufficient"
    assert not found.missing


def test_an_empty_policy_misses_what_the_pipeline_needs(computed: api.ComputeResult) -> None:
    catalog = default_catalog()
    needed = api.requirements(computed, catalog)
    empty = read_policy({"Version": "2012-10-17", "Statement": []}, pointer="/current")
    statements = [dict(s) for s in computed.document["Statement"]]
    found = api.diff(empty, needed, statements, catalog, mode="segment", budget=WorkBudget())
    assert found.result.verdict == "insufficient"
    assert any("codecommit:GetBranch" in gap.actions for gap in found.missing)
    assert found.patched_verdict == "sufficient"


def test_evaluate_decides_each_request_in_order(computed: api.ComputeResult) -> None:
    policy = read_policy(computed.document, pointer="/policy")
    requests = [
        Request("codecommit:GetBranch", REPO),
        Request("codecommit:DeleteRepository", REPO),
    ]
    budget = WorkBudget()
    decisions = [
        d.decision for d, _ in api.evaluate(policy, requests, mode="segment", budget=budget)
    ]
    assert decisions == ["allowed", "implicitly_denied"]
    assert budget.location == "/requests/1"
