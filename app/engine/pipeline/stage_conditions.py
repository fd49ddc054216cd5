"""Stage conditions and their rules, as a get-pipeline document declares them (templates are
rendered as one first)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
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


def read_stage_conditions(
    stage: Mapping[str, Any],
    pointer: str,
    configuration: ConfigurationReader,
    findings: list[Finding],
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
        at = pointer_join(pointer, kind)
        if not isinstance(raw, Mapping):
            findings.append(shape_error(at, f"`{kind}` is not an object and was ignored"))
            continue
        out.append(_stage_conditions(kind, raw, at, configuration, findings))
    return tuple(out)


def _stage_conditions(
    kind: str,
    raw: Mapping[str, Any],
    pointer: str,
    configuration: ConfigurationReader,
    findings: list[Finding],
) -> StageConditions:
    findings.extend(unknown_field_findings(raw, STAGE_CONDITIONS_FIELDS[kind], kind, pointer))
    conditions: list[StageCondition] = []
    listed = raw.get("conditions")
    listed_at = pointer_join(pointer, "conditions")
    if isinstance(listed, list):
        for i, item in enumerate(listed):
            condition = _condition(item, pointer_join(listed_at, i), configuration, findings)
            if condition is not None:
                conditions.append(condition)
    elif listed is not None:
        findings.append(shape_error(listed_at, "`conditions` is not a list and was ignored"))
    retry: Any = raw.get("retryConfiguration")
    if retry is not None and not isinstance(retry, Mapping):
        findings.append(
            shape_error(
                pointer_join(pointer, "retryConfiguration"), "`retryConfiguration` is not an object"
            )
        )
        retry = None
    return StageConditions(
        kind=kind,
        conditions=tuple(conditions),
        pointer=pointer,
        result=_text(raw.get("result"), pointer_join(pointer, "result"), findings),
        retry_configuration=retry,
    )


def _condition(
    raw: Any, pointer: str, configuration: ConfigurationReader, findings: list[Finding]
) -> StageCondition | None:
    if not isinstance(raw, Mapping):
        findings.append(shape_error(pointer, "this condition is not an object and was ignored"))
        return None
    findings.extend(unknown_field_findings(raw, CONDITION_FIELDS, "condition", pointer))
    rules: list[Rule] = []
    listed = raw.get("rules")
    listed_at = pointer_join(pointer, "rules")
    if isinstance(listed, list):
        rules = [
            _rule(item, pointer_join(listed_at, i), configuration, findings)
            for i, item in enumerate(listed)
        ]
    elif listed is not None:
        findings.append(shape_error(listed_at, "`rules` is not a list and was ignored"))
    return StageCondition(
        result=_text(raw.get("result"), pointer_join(pointer, "result"), findings),
        rules=tuple(rules),
        pointer=pointer,
    )


def _rule(
    raw: Any, pointer: str, configuration: ConfigurationReader, findings: list[Finding]
) -> Rule:
    if not isinstance(raw, Mapping):
        raise PipelineParseError("a rule must be an object", pointer)
    findings.extend(unknown_field_findings(raw, RULE_FIELDS, "rule", pointer))
    name = _text(raw.get("name"), pointer_join(pointer, "name"), findings)
    if not name:
        raise PipelineParseError(
            "`name` is required and must be a non-empty string", pointer_join(pointer, "name")
        )
    return Rule(
        name=name,
        type=_rule_type(raw.get("ruleTypeId"), pointer, findings),
        configuration=configuration(
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


def _rule_type(raw: Any, rule_pointer: str, findings: list[Finding]) -> ActionTypeKey:
    at = pointer_join(rule_pointer, "ruleTypeId")
    if not isinstance(raw, Mapping):
        raise PipelineParseError("`ruleTypeId` must be an object", at)
    body = raw
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
    """`[{"name": ...}]` as the API writes it (or a bare name)."""
    if not isinstance(raw, list):
        return ()
    names = []
    for item in raw:
        name = item.get("name") if isinstance(item, Mapping) else item
        if isinstance(name, str) and name:
            names.append(name)
    return tuple(names)
