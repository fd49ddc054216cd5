"""Structure rules of stage conditions and their rules (rules reference §1-§3, §9).

Each check is a pure `(pipeline) -> Iterable[Finding]` (`CONDITION_CHECKS`), or
`(pipeline, types) -> Iterable[Finding]` when it reads what the rule types' profiles say
(`RULE_TYPE_CHECKS`: known providers, required configuration, SKIP, commands, input artifacts),
like those of `structure`, which runs them with its own. ERROR means CodePipeline rejects the
definition or the rule cannot run as meant;
WARNING marks what the guide forbids though the API accepts it, and what is only inferred. That
conditions need a V2 pipeline, and that rule roles are role ARNs, `structure` checks with the same
checks for the rest of the pipeline.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from app.engine.findings import Finding, FindingType
from app.engine.json_pointer import pointer_join
from app.engine.pipeline.model import (
    RULE_CATEGORY,
    RULE_OWNER,
    Pipeline,
    Rule,
    Stage,
    StageCondition,
    StageConditions,
)
from app.engine.pipeline.type_facts import KnownTypes, TypeFacts, value_in

Check = Callable[[Pipeline], Iterable[Finding]]
TypeCheck = Callable[[Pipeline, KnownTypes], Iterable[Finding]]

ERROR = FindingType.ERROR
WARNING = FindingType.WARNING

RESULTS = frozenset({"ROLLBACK", "FAIL", "RETRY", "SKIP"})
# Where the guide allows each result (the API accepts all four everywhere).
CONDITION_RESULTS = {
    "beforeEntry": ("FAIL", "SKIP"),
    "onSuccess": ("ROLLBACK", "FAIL"),
    "onFailure": ("ROLLBACK",),
}
FAILURE_RESULTS = ("ROLLBACK", "RETRY")
RETRY_MODES = frozenset({"FAILED_ACTIONS", "ALL_ACTIONS"})
SKIP = "SKIP"
RETRY = "RETRY"
ROLLBACK = "ROLLBACK"
MIN_RULES, MAX_RULES = 1, 5
MAX_CONFIG_ENTRIES, MAX_CONFIG_KEY, MAX_CONFIG_VALUE = 200, 50, 10_000
MAX_COMMANDS, MAX_COMMAND_LENGTH = 50, 1000
MIN_TIMEOUT, MAX_TIMEOUT = 5, 86400
MIN_REGION, MAX_REGION = 4, 30

_NAME = re.compile(r"[A-Za-z0-9.@\-_]{1,100}")
_REFERENCE = re.compile(r"#\{[^}]*\}")


def _finding(code: str, kind: FindingType, message: str, path: str, **detail: Any) -> Finding:
    return Finding(code=code, finding_type=kind, message=message, path=path, detail=detail)


def _blocks(pipeline: Pipeline) -> Iterator[tuple[int, Stage, StageConditions]]:
    for index, stage in enumerate(pipeline.stages):
        for block in stage.conditions:
            yield index, stage, block


def _conditions(pipeline: Pipeline) -> Iterator[tuple[Stage, StageConditions, StageCondition]]:
    for _index, stage, block in _blocks(pipeline):
        for condition in block.conditions:
            yield stage, block, condition


def _one_of(values: Iterable[str]) -> str:
    return ", ".join(f"`{v}`" for v in values)


def documented_versions(versions: Sequence[str]) -> str:
    """The versions a type's profiles document, as a message says them."""
    if len(versions) == 1:
        return f"version `{versions[0]}` is"
    return f"versions {_one_of(versions)} are"


# --- containers and results ----------------------------------------------------------------


def _condition_counts(pipeline: Pipeline) -> Iterable[Finding]:
    for _index, stage, block in _blocks(pipeline):
        count = len(block.conditions)
        if block.kind == "onFailure" and count <= 1:
            continue
        if block.kind != "onFailure" and count == 1:
            continue
        allowed = "at most 1 condition" if block.kind == "onFailure" else "exactly 1 condition"
        yield _finding(
            "STAGE_CONDITION_COUNT",
            ERROR,
            f"`{block.kind}` of stage `{stage.name}` has {count} conditions; it takes {allowed}",
            pointer_join(block.pointer, "conditions"),
        )


def _rule_counts(pipeline: Pipeline) -> Iterable[Finding]:
    for stage, block, condition in _conditions(pipeline):
        count = len(condition.rules)
        if not MIN_RULES <= count <= MAX_RULES:
            yield _finding(
                "CONDITION_RULE_COUNT",
                ERROR,
                f"a `{block.kind}` condition of stage `{stage.name}` has {count} rules; "
                f"it takes {MIN_RULES}-{MAX_RULES}",
                pointer_join(condition.pointer, "rules"),
            )


