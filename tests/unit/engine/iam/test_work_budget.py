"""Policy work within a request's budget: containment searches, diff requirements, the
redundancy checks, evaluation; a refusal names the statement whose patterns multiplied the work,
and a cancelled budget stops a search in the middle."""

from __future__ import annotations

import time

import pytest

from app.engine.budget import (
    WorkBudget,
    WorkCancelledError,
    WorkLimitExceededError,
    WorkLimits,
)
from app.engine.iam.analysis.diff import diff_policy
from app.engine.iam.analysis.evaluate import Evaluator
from app.engine.iam.catalog import Catalog
from app.engine.iam.conditions.operators import Tri, evaluate_condition, parse_operator
from app.engine.iam.conditions.values import glob_pieces_match, parse_template
from app.engine.iam.patterns.glob import glob_union_containment
from app.engine.iam.policy.view import read_policies, read_policy
from app.engine.iam.validation.validate import validate_policy
from app.service.catalog_import import default_catalog
from app.service.diff import required_from_policy

from ....amplifiers import (
    glob_diff_request,
    glob_resources,
    policy,
    redundancy_policy,
    wildcard_condition_evaluation,
)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return default_catalog()


def test_a_containment_search_charges_what_it_visits() -> None:
    a, *bs = glob_resources(9, seed=5)
    budget = WorkBudget()
    verdict = glob_union_containment(a, bs, budget=budget)
    assert verdict.states > 0
    assert budget.automaton >= verdict.states  # every state steps every automaton


def test_a_cached_containment_costs_the_same_as_the_first() -> None:
    a, *bs = glob_resources(9, seed=6)
    cold, warm = WorkBudget(), WorkBudget()
    glob_union_containment(a, bs, budget=cold)
    glob_union_containment(a, bs, budget=warm)
    assert warm.spent == cold.spent


def test_a_cancelled_budget_stops_a_search_in_the_middle() -> None:
    a, *bs = glob_resources(40, seed=7)
    budget = WorkBudget()
    budget.cancel()
    with pytest.raises(WorkCancelledError):
        glob_union_containment(a, bs, budget=budget)


@pytest.mark.parametrize(("statements", "resources"), [(2, 40), (8, 320)])
def test_a_diff_of_wildcard_heavy_statements_is_refused_at_a_statement(
    catalog: Catalog, statements: int, resources: int
) -> None:
    request = glob_diff_request(statements, resources)
    budget = WorkBudget(WorkLimits(automaton=2_000_000))  # a tenth: the same refusal, sooner
    required = required_from_policy(
        read_policy(request["required"]["policy"], pointer="/required/policy"), catalog, budget
    )
    current = read_policies(request["current"]["documents"], pointer="/current/documents")
    # CPU seconds of this process bound the work whatever else the machine runs.
    started = time.process_time()
    with pytest.raises(WorkLimitExceededError) as raised:
        diff_policy(current.statements, required.requirements, catalog, budget=budget)
    assert time.process_time() - started < 10
    assert raised.value.limit == "automaton"
    assert raised.value.pointer.startswith("/current/documents/0/Statement/")


def test_a_required_policy_that_expands_past_the_budget_is_refused_before_it_expands(
    catalog: Catalog,
) -> None:
    required = policy(
        {"Effect": "Allow", "Action": "*", "Resource": [f"arn:aws:s3:::b{i}" for i in range(50)]}
    )
    budget = WorkBudget()
    with pytest.raises(WorkLimitExceededError) as raised:
        required_from_policy(read_policy(required, pointer="/required/policy"), catalog, budget)
    assert raised.value.pointer == "/required/policy/Statement/0"
    assert raised.value.limit == "steps"


@pytest.mark.parametrize("statements", [20, 40, 100])
def test_redundancy_of_wildcard_heavy_actions_stops_at_its_budget_with_a_finding(
    catalog: Catalog, statements: int
) -> None:
    started = time.process_time()
    result = validate_policy(redundancy_policy(statements), catalog, budget=WorkBudget())
    assert time.process_time() - started < 5
    codes = [f.code for f in result.findings]
    if statements >= 40:
        assert "REDUNDANCY_CHECK_LIMITED" in codes


def test_redundancy_stops_with_a_finding_when_the_requests_budget_runs_out(
    catalog: Catalog,
) -> None:
    budget = WorkBudget(WorkLimits(steps=50))
    result = validate_policy(redundancy_policy(20), catalog, budget=budget)
    assert "REDUNDANCY_CHECK_LIMITED" in {f.code for f in result.findings}


def test_a_wildcard_condition_match_charges_each_character_it_compares() -> None:
    pattern = parse_template("*a*b*7*")
    text = "a" * 1000 + "b"
    budget = WorkBudget()
    assert not glob_pieces_match(pattern, text, budget)
    # the scan reaches the end of the text, then retries the last star at each later place
    assert len(text) <= budget.automaton <= len(pattern) * (len(text) + 1)
    matched = WorkBudget()
    assert glob_pieces_match(parse_template("*a*b"), text, matched)
    assert matched.automaton >= len(text)


def test_condition_values_compared_are_charged_and_refused_at_the_statement() -> None:
    op = parse_operator("StringLike")
    assert op is not None
    values = [f"*a*b*{i}*" for i in range(200)]
    budget = WorkBudget()
    result = evaluate_condition(op, "aws:PrincipalTag/k", values, ["a" * 500 + "b"], budget=budget)
    assert result is Tri.FALSE
    assert budget.steps == len(values)
    assert budget.automaton >= len(values) * 501

    body = wildcard_condition_evaluation(1, keys=3, patterns=200)
    view = read_policy(body["policy"]["documents"][0], pointer="/policy/documents/0")
    stmt = view.statements[0]
    request = body["requests"][0]
    small = WorkBudget(WorkLimits(automaton=100_000))
    small.location = "/requests/0"
    with pytest.raises(WorkLimitExceededError) as refused:
        Evaluator(view.statements).evaluate(
            request["action"], request["resource"], request["context"], budget=small
        )
    assert refused.value.limit == "automaton"
    assert refused.value.pointer == stmt.pointer
    assert small.location == "/requests/0"  # the statement's place was left when refused
