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
