"""Stage conditions and their rules, read the same way from every input format.

A parser hands over one stage in the API's camelCase shape (the template parsers rename their
properties first: `BeforeEntry` and `before_entry` both arrive as `beforeEntry`). A `Spelling` says
what is left of the format: Terraform's singular `condition`/`rule` blocks and one-element block
lists, the pointer tokens of the source, and how a configuration map is read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from app.engine.errors import PipelineParseError
from app.engine.findings import Finding
from app.engine.json_pointer import pointer_join
from app.engine.pipeline.model import (
    CONDITION_KINDS,
    RULE_OWNER,
    ActionTypeKey,
    Rule,
    StageCondition,
    StageConditions,
)
from app.engine.pipeline.template_values import scalar_text, shape_error
from app.engine.pipeline.unknown_fields import (
    CONDITION_FIELDS,
    RULE_FIELDS,
    RULE_TYPE_FIELDS,
    STAGE_CONDITIONS_FIELDS,
    unknown_field_findings,
)

ConfigurationReader = Callable[[Any, str, list[Finding]], dict[str, str]]

# Rule types have one owner and one version; the API lets a declaration leave both out.
DEFAULT_RULE_OWNER = RULE_OWNER
DEFAULT_RULE_VERSION = "1"


@dataclass(frozen=True)
class Spelling:
    """How one input format holds stage conditions, beyond the API's own names."""

    configuration: ConfigurationReader
    # API member name -> the key it has in the camelCase data, where they differ.
    keys: Mapping[str, str] = field(default_factory=dict)
    # API member name -> its token in the source's JSON pointers, where they differ.
    tokens: Mapping[str, str] = field(default_factory=dict)
    # Nested objects are lists of one block (Terraform), and their pointers say `/0`.
    blocks: bool = False
    # Report fields CodePipeline does not have (the template parsers check their own grammar).
    unknown_fields: bool = False

    def key(self, name: str) -> str:
        return self.keys.get(name, name)

    def token(self, name: str) -> str:
        return self.tokens.get(name, name)


def read_stage_conditions(
    stage: Mapping[str, Any], pointer: str, spelling: Spelling, findings: list[Finding]
) -> tuple[StageConditions, ...]:
    """The `beforeEntry`, `onSuccess` and `onFailure` a stage declares, with their rules.

    Malformed containers are findings; a rule without a name or type raises PipelineParseError,
    as an action does, since its permissions could not be known.
    """
    out: list[StageConditions] = []
    for kind in CONDITION_KINDS:
        raw = stage.get(kind)
        if raw is None:
            continue
        body, at = _block(raw, pointer_join(pointer, spelling.token(kind)), spelling)
        if not isinstance(body, Mapping):
            findings.append(shape_error(at, f"`{kind}` is not an object and was ignored"))
            continue
        out.append(_stage_conditions(kind, body, at, spelling, findings))
    return tuple(out)


def _block(raw: Any, pointer: str, spelling: Spelling) -> tuple[Any, str]:
    if not spelling.blocks:
        return raw, pointer
    if isinstance(raw, list):
        return (raw[0] if len(raw) == 1 else raw), pointer_join(pointer, 0)
    return raw, pointer_join(pointer, 0)


def _stage_conditions(
    kind: str, raw: Mapping[str, Any], pointer: str, spelling: Spelling, findings: list[Finding]
) -> StageConditions:
    if spelling.unknown_fields:
        findings.extend(unknown_field_findings(raw, STAGE_CONDITIONS_FIELDS[kind], kind, pointer))
    conditions: list[StageCondition] = []
    listed = raw.get(spelling.key("conditions"))
    listed_at = pointer_join(pointer, spelling.token("conditions"))
    if isinstance(listed, list):
        for i, item in enumerate(listed):
            condition = _condition(item, pointer_join(listed_at, i), spelling, findings)
            if condition is not None:
                conditions.append(condition)
    elif listed is not None:
        findings.append(shape_error(listed_at, "`conditions` is not a list and was ignored"))
    retry: Any = raw.get("retryConfiguration")
    retry_at = pointer_join(pointer, spelling.token("retryConfiguration"))
    if retry is not None:
        retry, retry_at = _block(retry, retry_at, spelling)
        if not isinstance(retry, Mapping):
            findings.append(shape_error(retry_at, "`retryConfiguration` is not an object"))
            retry = None
    return StageConditions(
        kind=kind,
        conditions=tuple(conditions),
        pointer=pointer,
        result=_text(raw.get("result"), pointer_join(pointer, "result"), findings),
        retry_configuration=retry,
    )


