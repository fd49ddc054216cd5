"""The work budget: limits per kind of work, located refusals, the deadline and the cancel
flag, and cached answers charged what they cost."""

from __future__ import annotations

import threading
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.engine.budget import (
    RequestMemo,
    WorkBudget,
    WorkCancelledError,
    WorkCost,
    WorkLimitExceededError,
    WorkLimits,
)

LIMITS = WorkLimits(steps=100, characters=1_000, items=50, automaton=10_000)


@pytest.mark.parametrize(
    ("kind", "allowed"),
    [("steps", 100), ("characters", 1_000), ("items", 50), ("automaton", 10_000)],
)
def test_each_kind_of_work_has_its_own_limit(kind: str, allowed: int) -> None:
    budget = WorkBudget(LIMITS)
    budget.charge(**{kind: allowed}, at="/fits")  # up to the limit is allowed
    with pytest.raises(WorkLimitExceededError) as raised:
        budget.charge(**{kind: 1}, at="/Resources/B9/Properties/BucketName")
    assert raised.value.limit == kind
    assert raised.value.allowed == allowed
    assert raised.value.pointer == "/Resources/B9/Properties/BucketName"


@given(st.lists(st.integers(min_value=0, max_value=40), max_size=30))
def test_a_limit_is_passed_exactly_when_the_total_passes_it(charges: list[int]) -> None:
    budget = WorkBudget(LIMITS)
    total = 0
    for amount in charges:
        total += amount
        if total > LIMITS.steps:
            with pytest.raises(WorkLimitExceededError):
                budget.charge(steps=amount)
            return
        budget.charge(steps=amount)
    assert budget.spent == WorkCost(steps=total)


def test_a_charge_without_a_place_is_located_where_the_work_comes_from() -> None:
    budget = WorkBudget(LIMITS)
    with (
        budget.located("/policy/documents/0/Statement/3"),
        pytest.raises(WorkLimitExceededError) as raised,
    ):
        budget.charge(automaton=20_000)
    assert raised.value.pointer == "/policy/documents/0/Statement/3"
    assert budget.location == ""


def test_cancel_stops_the_next_charge_from_another_thread() -> None:
    budget = WorkBudget(LIMITS)
    budget.charge(steps=1)
    worker = threading.Thread(target=budget.cancel)
    worker.start()
    worker.join()
    assert budget.cancelled
    with pytest.raises(WorkCancelledError):
        budget.charge(steps=1)


def test_a_passed_deadline_stops_the_work_within_a_few_charges() -> None:
    budget = WorkBudget(WorkLimits(steps=10**9), deadline=time.monotonic() - 1)

    def charge_a_thousand_times() -> None:
        for _ in range(1_000):
            budget.charge(steps=1)

    with pytest.raises(WorkCancelledError):
        charge_a_thousand_times()
    assert budget.steps < 100  # the clock is read every few dozen charges, not once per charge


def test_a_budget_without_a_deadline_never_expires() -> None:
    budget = WorkBudget(WorkLimits(steps=10**9))
    for _ in range(1_000):
        budget.charge(steps=1)
    budget.check()


def test_a_kept_answer_costs_what_it_cost_when_it_was_worked_out() -> None:
    memo: RequestMemo[str, int] = RequestMemo(8)
    calls = 0

    def work(budget: WorkBudget) -> int:
        nonlocal calls
        calls += 1
        budget.charge(steps=30, automaton=500)
        return 42

    budget = WorkBudget(LIMITS)
    assert memo.get("key", lambda: work(budget), budget) == 42
    assert memo.get("key", lambda: work(budget), budget) == 42
    assert calls == 1
    assert budget.spent == WorkCost(steps=60, automaton=1_000)


def test_no_answer_outlives_its_request() -> None:
    memo: RequestMemo[str, int] = RequestMemo(8)
    calls = 0

    def work(budget: WorkBudget) -> int:
        nonlocal calls
        calls += 1
        budget.charge(steps=30)
        return calls

    first, second = WorkBudget(LIMITS), WorkBudget(LIMITS)
    assert memo.get("key", lambda: work(first), first) == 1
    assert memo.get("key", lambda: work(second), second) == 2  # worked out again
    assert first.spent == second.spent == WorkCost(steps=30)


def test_a_kept_answer_over_the_budget_is_refused_as_the_work_would_be() -> None:
    memo: RequestMemo[str, int] = RequestMemo(8)
    budget = WorkBudget(WorkLimits(steps=300))
    memo.get("key", lambda: budget.charge(steps=200) or 1, budget)
    with pytest.raises(WorkLimitExceededError):
        memo.get("key", lambda: 1, budget)


def test_work_that_runs_out_of_budget_is_not_kept() -> None:
    memo: RequestMemo[str, int] = RequestMemo(8)
    budget = WorkBudget(LIMITS)
    with pytest.raises(WorkLimitExceededError):
        memo.get("key", lambda: budget.charge(steps=500) or 1, budget)
    assert budget.memo(memo) == {}


def test_the_memo_keeps_at_most_its_size() -> None:
    cache: RequestMemo[int, int] = RequestMemo(2)
    budget = WorkBudget(LIMITS)
    computed: list[int] = []
    for key in (1, 2, 3, 1):
        cache.get(key, lambda key=key: computed.append(key) or key, budget)
    assert computed == [1, 2, 3, 1]  # 1 was evicted when 3 came in
