"""One request's allowance of work, shared by every loop whose size the request controls.

A small request can ask for a great deal: template references that fan out, functions that
multiply a string, comprehensions nested in comprehensions, wildcard patterns whose containment
is exponential, pairwise checks over many statements. Each such loop charges what it does to the
`WorkBudget` it was handed:

- `steps`: template nodes evaluated (a memoised value counts each time it is used), statement
  pairs compared, requirements checked, statements weighed for an evaluated request, condition
  values compared with a request's values;
- `characters` and `items`: what template evaluation produces (strings, list and map members)
  and the explanations an evaluation lists;
- `automaton`: pattern-automaton work, one unit per automaton stepped on one symbol (a pattern
  of more than a thousand positions counts once per thousand): a product state costs that for
  every symbol of its alphabet, a string matched against a pattern for each of its symbols, an
  intersection of two patterns for each token of the shorter; a canonical instance costs one
  unit per pattern it is matched against, a condition's wildcard match one unit per character
  compared. Loops that step many automata at once charge through a `WorkMeter`, so the budget
  hears of their work within a few thousand units however much one turn of the loop does.

Past a limit the charge raises `WorkLimitExceededError`, located at the place that multiplied
(the template node, the policy statement). The budget also carries the request's deadline and a
cancel flag: once the deadline passes or someone calls `cancel` (the server does, when it has
answered that the request took too long, or when it shuts down), the next charge raises
`WorkCancelledError`, so no abandoned request keeps a processor busy.

A budget belongs to one request; the checks read plain attributes, which another thread may set.
"""

from __future__ import annotations

import sys
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from app.engine.errors import EngineError

# Limits of a budget made without any: what the service uses unless its settings say otherwise.
DEFAULT_STEPS = 1_000_000
DEFAULT_CHARACTERS = 8_000_000
DEFAULT_ITEMS = 200_000
DEFAULT_AUTOMATON = 10_000_000

# The clock is read once per this many charges: a charge is made per template node or automaton
# state, and a clock read each time would cost more than the check is worth.
_CLOCK_EVERY = 64

# Automaton work a meter counts before it charges: a millisecond's work or so, while a charge
# per unit would cost more than the unit.
METER_UNITS = 4096

_WHAT = {
    "steps": "steps of work (template values evaluated, policy statements compared, "
    "requirements checked)",
    "characters": "characters of values produced",
    "items": "list items produced",
    "automaton": "units of pattern-automaton work (wildcard containment)",
}


class WorkLimitExceededError(EngineError):
    """The request asks for more work than its budget allows; `pointer` is where it multiplied."""

    def __init__(self, message: str, pointer: str, *, limit: str, allowed: int) -> None:
        super().__init__(message, pointer)
        self.limit = limit
        self.allowed = allowed


class WorkCancelledError(EngineError):
    """The request's deadline passed, or its work was called off, while it was being done."""


@dataclass(frozen=True, slots=True)
class WorkLimits:
    steps: int = DEFAULT_STEPS
    characters: int = DEFAULT_CHARACTERS
    items: int = DEFAULT_ITEMS
    automaton: int = DEFAULT_AUTOMATON


_UNBOUNDED = WorkLimits(
    steps=sys.maxsize, characters=sys.maxsize, items=sys.maxsize, automaton=sys.maxsize
)


@dataclass(frozen=True, slots=True)
class WorkCost:
    """What a piece of work charged, to charge again when its answer is reused."""

    steps: int = 0
    characters: int = 0
    items: int = 0
    automaton: int = 0

    def __sub__(self, other: WorkCost) -> WorkCost:
        return WorkCost(
            self.steps - other.steps,
            self.characters - other.characters,
            self.items - other.items,
            self.automaton - other.automaton,
        )


