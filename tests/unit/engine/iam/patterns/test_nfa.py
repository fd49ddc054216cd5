"""The pattern automaton's bit operations: moving a state set across runs of positions in one
addition, and what a step costs."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.engine.iam.patterns.nfa import POSITIONS_PER_UNIT, compile_nfa, spread
from app.engine.iam.patterns.tokens import tokenize_pattern
from tests.hypothesis_profiles import examples

PROPERTY = settings(max_examples=examples(300), deadline=None)


def spread_one_at_a_time(states: int, through: int) -> int:
    """The definition: from position i, step to i + 1 while i is in `through`."""
    while True:
        more = ((states & through) << 1) & ~states
        if not more:
            return states
        states |= more


bitsets = st.integers(min_value=0, max_value=(1 << 70) - 1)


@PROPERTY
@given(bitsets, bitsets)
def test_spread_reaches_what_single_steps_reach(states: int, through: int) -> None:
    assert spread(states, through) == spread_one_at_a_time(states, through)


@pytest.mark.parametrize(
    ("states", "through", "reached"),
    [
        (0b1, 0b0, 0b1),  # nothing to cross
        (0b1, 0b1, 0b11),  # one position crossed
        (0b1, 0b0111, 0b1111),  # a run crossed to its end and one beyond
        (0b100, 0b0111, 0b1100),  # from within a run
        (0b100001, 0b1100111, 0b11101111),  # two runs, the gap between not crossed
        (0b10, 0b1, 0b10),  # a state after the run does not go back
    ],
)
def test_spread_table(states: int, through: int, reached: int) -> None:
    assert spread(states, through) == reached


def test_a_run_of_stars_is_crossed_at_once() -> None:
    nfa = compile_nfa(tokenize_pattern("*" * 50_000 + "a"))
    assert nfa.start == (1 << 50_001) - 1  # every star may match nothing


@pytest.mark.parametrize(
    ("length", "weight"),
    [(1, 1), (POSITIONS_PER_UNIT - 1, 1), (POSITIONS_PER_UNIT, 2), (10 * POSITIONS_PER_UNIT, 11)],
)
def test_a_step_costs_a_unit_per_thousand_positions(length: int, weight: int) -> None:
    assert compile_nfa(tokenize_pattern("a" * length)).weight == weight
