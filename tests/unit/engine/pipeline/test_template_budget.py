"""Template evaluation within a work budget: references that fan out, functions that multiply a
string and comprehensions nested in comprehensions are refused at the place that multiplies,
whatever memoisation saves, and small templates stay far inside the budget."""

from __future__ import annotations

import time

import pytest

from app.engine.budget import (
    WorkBudget,
    WorkCancelledError,
    WorkLimitExceededError,
    WorkLimits,
)
from app.engine.pipeline.cloudformation import parse_cloudformation
from app.engine.pipeline.terraform import parse_terraform

from ....amplifiers import fan_out_template, nested_for, nested_replace
from .terraform_sources import allow, configuration, resource


@pytest.mark.parametrize("levels", [10, 13, 20])
def test_references_that_fan_out_are_refused_where_they_multiply(levels: int) -> None:
    budget = WorkBudget()
    started = time.process_time()
    with pytest.raises(WorkLimitExceededError) as raised:
        parse_cloudformation(fan_out_template(levels), pointer="/sources/0/body", budget=budget)
    assert time.process_time() - started < 5
    assert raised.value.limit == "characters"
    assert raised.value.pointer.startswith("/sources/0/body/Resources/B")
    assert budget.characters <= 4 * budget.limits.characters  # refused before it grew far


def test_a_small_fan_out_is_read_and_charged_for_every_use_of_a_memoised_value() -> None:
    budget = WorkBudget()
    parsed = parse_cloudformation(fan_out_template(4), budget=budget)
    location = parsed.pipelines[0].artifact_stores[0].location
    assert location == "abcdefgh" * 4**4
    # Each level's value was produced 4 times from the memo: far more than the memo's one copy.
    assert budget.characters > 4 * len(location)


@pytest.mark.parametrize("depth", [8, 12])
def test_nested_functions_are_refused_before_they_build_the_string(depth: int) -> None:
    budget = WorkBudget()
    started = time.process_time()
    with pytest.raises(WorkLimitExceededError) as raised:
        parse_terraform(nested_replace(depth), budget=budget)
    assert time.process_time() - started < 5
    assert raised.value.limit == "characters"
    assert raised.value.pointer == "/resource/aws_codepipeline/p/artifact_store/0/location"


@pytest.mark.parametrize("depth", [2, 3, 4])
def test_nested_comprehensions_are_refused(depth: int) -> None:
    # A tenth of the default budget: the same refusal, sooner.
    budget = WorkBudget(WorkLimits(steps=100_000, items=100_000))
    with pytest.raises(WorkLimitExceededError) as raised:
        parse_terraform(nested_for(depth), budget=budget)
    assert raised.value.limit in ("steps", "items")
    assert raised.value.pointer == "/resource/aws_codepipeline/p/artifact_store/0/location"


def test_one_comprehension_is_read() -> None:
    parsed = parse_terraform(nested_for(1), budget=WorkBudget())
    assert parsed.pipelines[0].artifact_stores[0].location == "b"


def test_a_cancelled_budget_stops_template_evaluation() -> None:
    budget = WorkBudget()
    budget.cancel()
    with pytest.raises(WorkCancelledError):
        parse_terraform(nested_for(1), budget=budget)


def _pipelines_sharing_a_role(pipelines: int, policies: int) -> str:
    """A Terraform file of `pipelines` pipelines whose service role has `policies`
    `aws_iam_role_policy` resources: each pipeline's reader scans them all."""
    text = configuration(
        *(
            resource(
                "aws_iam_role_policy",
                f"p{i}",
                "role = aws_iam_role.pipeline.id",
                f"policy = {allow(f'sns:Publish{i}')}",
            )
            for i in range(policies)
        )
    )
    pipeline = text[text.index('resource "aws_codepipeline"') :]
    return text + "".join(pipeline.replace('"main"', f'"main{i}"', 1) for i in range(1, pipelines))


def test_reading_the_policies_a_terraform_file_defines_is_charged() -> None:
    pipelines, policies = 20, 30
    without = WorkBudget()
    parse_terraform(_pipelines_sharing_a_role(pipelines, 0), budget=without)
    budget = WorkBudget()
    parsed = parse_terraform(_pipelines_sharing_a_role(pipelines, policies), budget=budget)
    assert [len(rp.documents) for rp in parsed.role_policies] == [policies] * pipelines
    # Every pipeline's reader looks at every policy resource.
    assert budget.items - without.items >= pipelines * policies

    small = WorkBudget(WorkLimits(items=(without.items + budget.items) // 2))
    with pytest.raises(WorkLimitExceededError) as raised:
        parse_terraform(_pipelines_sharing_a_role(pipelines, policies), budget=small)
    assert raised.value.limit == "items"
    assert raised.value.pointer.startswith("/resource/aws_iam_role_policy/")