def _condition_results(pipeline: Pipeline) -> Iterable[Finding]:
    for stage, block, condition in _conditions(pipeline):
        allowed = CONDITION_RESULTS[block.kind]
        result = condition.result
        path = pointer_join(condition.pointer, "result")
        if result is None:
            yield _finding(
                "CONDITION_RESULT_MISSING",
                WARNING,
                f"a `{block.kind}` condition of stage `{stage.name}` has no `result`; "
                f"give one of {_one_of(allowed)}",
                condition.pointer,
            )
        elif result not in RESULTS:
            yield _finding(
                "INVALID_CONDITION_RESULT",
                ERROR,
                f"condition result `{result}` must be one of {_one_of(sorted(RESULTS))}",
                path,
            )
        elif result not in allowed:
            yield _finding(
                "CONDITION_RESULT_NOT_ALLOWED",
                WARNING,
                f"the guide allows only {_one_of(allowed)} for a `{block.kind}` condition, not "
                f"`{result}` (the API accepts it)",
                path,
            )


def _failure_results(pipeline: Pipeline) -> Iterable[Finding]:
    for _index, stage, block in _blocks(pipeline):
        result = block.result
        if block.kind != "onFailure" or result is None:
            continue
        path = pointer_join(block.pointer, "result")
        if result not in RESULTS:
            yield _finding(
                "INVALID_CONDITION_RESULT",
                ERROR,
                f"`onFailure` result `{result}` must be one of {_one_of(FAILURE_RESULTS)}",
                path,
            )
        elif result not in FAILURE_RESULTS:
            yield _finding(
                "CONDITION_RESULT_NOT_ALLOWED",
                WARNING,
                f"`onFailure` of stage `{stage.name}` takes {_one_of(FAILURE_RESULTS)}, not "
                f"`{result}` (the API accepts it; CloudFormation does not)",
                path,
            )


def _skip_rules(pipeline: Pipeline, types: KnownTypes) -> Iterable[Finding]:
    allowed = types.skipping_rule_providers()
    for stage, block, condition in _conditions(pipeline):
        if block.kind != "beforeEntry" or condition.result != SKIP:
            continue
        for rule in condition.rules:
            facts = types.rule_facts(rule.type.provider, rule.type.version)
            if facts is not None and not facts.can_skip:
                yield _finding(
                    "SKIP_RULE_NOT_ALLOWED",
                    ERROR,
                    f"an entry condition that skips stage `{stage.name}` takes only "
                    f"{_one_of(allowed)} rules, not `{rule.type.provider}` rule `{rule.name}`",
                    pointer_join(rule.pointer, "ruleTypeId", "provider"),
                )


def _retry(pipeline: Pipeline) -> Iterable[Finding]:
    for _index, stage, block in _blocks(pipeline):
        if block.kind != "onFailure":
            continue
        retry = block.retry_configuration
        if block.result == RETRY and block.conditions:
            yield _finding(
                "RETRY_WITH_CONDITIONS",
                ERROR,
                f"stage `{stage.name}` cannot retry automatically and also have `onFailure` "
                "conditions",
                pointer_join(block.pointer, "result"),
            )
        if retry is None:
            continue
        path = pointer_join(block.pointer, "retryConfiguration")
        if block.result != RETRY:
            yield _finding(
                "RETRY_CONFIGURATION_WITHOUT_RETRY",
                ERROR,
                f"`retryConfiguration` of stage `{stage.name}` applies only when the "
                "`onFailure` result is `RETRY`",
                path,
            )
        mode = retry.get("retryMode")
        if mode is not None and mode not in RETRY_MODES:
            yield _finding(
                "INVALID_RETRY_MODE",
                ERROR,
                f"retryMode `{mode}` must be one of {_one_of(sorted(RETRY_MODES))}",
                pointer_join(path, "retryMode"),
            )


def _rollback_on_source_stage(pipeline: Pipeline) -> Iterable[Finding]:
    for _index, stage, block in _blocks(pipeline):
        if not any(a.type.category == "Source" for a in stage.actions):
            continue
        results = [(block.result, pointer_join(block.pointer, "result"))]
        results += [(c.result, pointer_join(c.pointer, "result")) for c in block.conditions]
        for result, path in results:
            if result == ROLLBACK:
                yield _finding(
                    "ROLLBACK_ON_SOURCE_STAGE",
                    WARNING,
                    f"stage `{stage.name}` holds source actions, and a source stage cannot be "
                    "rolled back",
                    path,
                )


# --- rules ---------------------------------------------------------------------------------