def _condition(
    raw: Any, pointer: str, spelling: Spelling, findings: list[Finding]
) -> StageCondition | None:
    if not isinstance(raw, Mapping):
        findings.append(shape_error(pointer, "this condition is not an object and was ignored"))
        return None
    if spelling.unknown_fields:
        findings.extend(unknown_field_findings(raw, CONDITION_FIELDS, "condition", pointer))
    rules: list[Rule] = []
    listed = raw.get(spelling.key("rules"))
    listed_at = pointer_join(pointer, spelling.token("rules"))
    if isinstance(listed, list):
        rules = [
            _rule(item, pointer_join(listed_at, i), spelling, findings)
            for i, item in enumerate(listed)
        ]
    elif listed is not None:
        findings.append(shape_error(listed_at, "`rules` is not a list and was ignored"))
    return StageCondition(
        result=_text(raw.get("result"), pointer_join(pointer, "result"), findings),
        rules=tuple(rules),
        pointer=pointer,
    )


def _rule(raw: Any, pointer: str, spelling: Spelling, findings: list[Finding]) -> Rule:
    if not isinstance(raw, Mapping):
        raise PipelineParseError("a rule must be an object", pointer)
    if spelling.unknown_fields:
        findings.extend(unknown_field_findings(raw, RULE_FIELDS, "rule", pointer))
    name = _text(raw.get("name"), pointer_join(pointer, "name"), findings)
    if not name:
        raise PipelineParseError(
            "`name` is required and must be a non-empty string", pointer_join(pointer, "name")
        )
    return Rule(
        name=name,
        type=_rule_type(raw.get("ruleTypeId"), pointer, spelling, findings),
        configuration=spelling.configuration(
            raw.get("configuration"), pointer_join(pointer, "configuration"), findings
        ),
        pointer=pointer,
        commands=_commands(raw.get("commands"), pointer_join(pointer, "commands"), findings),
        input_artifacts=_artifact_names(raw.get("inputArtifacts")),
        role_arn=_text(raw.get("roleArn"), pointer_join(pointer, "roleArn"), findings),
        region=_text(raw.get("region"), pointer_join(pointer, "region"), findings),
        timeout_in_minutes=_minutes(
            raw.get("timeoutInMinutes"), pointer_join(pointer, "timeoutInMinutes"), findings
        ),
    )


def _rule_type(
    raw: Any, rule_pointer: str, spelling: Spelling, findings: list[Finding]
) -> ActionTypeKey:
    body, at = _block(raw, pointer_join(rule_pointer, spelling.token("ruleTypeId")), spelling)
    if not isinstance(body, Mapping):
        raise PipelineParseError("`ruleTypeId` must be an object", at)
    if spelling.unknown_fields:
        findings.extend(unknown_field_findings(body, RULE_TYPE_FIELDS, "rule type", at))
    parts: dict[str, str] = {}
    for key in ("category", "owner", "provider", "version"):
        value = _text(body.get(key), pointer_join(at, key), findings)
        if value is None and key in ("category", "provider"):
            raise PipelineParseError(
                f"`ruleTypeId.{key}` must be a non-empty string", pointer_join(at, key)
            )
        parts[key] = value or (DEFAULT_RULE_OWNER if key == "owner" else DEFAULT_RULE_VERSION)
    return ActionTypeKey(**parts)


def _text(value: Any, pointer: str, findings: list[Finding]) -> str | None:
    if value is None:
        return None
    text = scalar_text(value)
    if text is None:
        findings.append(shape_error(pointer, "this value is not a string and was ignored"))
        return None
    return text or None


def _commands(raw: Any, pointer: str, findings: list[Finding]) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        findings.append(shape_error(pointer, "`commands` is not a list and was ignored"))
        return ()
    out = []
    for i, command in enumerate(raw):
        if isinstance(command, str):
            out.append(command)
        else:
            findings.append(
                shape_error(
                    pointer_join(pointer, i), "this command is not a string and was ignored"
                )
            )
    return tuple(out)


def _minutes(raw: Any, pointer: str, findings: list[Finding]) -> int | None:
    if raw is None:
        return None
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    if isinstance(raw, str) and raw.strip().isdigit():
        return int(raw.strip())
    findings.append(shape_error(pointer, "`timeoutInMinutes` is not an integer and was ignored"))
    return None


def _artifact_names(raw: Any) -> tuple[str, ...]:
    """`[{"name": ...}]` as the API and CloudFormation write it, or Terraform's `["..."]`."""
    if not isinstance(raw, list):
        return ()
    names = []
    for item in raw:
        name = item.get("name") if isinstance(item, Mapping) else item
        if isinstance(name, str) and name:
            names.append(name)
    return tuple(names)
