"""Put a request's values into the policy variables of a Resource pattern.

A value is text, never a wildcard: its `*`, `?` and `$` are written as the literal escapes
`${*}`, `${?}`, `${$}`. A variable the request gives no value for (and that has no default) is
left in place, and an unresolved variable never matches a resource.
"""

from __future__ import annotations

from collections.abc import Mapping

from app.engine.iam.patterns.tokens import Var, Wild, tokenize_pattern

_ESCAPE = {"*": "${*}", "?": "${?}", "$": "${$}"}


def _literal(value: str) -> str:
    return "".join(_ESCAPE.get(ch, ch) for ch in value)


def substitute_variables(pattern: str, values: Mapping[str, str]) -> str:
    """`values` keys are lower-case condition keys (`aws:username`)."""
    if "${" not in pattern:
        return pattern
    out: list[str] = []
    for token in tokenize_pattern(pattern, variables=True):
        if isinstance(token, Wild):
            out.append(token.value[0])
        elif isinstance(token, Var):
            key, _, default = token.name.partition(",")
            value = values.get(key.strip())
            if value is None and default:
                value = default.strip().strip("'")
            out.append(_literal(value) if value is not None else token.text)
        else:
            out.append(_ESCAPE.get(token, token))
    return "".join(out)
