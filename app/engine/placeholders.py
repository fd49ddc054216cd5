"""Placeholder templates of permission profiles, and the small table of value resolvers.

A template such as `arn:${partition}:lambda:${region}:${account}:function:${config.Name}` is
parsed once; rendering fills it from a scope. List values expand into several strings. Values only
known at run time (`#{...}`), masked values (`****`) and absent ones become `*` in their own place,
and the renderer reports each such widening so the caller can turn it into a finding. A `*` already
in a value (a part a template does not determine) is reported too, as UNKNOWN_VALUE.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from app.engine.errors import ProfileDefinitionError
from app.engine.iam.patterns.arn import Arn, split_arn

_TOKEN = re.compile(r"\$\{([^}]*)\}")
_RUNTIME_VARIABLE = re.compile(r"#\{[^}]*\}")
_MASK = "****"
_STARS = re.compile(r"\*{2,}")

PREFIXES = ("config.", "hint.")


@dataclass(frozen=True)
class Placeholder:
    name: str
    filter: str | None = None
    # The value lookup for this name, chosen once when the template is parsed.
    lookup: Callable[[KnownValues, list[Widening]], list[str]] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "lookup", _lookup_for(self.name))


@dataclass(frozen=True)
class Template:
    text: str
    parts: tuple[str | Placeholder, ...]
    # Derived once here: compute renders every template for every action of its type.
    placeholders: tuple[Placeholder, ...] = field(init=False, repr=False, compare=False)
    hint_names: tuple[str, ...] = field(init=False, repr=False, compare=False)
    # The parts with "" where each placeholder goes, and those places.
    literals: tuple[str, ...] = field(init=False, repr=False, compare=False)
    slots: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        placeholders = tuple(p for p in self.parts if isinstance(p, Placeholder))
        object.__setattr__(self, "placeholders", placeholders)
        object.__setattr__(
            self,
            "hint_names",
            tuple(p.name.removeprefix("hint.") for p in placeholders if p.name.startswith("hint.")),
        )
        object.__setattr__(
            self, "literals", tuple(p if isinstance(p, str) else "" for p in self.parts)
        )
        object.__setattr__(
            self, "slots", tuple(i for i, p in enumerate(self.parts) if isinstance(p, Placeholder))
        )


@dataclass(frozen=True)
class Widening:
    """One place where a value could not be resolved and `*` stands instead."""

    code: str
    placeholder: str
    value: str | None = None


@dataclass
class KnownValues:
    """The values a template can refer to, for one action (or one pipeline)."""

    partition: str
    account: str | None
    region: str | None
    pipeline_name: str
    configuration: Mapping[str, str] = field(default_factory=dict)
    hints: Mapping[str, Sequence[str]] = field(default_factory=dict)
    artifact_buckets: Sequence[str] = ()
    artifact_kms_keys: Sequence[str] = ()
    role_arn: str | None = None
    secret_variables: Sequence[str] = ()


def parse_template(text: str, pointer: str = "") -> Template:
    parts: list[str | Placeholder] = []
    pos = 0
    for match in _TOKEN.finditer(text):
        if match.start() > pos:
            parts.append(text[pos : match.start()])
        name, _, filter_name = match.group(1).partition("|")
        name, filter_name = name.strip(), filter_name.strip()
        if not _known_name(name):
            raise ProfileDefinitionError(f"unknown placeholder `${{{name}}}`", pointer)
        if filter_name and filter_name not in FILTERS:
            raise ProfileDefinitionError(f"unknown filter `{filter_name}`", pointer)
        parts.append(Placeholder(name, filter_name or None))
        pos = match.end()
    if pos < len(text):
        parts.append(text[pos:])
    if "${" in "".join(p for p in parts if isinstance(p, str)):
        raise ProfileDefinitionError("unterminated placeholder", pointer)
    return Template(text=text, parts=tuple(parts))


def _known_name(name: str) -> bool:
    if name in _NAMED_LOOKUPS:
        return True
    return any(name.startswith(p) and len(name) > len(p) for p in PREFIXES)


def hint_missing(template: Template, scope: KnownValues) -> tuple[str, ...]:
    if not template.hint_names:
        return ()
    return tuple(h for h in template.hint_names if not scope.hints.get(h))


def render(template: Template, scope: KnownValues) -> tuple[list[str], list[Widening]]:
    """All strings the template stands for in this scope, with the widenings made."""
    widenings: list[Widening] = []
    values_by_slot: list[list[str]] = []
    single = True
    for placeholder in template.placeholders:
        values = placeholder.lookup(scope, widenings)
        if placeholder.filter is not None:
            values = [out for v in values for out in FILTERS[placeholder.filter](v, scope)]
        if len(values) != 1:
            single = False
        values_by_slot.append(values)
    if single:
        # The common case, one value per placeholder: one string, no product to build.
        pieces = list(template.literals)
        for slot, values in zip(template.slots, values_by_slot, strict=True):
            pieces[slot] = values[0]
        text = "".join(pieces)
        return [_STARS.sub("*", text) if "**" in text else text], widenings
    choices: list[list[str]] = [[literal] for literal in template.literals]
    for slot, values in zip(template.slots, values_by_slot, strict=True):
        choices[slot] = values
    rendered = sorted({_STARS.sub("*", "".join(combo)) for combo in itertools.product(*choices)})
    return rendered, widenings


def _partition(scope: KnownValues, _widenings: list[Widening]) -> list[str]:
    return [scope.partition]


def _account(scope: KnownValues, widenings: list[Widening]) -> list[str]:
    if scope.account is None:
        widenings.append(Widening("UNKNOWN_ACCOUNT", "account"))
        return ["*"]
    return [scope.account]


def _region(scope: KnownValues, widenings: list[Widening]) -> list[str]:
    if scope.region is None:
        widenings.append(Widening("UNKNOWN_REGION", "region"))
        return ["*"]
    return [scope.region]


def _pipeline_name(scope: KnownValues, widenings: list[Widening]) -> list[str]:
    return [_sanitize(scope.pipeline_name, "pipeline.name", widenings)]


def _role_arn(scope: KnownValues, widenings: list[Widening]) -> list[str]:
    return [_sanitize(scope.role_arn, "action.roleArn", widenings)] if scope.role_arn else []


def _artifact_buckets(scope: KnownValues, widenings: list[Widening]) -> list[str]:
    return [_sanitize(b, "artifact.buckets", widenings) for b in scope.artifact_buckets]


def _artifact_kms_keys(scope: KnownValues, widenings: list[Widening]) -> list[str]:
    if any("*" in key for key in scope.artifact_kms_keys):
        widenings.append(Widening("UNKNOWN_VALUE", "artifact.kms_keys"))
    return list(scope.artifact_kms_keys)


def _secret_variables(scope: KnownValues, widenings: list[Widening]) -> list[str]:
    return [_sanitize(v, "action.secret_variables", widenings) for v in scope.secret_variables]


# Every placeholder name but the `config.` and `hint.` ones, with its lookup.
_NAMED_LOOKUPS: Mapping[str, Callable[[KnownValues, list[Widening]], list[str]]] = {
    "partition": _partition,
    "account": _account,
    "region": _region,
    "pipeline.name": _pipeline_name,
    "action.roleArn": _role_arn,
    "artifact.buckets": _artifact_buckets,
    "artifact.kms_keys": _artifact_kms_keys,
    "action.secret_variables": _secret_variables,
}


def _lookup_for(name: str) -> Callable[[KnownValues, list[Widening]], list[str]]:
    known = _NAMED_LOOKUPS.get(name)
    if known is not None:
        return known
    if name.startswith("config."):
        key = name.removeprefix("config.")

        def config_value(scope: KnownValues, widenings: list[Widening]) -> list[str]:
            raw = scope.configuration.get(key)
            if raw is None or raw == "":
                widenings.append(Widening("MISSING_CONFIGURATION", key))
                return ["*"]
            return [_sanitize(raw, key, widenings)]

        return config_value
    hint = name.removeprefix("hint.")

    def hint_values(scope: KnownValues, widenings: list[Widening]) -> list[str]:
        return [_sanitize(v, hint, widenings) for v in scope.hints.get(hint, ())]

    return hint_values


def _sanitize(value: str | None, placeholder: str, widenings: list[Widening]) -> str:
    if value is None:
        widenings.append(Widening("MISSING_CONFIGURATION", placeholder))
        return "*"
    out = value
    if "#{" in out and _RUNTIME_VARIABLE.search(out):
        widenings.append(Widening("UNRESOLVED_VARIABLE", placeholder, value))
        out = _RUNTIME_VARIABLE.sub("*", out)
    if _MASK in out:
        widenings.append(Widening("MASKED_VALUE", placeholder, value))
        out = out.replace(_MASK, "*")
    elif "*" in value:
        # A part a template does not determine (its parser reported it where it is written).
        widenings.append(Widening("UNKNOWN_VALUE", placeholder, value))
    return out


# -- resolvers: the only per-service knowledge in code, one small function per ARN family --------


def _lambda_function_arn(value: str, scope: KnownValues) -> list[str]:
    if value.startswith("arn:"):
        return [value]
    parts = value.split(":")
    # Lambda accepts `name`, `name:qualifier`, `account:function:name[:qualifier]`.
    if len(parts) >= 3 and parts[1] == "function":
        account, name, qualifier = parts[0], parts[2], parts[3:]
    else:
        account, name, qualifier = scope.account or "*", parts[0], parts[1:]
    arn = f"arn:{scope.partition}:lambda:{scope.region or '*'}:{account}:function:{name}"
    return [":".join([arn, *qualifier])]


def _iam_role_arn(value: str, scope: KnownValues) -> list[str]:
    if value.startswith("arn:"):
        return [value]
    return [f"arn:{scope.partition}:iam::{scope.account or '*'}:role/{value}"]


def _arn_resource_name(value: str, _scope: KnownValues) -> list[str]:
    return [re.split(r"[:/]", value)[-1]]


def _split_comma(value: str, _scope: KnownValues) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


_CONNECTION_SERVICES = ("codeconnections", "codestar-connections")


def _connection_arn(value: str) -> Arn | None:
    arn = split_arn(value)
    return arn if arn and arn.partition and arn.service in _CONNECTION_SERVICES else None


def _connection_arns(value: str, _scope: KnownValues) -> list[str]:
    arn = _connection_arn(value)
    if arn is None:
        return [value]
    return [str(replace(arn, service=svc)) for svc in _CONNECTION_SERVICES]


def _other_connection_arn(value: str, _scope: KnownValues) -> list[str]:
    arn = _connection_arn(value)
    if arn is None:
        return []
    return [str(replace(arn, service=svc)) for svc in _CONNECTION_SERVICES if svc != arn.service]


def _secret_arn(value: str, scope: KnownValues) -> list[str]:
    if value.startswith("arn:"):
        return [":".join(value.split(":")[:7])]
    name = value.split(":", maxsplit=1)[0]
    # Secrets Manager appends six random characters to every secret ARN.
    return [
        f"arn:{scope.partition}:secretsmanager:{scope.region or '*'}:{scope.account or '*'}"
        f":secret:{name}-??????"
    ]


FILTERS: Mapping[str, Callable[[str, KnownValues], list[str]]] = {
    "lambda_function_arn": _lambda_function_arn,
    "iam_role_arn": _iam_role_arn,
    "arn_resource_name": _arn_resource_name,
    "split_comma": _split_comma,
    "connection_arns": _connection_arns,
    "other_connection_arn": _other_connection_arn,
    "secret_arn": _secret_arn,
}