def _rule_types(pipeline: Pipeline, types: KnownTypes) -> Iterable[Finding]:
    known = types.rule_providers()
    for _stage, rule in pipeline.rules():
        kind = rule.type
        at = pointer_join(rule.pointer, "ruleTypeId")
        if kind.category != RULE_CATEGORY:
            yield _finding(
                "INVALID_RULE_CATEGORY",
                ERROR,
                f"the category of rule `{rule.name}` must be `{RULE_CATEGORY}`, "
                f"not `{kind.category}`",
                pointer_join(at, "category"),
            )
        if kind.owner != RULE_OWNER:
            yield _finding(
                "INVALID_RULE_OWNER",
                ERROR,
                f"the owner of rule `{rule.name}` must be `{RULE_OWNER}`, not `{kind.owner}`",
                pointer_join(at, "owner"),
            )
        versions = types.versions(RULE_CATEGORY, RULE_OWNER, kind.provider)
        if not versions:
            yield _finding(
                "UNKNOWN_RULE_PROVIDER",
                ERROR,
                f"rule provider `{kind.provider}` of rule `{rule.name}` is not one of "
                f"{_one_of(known)}; its permissions and checks are unknown",
                pointer_join(at, "provider"),
            )
        elif kind.version not in versions:
            yield _finding(
                "UNKNOWN_RULE_VERSION",
                WARNING,
                f"rule `{rule.name}` has version `{kind.version}`, but only "
                f"{documented_versions(versions)} documented",
                pointer_join(at, "version"),
            )


def _rule_names(pipeline: Pipeline) -> Iterable[Finding]:
    seen: set[str] = set()
    for _stage, rule in pipeline.rules():
        path = pointer_join(rule.pointer, "name")
        if not _NAME.fullmatch(rule.name):
            yield _finding(
                "INVALID_RULE_NAME",
                ERROR,
                f"rule name `{rule.name}` must be 1-100 letters, digits or `.@-_`",
                path,
            )
        if rule.name in seen:
            yield _finding(
                "DUPLICATE_RULE_NAME",
                WARNING,
                f"an earlier rule of the pipeline is also named `{rule.name}`; give each rule a "
                "name of its own",
                path,
            )
        seen.add(rule.name)


def _rule_configuration(pipeline: Pipeline, types: KnownTypes) -> Iterable[Finding]:
    for _stage, rule in pipeline.rules():
        facts = types.rule_facts(rule.type.provider, rule.type.version)
        if facts is None:
            continue
        config = rule.configuration
        inputs = len(rule.input_artifacts)
        required = list(facts.required)
        required += [
            entry.name
            for entry in facts.conditional
            if entry.required_when is not None and entry.required_when.holds(config, inputs)
        ]
        for key in required:
            if not config.get(key):
                yield _finding(
                    "RULE_CONFIGURATION_MISSING",
                    ERROR,
                    f"the `{rule.type.provider}` rule `{rule.name}` needs configuration `{key}`",
                    pointer_join(rule.pointer, "configuration", key),
                    doc_page=facts.doc_page,
                )
        for key in facts.newly_required:
            if not config.get(key):
                yield _finding(
                    "RULE_CONFIGURATION_RECOMMENDED",
                    WARNING,
                    f"the newer `{rule.type.provider}` rule page requires `{key}`, which rule "
                    f"`{rule.name}` does not set",
                    pointer_join(rule.pointer, "configuration", key),
                    doc_page=facts.doc_page,
                )
        for key, allowed in facts.allowed_values.items():
            value = config.get(key)
            if value is None or _REFERENCE.search(value) or value_in(value, allowed):
                continue
            yield _finding(
                "INVALID_RULE_CONFIGURATION_VALUE",
                ERROR,
                f"`{key}` of rule `{rule.name}` is `{value}`; it must be one of "
                f"{_one_of(sorted(allowed))}",
                pointer_join(rule.pointer, "configuration", key),
            )


def _rule_configuration_sizes(pipeline: Pipeline) -> Iterable[Finding]:
    for _stage, rule in pipeline.rules():
        at = pointer_join(rule.pointer, "configuration")
        if len(rule.configuration) > MAX_CONFIG_ENTRIES:
            yield _finding(
                "INVALID_RULE_CONFIGURATION",
                ERROR,
                f"rule `{rule.name}` has {len(rule.configuration)} configuration entries; "
                f"at most {MAX_CONFIG_ENTRIES} are allowed",
                at,
            )
        for key, value in rule.configuration.items():
            if not 1 <= len(key) <= MAX_CONFIG_KEY or not 1 <= len(value) <= MAX_CONFIG_VALUE:
                yield _finding(
                    "INVALID_RULE_CONFIGURATION",
                    ERROR,
                    f"rule configuration keys take 1-{MAX_CONFIG_KEY} characters and values "
                    f"1-{MAX_CONFIG_VALUE:,}",
                    pointer_join(at, key),
                )


