"""Evaluate a profile statement's `when` trigger against one action, one rule or a whole
pipeline: True, False or unknown."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from app.engine.iam.patterns.glob import compile_glob, glob_contains, glob_intersects
from app.engine.pipeline.model import EnvironmentVariable, Pipeline

# A value only known at run time, a masked one, or a part a template does not determine.
_RUNTIME = re.compile(r"#\{[^}]*\}|\*")


def trigger_holds(
    when: Mapping[str, Any] | None,
    configuration: Mapping[str, str] | None,
    environment_variables: Sequence[EnvironmentVariable] = (),
    pipeline: Pipeline | None = None,
) -> bool | None:
    """None means the answer depends on a value not known before run time.

    Without a configuration (a statement rendered once per pipeline) only `pipeline_has` can be
    decided; a trigger on an action's values then holds.
    """
    if when is None:
        return True
    if "all" in when:
        results = [
            trigger_holds(w, configuration, environment_variables, pipeline) for w in when["all"]
        ]
        if any(r is False for r in results):
            return False
        return None if any(r is None for r in results) else True
    if "any" in when:
        results = [
            trigger_holds(w, configuration, environment_variables, pipeline) for w in when["any"]
        ]
        if any(r is True for r in results):
            return True
        return None if any(r is None for r in results) else False
    if "not" in when:
        inner = trigger_holds(when["not"], configuration, environment_variables, pipeline)
        return None if inner is None else not inner
    if "pipeline_has" in when:
        if pipeline is None:
            return True
        wanted = {k: str(v).lower() for k, v in when["pipeline_has"].items()}
        return any(
            all(str(getattr(a.type, part)).lower() == v for part, v in wanted.items())
            for _, a in pipeline.actions()
        )
    if configuration is None:
        return True
    if "variable_type" in when:
        wanted_type = str(when["variable_type"]).upper()
        return any(v.type.upper() == wanted_type for v in environment_variables)
    value = configuration.get(str(when["config"]))
    if "present" in when:
        return (value is not None and value != "") == bool(when["present"])
    if value is None:
        return False
    if "matches" in when:
        return _matches(value, str(when["matches"]))
    if _RUNTIME.search(value):
        return None
    if "equals" in when:
        return value.lower() == str(when["equals"]).lower()
    return value.lower() in {str(v).lower() for v in when["in"]}


def _matches(value: str, pattern: str) -> bool | None:
    """Whether a value matches a glob; a value with unknown parts (`*`, `#{...}`) decides it
    only when every value it may stand for, or none of them, matches."""
    known = _RUNTIME.sub("*", value)
    if "*" not in known:
        return _glob(pattern)(known)
    if glob_contains(known, pattern, variables=False):
        return True
    return None if glob_intersects(known, pattern, variables=False) else False


@functools.lru_cache(maxsize=256)
def _glob(pattern: str) -> Callable[[str], bool]:
    return compile_glob(pattern, variables=False)
