"""Hypothesis profiles, chosen with HYPOTHESIS_PROFILE: `ci` (the default, and `make test`),
`fast` (`make test-fast`: a tenth of the examples) and `long` (ten times as many, for a deeper
run). A property test that draws more or fewer examples than the profile's `max_examples` says
so with `examples(N)`, N being its count under `ci`, so that every count follows the profile."""

from __future__ import annotations

import os

from hypothesis import settings

CI_EXAMPLES = 100  # Hypothesis's own default

settings.register_profile("ci", max_examples=CI_EXAMPLES)
settings.register_profile("fast", max_examples=CI_EXAMPLES // 10)
settings.register_profile("long", max_examples=CI_EXAMPLES * 10)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def examples(at_ci: int) -> int:
    """How many examples to draw: `at_ci` under the `ci` profile, scaled with the profile."""
    return max(1, at_ci * settings.default.max_examples // CI_EXAMPLES)