def _rule_commands(pipeline: Pipeline, types: KnownTypes) -> Iterable[Finding]:
    for _stage, rule in pipeline.rules():
        facts = types.rule_facts(rule.type.provider, rule.type.version)
        path = pointer_join(rule.pointer, "commands")
        if facts is not None and facts.runs_commands and not rule.commands:
            yield _finding(
                "RULE_COMMANDS_MISSING",
                ERROR,
                f"the Commands rule `{rule.name}` needs a `commands` list of 1-{MAX_COMMANDS} "
                "strings",
                path,
            )
        elif facts is not None and not facts.runs_commands and rule.commands:
            yield _finding(
                "RULE_COMMANDS_NOT_ALLOWED",
                WARNING,
                f"only Commands rules run `commands`; the `{rule.type.provider}` rule "
                f"`{rule.name}` does not",
                path,
            )
        if len(rule.commands) > MAX_COMMANDS:
            yield _finding(
                "INVALID_RULE_COMMANDS",
                ERROR,
                f"`commands` has {len(rule.commands)} entries; at most {MAX_COMMANDS} are allowed",
                pointer_join(path, MAX_COMMANDS),
            )
        for i, command in enumerate(rule.commands):
            if not 1 <= len(command) <= MAX_COMMAND_LENGTH or "\n" in command or "\r" in command:
                yield _finding(
                    "INVALID_RULE_COMMANDS",
                    ERROR,
                    f"each command must be a single-line string of 1-{MAX_COMMAND_LENGTH} "
                    "characters",
                    pointer_join(path, i),
                )


def _rule_input_artifacts(pipeline: Pipeline, types: KnownTypes) -> Iterable[Finding]:
    produced_by_stage = [
        {name for action in stage.actions for name in action.output_artifacts}
        for stage in pipeline.stages
    ]
    for index, stage, block in _blocks(pipeline):
        # Entry rules run before the stage; success and failure rules after its actions.
        last = index if block.kind == "beforeEntry" else index + 1
        available = set().union(*produced_by_stage[:last])
        for condition in block.conditions:
            for rule in condition.rules:
                facts = types.rule_facts(rule.type.provider, rule.type.version)
                yield from _inputs_of(rule, stage, block, available, facts)


def _inputs_of(
    rule: Rule,
    stage: Stage,
    block: StageConditions,
    available: set[str],
    facts: TypeFacts | None,
) -> Iterable[Finding]:
    path = pointer_join(rule.pointer, "inputArtifacts")
    if facts is not None and not facts.reads_input_artifacts and rule.input_artifacts:
        yield _finding(
            "RULE_INPUT_ARTIFACTS_NOT_USED",
            WARNING,
            f"`{rule.type.provider}` rules read no input artifacts; those of `{rule.name}` "
            "are not used",
            path,
        )
    when = "before it" if block.kind == "beforeEntry" else "by then"
    for i, name in enumerate(rule.input_artifacts):
        if name not in available:
            yield _finding(
                "RULE_INPUT_ARTIFACT_UNKNOWN",
                ERROR,
                f"input artifact `{name}` of rule `{rule.name}` is not produced {when}: the "
                f"`{block.kind}` rules of stage `{stage.name}` can read only artifacts of "
                + ("earlier stages" if block.kind == "beforeEntry" else "this or earlier stages"),
                pointer_join(path, i),
            )


def _rule_limits(pipeline: Pipeline) -> Iterable[Finding]:
    for _stage, rule in pipeline.rules():
        timeout = rule.timeout_in_minutes
        if timeout is not None and not MIN_TIMEOUT <= timeout <= MAX_TIMEOUT:
            yield _finding(
                "INVALID_RULE_TIMEOUT",
                ERROR,
                f"timeoutInMinutes `{timeout}` of rule `{rule.name}` must be from {MIN_TIMEOUT} "
                f"to {MAX_TIMEOUT}",
                pointer_join(rule.pointer, "timeoutInMinutes"),
            )
        region = rule.region
        if region is not None and not MIN_REGION <= len(region) <= MAX_REGION:
            yield _finding(
                "INVALID_RULE_REGION",
                ERROR,
                f"region `{region}` of rule `{rule.name}` must have {MIN_REGION}-{MAX_REGION} "
                "characters",
                pointer_join(rule.pointer, "region"),
            )


CONDITION_CHECKS: tuple[Check, ...] = (
    _condition_counts,
    _rule_counts,
    _condition_results,
    _failure_results,
    _retry,
    _rollback_on_source_stage,
    _rule_names,
    _rule_configuration_sizes,
    _rule_limits,
)

RULE_TYPE_CHECKS: tuple[TypeCheck, ...] = (
    _skip_rules,
    _rule_types,
    _rule_configuration,
    _rule_commands,
    _rule_input_artifacts,
)
