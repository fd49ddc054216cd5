"""Policy work within a request's budget: containment searches, intersections, diff
requirements, the redundancy checks, evaluation; a refusal names the statement whose patterns
multiplied the work, and a cancelled budget stops a search in the middle."""

from __future__ import annotations

import time
import tracemalloc

import pytest

from app.engine.budget import (
    METER_UNITS,
    WorkBudget,
    WorkCancelledError,
    WorkLimitExceededError,
    WorkLimits,
)
from app.engine.iam.analysis.coverage import Coverage, PolicyStatement, check_requirement
from app.engine.iam.analysis.diff import diff_policy
from app.engine.iam.analysis.evaluate import Evaluator
from app.engine.iam.catalog import Catalog
from app.engine.iam.conditions.operators import Tri, evaluate_condition, parse_operator
from app.engine.iam.conditions.values import glob_pieces_match, parse_template
from app.engine.iam.patterns.arn import arn_intersects, arn_union_containment
from app.engine.iam.patterns.glob import glob_union_containment
from app.engine.iam.policy.view import read_policies, read_policy
from app.engine.iam.validation.validate import validate_policy
from app.service.catalog_import import default_catalog
from app.service.diff import required_from_policy

from ....amplifiers import (
    ACCOUNT,
    glob_diff_request,
    glob_resources,
    long_name_against_long_deny,
    policy,
    redundancy_policy,
    scp_levels,
    wildcard_boundary,
    wildcard_condition_evaluation,
)

# The largest size of each family runs with the whole suite; the fast tier keeps the others.
LARGEST = pytest.mark.slow


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


# ---- intersections of long patterns -----------------------------------------------------------

PROJECTS = f"arn:aws:codebuild:eu-west-2:{ACCOUNT}:project/"


def _long_deny(length: int) -> tuple[str, list[PolicyStatement]]:
    """A project named with `length` `a`s, and the statements of a policy denying StartBuild on
    `*a*a…*aZ` (twice as long), which meets no such name."""
    body = long_name_against_long_deny(length)
    view = read_policies(body["current"]["documents"], pointer="/current/documents")
    return PROJECTS + "a" * length, list(view.statements)


@pytest.mark.parametrize("length", [2_500, pytest.param(20_000, marks=LARGEST)])
def test_a_long_name_meets_a_long_pattern_in_memory_of_their_lengths(length: int) -> None:
    name, statements = _long_deny(length)
    pattern = statements[1].resources[0]
    budget = WorkBudget()
    tracemalloc.start()
    started = time.process_time()
    try:
        assert arn_intersects(name, pattern, budget=budget) is False
        assert arn_intersects(name, pattern.removesuffix("Z"), budget=budget) is True
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.process_time() - started < 5
    # tokens and a few integers as wide as the pattern: not positions of one times the other
    assert peak < 200 * len(pattern)
    assert budget.automaton >= 2 * len(name)  # a step per token of the shorter, each time


@pytest.mark.parametrize("length", [20_000, pytest.param(100_000, marks=LARGEST)])
def test_a_long_name_against_a_long_deny_is_refused_at_the_deny(length: int) -> None:
    name, statements = _long_deny(length)
    limit = 100_000
    budget = WorkBudget(WorkLimits(automaton=limit))
    started = time.process_time()
    with pytest.raises(WorkLimitExceededError) as refused:
        check_requirement("codebuild:StartBuild", name, {}, statements, budget=budget)
    assert time.process_time() - started < 5
    assert refused.value.limit == "automaton"
    assert refused.value.pointer == "/current/documents/0/Statement/1"
    # charged as it went: past the limit by less than a meter's worth and one step
    assert budget.automaton < limit + METER_UNITS + len(statements[1].resources[0])


def test_a_cancelled_budget_stops_an_intersection_in_the_middle() -> None:
    name, statements = _long_deny(100_000)
    budget = WorkBudget()
    budget.cancel()
    with pytest.raises(WorkCancelledError):
        arn_intersects(name, statements[1].resources[0], budget=budget)


# ---- searches over many patterns -------------------------------------------------------------

ARTIFACTS = f"arn:aws:s3:::codepipeline-eu-west-2-{ACCOUNT}/*"


@pytest.mark.parametrize("patterns", [1_000, 10_000, pytest.param(50_000, marks=LARGEST)])
def test_a_search_stepping_many_patterns_is_charged_as_it_steps_them(patterns: int) -> None:
    body = wildcard_boundary(patterns)
    resources = body["current"]["authorization"]["permissions_boundary"]["Statement"][0]["Resource"]
    # room for the moves tabulated per symbol and pattern (a few dozen symbols), not for the
    # search: a hundred steps of every pattern
    limit = 100 * (1 + patterns)
    budget = WorkBudget(WorkLimits(automaton=limit))
    started = time.process_time()
    with pytest.raises(WorkLimitExceededError):
        arn_union_containment(ARTIFACTS, resources, budget=budget)
    assert time.process_time() - started < 10
    # a state steps every pattern on each symbol: the budget hears of it symbol by symbol
    assert budget.automaton < limit + METER_UNITS + 1 + patterns


# ---- requirements checked against many statements --------------------------------------------


def _scp_level(statements: int) -> list[PolicyStatement]:
    level = scp_levels(1, statements)["current"]["authorization"]["accounts"][ACCOUNT]
    view = read_policies(level["scp_levels"][0], pointer="/scp_levels/0")
    return list(view.statements)


@pytest.mark.parametrize("statements", [30, pytest.param(3_000, marks=LARGEST)])
def test_a_requirement_checked_weighs_every_statement(statements: int) -> None:
    level = _scp_level(statements)
    budget = WorkBudget()
    result = check_requirement("s3:GetObject", ARTIFACTS, {}, level, budget=budget)
    assert result.coverage is Coverage.GRANTED
    # each statement looked at, and the one whose action matches weighed with its resource
    assert budget.steps == 1 + len(level) + 1

    small = WorkBudget(WorkLimits(steps=len(level)))
    with pytest.raises(WorkLimitExceededError) as refused:
        check_requirement("s3:GetObject", ARTIFACTS, {}, level, budget=small)
    assert refused.value.limit == "steps"
    assert refused.value.pointer == level[0].pointer