class WorkBudget:
    """The work one request may still do, its deadline (a `time.monotonic()` value) and its
    cancel flag."""

    def __init__(self, limits: WorkLimits | None = None, *, deadline: float | None = None) -> None:
        self.limits = limits or WorkLimits()
        self.deadline = deadline
        self.steps = 0
        self.characters = 0
        self.items = 0
        self.automaton = 0
        self.location = ""  # where the work under way comes from, for charges made without one
        self._cancelled = False
        self._memos: dict[int, OrderedDict[Any, Any]] = {}
        self._until_clock = _CLOCK_EVERY

    @classmethod
    def unbounded(cls) -> WorkBudget:
        """A budget without limits or deadline, for callers of the engine that bound nothing
        (what stays bounded then is each containment search, by its state cap)."""
        return cls(_UNBOUNDED)

    # -- stopping ---------------------------------------------------------------------------------

    def cancel(self) -> None:
        """Stop the work: its next charge raises WorkCancelledError (from any thread)."""
        self._cancelled = True

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    def check(self) -> None:
        """Raise WorkCancelledError when the work was called off or its deadline has passed."""
        if self._cancelled:
            raise WorkCancelledError("the work was stopped: its answer is no longer awaited")
        if self.deadline is not None and time.monotonic() >= self.deadline:
            self._cancelled = True
            raise WorkCancelledError("the work was stopped: the request's time limit passed")

    # -- charging ---------------------------------------------------------------------------------

    def charge(
        self,
        *,
        steps: int = 0,
        characters: int = 0,
        items: int = 0,
        automaton: int = 0,
        at: str | None = None,
    ) -> None:
        """Count work done (or about to be done); raise when a limit or the deadline is passed."""
        if self._cancelled:
            self.check()
        self._until_clock -= 1
        if self._until_clock <= 0:
            self._until_clock = _CLOCK_EVERY
            self.check()
        limits = self.limits
        if steps:
            self.steps += steps
            if self.steps > limits.steps:
                self._exceeded("steps", limits.steps, at)
        if characters:
            self.characters += characters
            if self.characters > limits.characters:
                self._exceeded("characters", limits.characters, at)
        if items:
            self.items += items
            if self.items > limits.items:
                self._exceeded("items", limits.items, at)
        if automaton:
            self.automaton += automaton
            if self.automaton > limits.automaton:
                self._exceeded("automaton", limits.automaton, at)

    def charge_cost(self, cost: WorkCost, at: str | None = None) -> None:
        self.charge(
            steps=cost.steps,
            characters=cost.characters,
            items=cost.items,
            automaton=cost.automaton,
            at=at,
        )

    def memo(self, owner: object) -> OrderedDict[Any, Any]:
        """The answers `owner` (a RequestMemo) keeps for this request."""
        return self._memos.setdefault(id(owner), OrderedDict())

    @property
    def spent(self) -> WorkCost:
        return WorkCost(self.steps, self.characters, self.items, self.automaton)

    def located(self, pointer: str) -> _Located:
        """Charges made within, without a place of their own, are located at `pointer`."""
        return _Located(self, pointer)

    def metered(self) -> WorkMeter:
        """A meter for a loop's automaton work, to use as a context: what it counted and has not
        charged yet is charged when the loop ends (unless it ends by an error)."""
        return WorkMeter(self)

    def _exceeded(self, limit: str, allowed: int, at: str | None) -> None:
        pointer = self.location if at is None else at
        raise WorkLimitExceededError(
            f"the request needs more than {allowed:,} {_WHAT[limit]}, the limit of one "
            "request; the input at this place multiplies the work (references, functions or "
            "wildcards that expand): simplify it or split the request",
            pointer,
            limit=limit,
            allowed=allowed,
        )


class _Located:
    """`WorkBudget.located`'s context: a class rather than a generator, since coverage checks
    enter one for each statement compared."""

    __slots__ = ("_budget", "_pointer", "_saved")

    def __init__(self, budget: WorkBudget, pointer: str) -> None:
        self._budget = budget
        self._pointer = pointer
        self._saved = ""

    def __enter__(self) -> None:
        self._saved, self._budget.location = self._budget.location, self._pointer

    def __exit__(self, *exc: object) -> None:
        self._budget.location = self._saved


class WorkMeter:
    """Automaton work counted as a loop does it, and charged to the budget each time it adds up
    to METER_UNITS: the loop pays one charge per many turns, and the budget (with its limit,
    deadline and cancel flag) hears of the work within METER_UNITS units plus one turn's,
    however much the request makes one turn do. Work is counted before it is done."""

    __slots__ = ("_budget", "_pending")

    def __init__(self, budget: WorkBudget) -> None:
        self._budget = budget
        self._pending = 0

    def add(self, units: int) -> None:
        pending = self._pending + units
        if pending < METER_UNITS:
            self._pending = pending
            return
        self._pending = 0
        self._budget.charge(automaton=pending)

    def close(self) -> None:
        """Charge what was counted and not yet charged."""
        pending, self._pending = self._pending, 0
        if pending:
            self._budget.charge(automaton=pending)

    def __enter__(self) -> WorkMeter:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        if kind is None:
            self.close()


_K = TypeVar("_K", bound=Hashable)
_V = TypeVar("_V")


class RequestMemo(Generic[_K, _V]):
    """Answers worked out once per request and reused within it, each remembering what it cost and
    charging that cost again when reused: a request is charged the same whatever it has seen.

    The entries live in the request's budget, so nothing outlives the request: no request is
    answered faster, or learns anything, because of another one."""

    def __init__(self, maxsize: int) -> None:
        self._maxsize = maxsize

    def get(self, key: _K, compute: Callable[[], _V], budget: WorkBudget) -> _V:
        entries: OrderedDict[_K, tuple[_V, WorkCost]] = budget.memo(self)
        found = entries.get(key)
        if found is not None:
            entries.move_to_end(key)
            value, cost = found
            budget.charge_cost(cost)
            return value
        before = budget.spent
        value = compute()  # raises, and keeps nothing, when the budget runs out
        entries[key] = (value, budget.spent - before)
        if len(entries) > self._maxsize:
            entries.popitem(last=False)
        return value
