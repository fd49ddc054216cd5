"""Evaluate a profile statement's `when` trigger against one action or rule: True, False or
unknown."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from app.engine.pipeline.model import EnvironmentVariable

_RUNTIME = re.compile(r"#\{[^}]*\}|\*{4}")


def trigger_holds(
    when: Mapping[str, Any] | None,
    configuration: Mapping[str, str],
    environment_variables: Sequence[EnvironmentVariable] = (),
) -> bool | None:
    """None means the answer depends on a value only known at run time."""
    if when is None:
        return True
    if "all" in when:
        results = [trigger_holds(w, configuration, environment_variables) for w in when["all"]]
        if any(r is False for r in results):
            return False
        return None if any(r is None for r in results) else True
    if "any" in when:
        results = [trigger_holds(w, configuration, environment_variables) for w in when["any"]]
        if any(r is True for r in results):
            return True
        return None if any(r is None for r in results) else False
    if "not" in when:
        inner = trigger_holds(when["not"], configuration, environment_variables)
        return None if inner is None else not inner
    if "variable_type" in when:
        wanted = str(when["variable_type"]).upper()
        return any(v.type.upper() == wanted for v in environment_variables)
    value = configuration.get(str(when["config"]))
    if "present" in when:
        return (value is not None and value != "") == bool(when["present"])
    if value is None:
        return False
    if _RUNTIME.search(value):
        return None
    if "equals" in when:
        return value.lower() == str(when["equals"]).lower()
    return value.lower() in {str(v).lower() for v in when["in"]}
