"""Structure validation of a pipeline: the rules CodePipeline applies, as a table of small rules.

Each rule is a pure function doing one job: `(pipeline) -> Iterable[Finding]` for the rules that
hold for every pipeline (`RULES`), `(pipeline, types) -> Iterable[Finding]` for those that read
what the profile set says of each action type (`TYPE_RULES`: artifact counts, configuration
keys, V2-only; app.engine.pipeline.type_facts). `validate_pipeline` runs them all, with the
stage-condition checks of `structure_conditions`. An action type without a profile (or whose
profile states no `structure`) gets the checks that hold for every action. Codes are stable;
ERROR means CodePipeline would
reject the definition (or the action cannot run), WARNING a likely mistake, SUGGESTION advice.
Pointers are built from the model objects' `pointer` fields. Artifact and environment-variable
indexes are positions in the model's tuples, which match the JSON unless the parser skipped a
malformed entry.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from app.engine.findings import Finding, FindingType
from app.engine.iam.patterns.arn import split_arn
from app.engine.json_pointer import pointer_join
from app.engine.pipeline.model import Action, Pipeline, Stage
from app.engine.pipeline.structure_conditions import (
    CONDITION_CHECKS,
    RULE_TYPE_CHECKS,
    documented_versions,
)
from app.engine.pipeline.type_facts import KnownTypes, TypeFacts, value_in
from app.engine.profiles import ProfileSet

Rule = Callable[[Pipeline], Iterable[Finding]]
TypeRule = Callable[[Pipeline, KnownTypes], Iterable[Finding]]

ERROR = FindingType.ERROR
WARNING = FindingType.WARNING
SUGGESTION = FindingType.SUGGESTION

MIN_STAGES, MAX_STAGES = 2, 50
MAX_ACTIONS_PER_STAGE = 50
MAX_ACTIONS_PER_PIPELINE = 1000
MIN_RUN_ORDER, MAX_RUN_ORDER = 1, 999
MAX_CONFIG_KEY, MAX_CONFIG_VALUE = 50, 1000
MIN_TIMEOUT, MAX_TIMEOUT = 5, 86400
MAX_COMMANDS, MAX_COMMAND_LENGTH = 50, 1000
MAX_OUTPUT_VARIABLES, MAX_OUTPUT_VARIABLE_NAME = 15, 128
MAX_VARIABLES = 50
MAX_TRIGGERS = 50
MAX_TRIGGER_FILTERS = 3
MAX_ENVIRONMENT_VARIABLES, MAX_ENVIRONMENT_VALUE = 10, 2000
MAX_ROLE_ARN = 1024
# The API's action categories and owners.
CATEGORIES = frozenset({"Source", "Build", "Deploy", "Test", "Invoke", "Approval", "Compute"})
OWNERS = frozenset({"AWS", "ThirdParty", "Custom"})
# Custom action types may declare 0-5 input and output artifacts (ArtifactDetails).
CUSTOM_ARTIFACT_RANGE = (0, 5)

_NAME = re.compile(r"[A-Za-z0-9.@\-_]{1,100}")
_ARTIFACT_NAME = re.compile(r"[A-Za-z0-9_\-]{1,100}")
_NAMESPACE = re.compile(r"[A-Za-z0-9@\-_]{1,100}")
_VARIABLE_NAME = re.compile(r"[A-Za-z0-9@\-_]{1,128}")
_ENVIRONMENT_NAME = re.compile(r"[A-Za-z0-9_]{1,128}")
_PROVIDER = re.compile(r"[0-9A-Za-z_\-]{1,35}")
_VERSION = re.compile(r"[0-9A-Za-z_\-]{1,9}")
_ROLE_PARTITION = re.compile(r"aws(-[\w]+)*")
_ROLE_ACCOUNT = re.compile(r"[0-9]{12}")
# A role ARN with parts a template does not determine (`*`): invalid only if no value of them
# could make it a role ARN (the parser reported what is not known).
_ROLE_PARTITION_SHAPE = re.compile(r"aws[\w*-]*")
_ROLE_ACCOUNT_SHAPE = re.compile(r"[0-9*]*")


def _is_role_arn(arn: str) -> bool:
    unknown = "*" in arn
    if unknown and (arn == "*" or arn.startswith("arn:*")):
        return True
    parsed = split_arn(arn)
    partition = _ROLE_PARTITION_SHAPE if unknown else _ROLE_PARTITION
    account = _ROLE_ACCOUNT_SHAPE if unknown else _ROLE_ACCOUNT
    return (
        parsed is not None
        and partition.fullmatch(parsed.partition) is not None
        and parsed.service == "iam"
        and not parsed.region
        and account.fullmatch(parsed.account) is not None
        and parsed.resource.startswith("role/")
    )


def _fits(pattern: re.Pattern[str], value: str) -> bool:
    """Whether a name fits its pattern. A `*` is a part a template does not determine (its
    parser reported it): it is taken as some allowed text, so only the known parts are judged."""
    return pattern.fullmatch(value.replace("*", "000") if "*" in value else value) is not None


_BUCKET = re.compile(r"[a-zA-Z0-9\-.]{3,63}")
_REFERENCE = re.compile(r"#\{([^}]*)\}")

PIPELINE_TYPES = frozenset({"V1", "V2"})
EXECUTION_MODES = frozenset({"QUEUED", "SUPERSEDED", "PARALLEL"})
V2_EXECUTION_MODES = frozenset({"QUEUED", "PARALLEL"})
STAGE_CONDITION_KEYS = ("beforeEntry", "onSuccess", "onFailure")
ENVIRONMENT_TYPES = frozenset({"PLAINTEXT", "SECRETS_MANAGER"})
RESERVED_NAMESPACES = ("codepipeline", "variables")
CONNECTION = "CodeStarSourceConnection"
CLONE_REF = "CODEBUILD_CLONE_REF"
CLONE_REF_PROVIDERS = frozenset({"CodeCommit", CONNECTION})
POLLING_PROVIDERS = frozenset({("AWS", "S3"), ("AWS", "CodeCommit"), ("ThirdParty", "GitHub")})


def validate_pipeline(pipeline: Pipeline, profiles: ProfileSet) -> list[Finding]:
    """Every structure finding of one pipeline, most severe first, its action and rule types
    checked against what the profile set says of them."""
    types = profiles.known_types
    findings = [finding for rule in RULES for finding in rule(pipeline)]
    findings += [finding for rule in TYPE_RULES for finding in rule(pipeline, types)]
    return sorted(findings, key=Finding.sort_key)


# --- helpers -------------------------------------------------------------------------------


def _finding(code: str, kind: FindingType, message: str, path: str, **detail: Any) -> Finding:
    return Finding(code=code, finding_type=kind, message=message, path=path, detail=detail)


def _is_source(action: Action) -> bool:
    return action.type.category == "Source"


def _facts_of(action: Action, types: KnownTypes) -> TypeFacts | None:
    """What the profile set says of the action's type (never a rule type's facts, nor those of
    a part of every pipeline, for an action whose category is not an action category)."""
    if action.type.category not in CATEGORIES:
        return None
    return types.facts(action.type)


def _runs_commands(action: Action, types: KnownTypes) -> bool:
    facts = _facts_of(action, types)
    return facts is not None and facts.runs_commands


def _is_codebuild(action: Action) -> bool:
    return action.type.owner == "AWS" and action.type.provider == "CodeBuild"


def _is_connection_source(action: Action) -> bool:
    return _is_source(action) and action.type.provider == CONNECTION


def _has_runtime_value(value: str) -> bool:
    return _REFERENCE.search(value) is not None


def _indexed_actions(pipeline: Pipeline) -> Iterator[tuple[int, Stage, Action]]:
    for index, stage in enumerate(pipeline.stages):
        for action in stage.actions:
            yield index, stage, action


def _precedes(producer: tuple[int, int], consumer: tuple[int, int]) -> bool:
    """(stage index, runOrder) of a producer runs before that of a consumer."""
    return producer[0] < consumer[0] or (producer[0] == consumer[0] and producer[1] < consumer[1])


def _pipeline_region(pipeline: Pipeline) -> str | None:
    arn = pipeline.pipeline_arn or ""
    parts = arn.split(":")
    if len(parts) >= 6 and parts[0] == "arn" and parts[2] == "codepipeline" and parts[3]:
        return parts[3]
    return None


def _v1_kind(pipeline: Pipeline) -> FindingType | None:
    """ERROR for a declared V1 pipeline, WARNING when V1 is only assumed, None for V2."""
    if pipeline.pipeline_type == "V1":
        return ERROR
    if pipeline.pipeline_type is None:
        return WARNING
    return None


def _v1_suffix(pipeline: Pipeline) -> str:
    if pipeline.pipeline_type is None:
        return " (`pipelineType` is absent, so V1 is assumed)"
    return ""


def _config_pointer(action: Action, key: str) -> str:
    return pointer_join(action.pointer, "configuration", key)


def _producers(pipeline: Pipeline) -> dict[str, list[tuple[int, int, Action]]]:
    out: dict[str, list[tuple[int, int, Action]]] = defaultdict(list)
    for index, _stage, action in _indexed_actions(pipeline):
        for name in action.output_artifacts:
            out[name].append((index, action.run_order, action))
    return out


# --- stages --------------------------------------------------------------------------------


def _stage_count(pipeline: Pipeline) -> Iterable[Finding]:
    count = len(pipeline.stages)
    path = pointer_join(pipeline.pointer, "stages")
    if count < MIN_STAGES:
        yield _finding(
            "TOO_FEW_STAGES",
            ERROR,
            f"a pipeline needs at least {MIN_STAGES} stages and this one has {count}",
            path,
            count=count,
        )
    elif count > MAX_STAGES:
        yield _finding(
            "TOO_MANY_STAGES",
            ERROR,
            f"a pipeline can have at most {MAX_STAGES} stages and this one has {count}",
            path,
            count=count,
        )


def _stage_without_actions(pipeline: Pipeline) -> Iterable[Finding]:
    for stage in pipeline.stages:
        if not stage.actions:
            yield _finding(
                "STAGE_WITHOUT_ACTIONS",
                ERROR,
                f"stage `{stage.name}` has no actions and needs at least one",
                pointer_join(stage.pointer, "actions"),
            )


def _actions_per_stage(pipeline: Pipeline) -> Iterable[Finding]:
    for stage in pipeline.stages:
        if len(stage.actions) > MAX_ACTIONS_PER_STAGE:
            yield _finding(
                "TOO_MANY_ACTIONS_IN_STAGE",
                ERROR,
                f"stage `{stage.name}` has {len(stage.actions)} actions; "
                f"at most {MAX_ACTIONS_PER_STAGE} are allowed",
                pointer_join(stage.pointer, "actions", MAX_ACTIONS_PER_STAGE),
                count=len(stage.actions),
            )


def _actions_per_pipeline(pipeline: Pipeline) -> Iterable[Finding]:
    count = len(pipeline.actions())
    if count > MAX_ACTIONS_PER_PIPELINE:
        yield _finding(
            "TOO_MANY_ACTIONS",
            ERROR,
            f"the pipeline has {count} actions; at most {MAX_ACTIONS_PER_PIPELINE} are allowed",
            pointer_join(pipeline.pointer, "stages"),
            count=count,
        )


def _first_stage_has_source(pipeline: Pipeline) -> Iterable[Finding]:
    if not pipeline.stages:
        return
    first = pipeline.stages[0]
    if first.actions and not any(_is_source(a) for a in first.actions):
        yield _finding(
            "NO_SOURCE_ACTION",
            ERROR,
            f"the first stage `{first.name}` must contain at least one source action",
            pointer_join(first.pointer, "actions"),
        )


def _first_stage_only_source(pipeline: Pipeline) -> Iterable[Finding]:
    if not pipeline.stages:
        return
    first = pipeline.stages[0]
    if not any(_is_source(a) for a in first.actions):
        return  # NO_SOURCE_ACTION says it once
    for action in first.actions:
        if not _is_source(action):
            yield _finding(
                "NON_SOURCE_ACTION_IN_SOURCE_STAGE",
                ERROR,
                f"action `{action.name}` of category `{action.type.category}` cannot be in the "
                "first stage, which holds only source actions",
                pointer_join(action.pointer, "actionTypeId", "category"),
            )


def _source_only_in_first_stage(pipeline: Pipeline) -> Iterable[Finding]:
    for stage in pipeline.stages[1:]:
        for action in stage.actions:
            if _is_source(action):
                yield _finding(
                    "SOURCE_ACTION_OUTSIDE_FIRST_STAGE",
                    ERROR,
                    f"source action `{action.name}` is in stage `{stage.name}`; "
                    "source actions belong in the first stage only",
                    pointer_join(action.pointer, "actionTypeId", "category"),
                )


def _has_non_source_action(pipeline: Pipeline) -> Iterable[Finding]:
    actions = pipeline.actions()
    if actions and all(_is_source(a) for _s, a in actions):
        yield _finding(
            "NO_NON_SOURCE_ACTION",
            ERROR,
            "the pipeline needs at least one action that is not a source action",
            pointer_join(pipeline.pointer, "stages"),
        )


# --- names ---------------------------------------------------------------------------------


def _pipeline_name(pipeline: Pipeline) -> Iterable[Finding]:
    if not _fits(_NAME, pipeline.name):
        yield _finding(
            "INVALID_PIPELINE_NAME",
            ERROR,
            f"pipeline name `{pipeline.name}` must be 1-100 characters of A-Z a-z 0-9 . @ - _",
            pointer_join(pipeline.pointer, "name"),
        )


def _stage_names(pipeline: Pipeline) -> Iterable[Finding]:
    for stage in pipeline.stages:
        if not _fits(_NAME, stage.name):
            yield _finding(
                "INVALID_STAGE_NAME",
                ERROR,
                f"stage name `{stage.name}` must be 1-100 characters of A-Z a-z 0-9 . @ - _",
                pointer_join(stage.pointer, "name"),
            )


def _action_names(pipeline: Pipeline) -> Iterable[Finding]:
    for _stage, action in pipeline.actions():
        if not _fits(_NAME, action.name):
            yield _finding(
                "INVALID_ACTION_NAME",
                ERROR,
                f"action name `{action.name}` must be 1-100 characters of A-Z a-z 0-9 . @ - _",
                pointer_join(action.pointer, "name"),
            )


def _artifact_names(pipeline: Pipeline) -> Iterable[Finding]:
    # Output names only: a bad input name is either produced (reported there) or unresolved.
    for _stage, action in pipeline.actions():
        for i, name in enumerate(action.output_artifacts):
            if not _fits(_ARTIFACT_NAME, name):
                yield _finding(
                    "INVALID_ARTIFACT_NAME",
                    ERROR,
                    f"artifact name `{name}` must be 1-100 characters of A-Z a-z 0-9 - _ "
                    "(no periods)",
                    pointer_join(action.pointer, "outputArtifacts", i),
                )


def _namespace_names(pipeline: Pipeline) -> Iterable[Finding]:
    for _stage, action in pipeline.actions():
        if action.namespace is not None and not _fits(_NAMESPACE, action.namespace):
            yield _finding(
                "INVALID_NAMESPACE",
                ERROR,
                f"namespace `{action.namespace}` must be 1-100 characters of A-Z a-z 0-9 @ - _",
                pointer_join(action.pointer, "namespace"),
            )


def _variable_declarations(pipeline: Pipeline) -> Iterable[Finding]:
    path = pointer_join(pipeline.pointer, "variables")
    if len(pipeline.variables) > MAX_VARIABLES:
        yield _finding(
            "TOO_MANY_VARIABLES",
            ERROR,
            f"the pipeline declares {len(pipeline.variables)} variables; "
            f"at most {MAX_VARIABLES} are allowed",
            path,
        )
    for name in pipeline.variables:
        if not _fits(_VARIABLE_NAME, name):
            yield _finding(
                "INVALID_VARIABLE_NAME",
                ERROR,
                f"pipeline variable name `{name}` must be 1-128 characters of A-Z a-z 0-9 @ - _",
                path,
                variable=name,
            )


def _duplicate_stage_names(pipeline: Pipeline) -> Iterable[Finding]:
    seen: set[str] = set()
    for stage in pipeline.stages:
        if stage.name in seen:
            yield _finding(
                "DUPLICATE_STAGE_NAME",
                ERROR,
                f"stage name `{stage.name}` is used by an earlier stage; stage names are unique",
                pointer_join(stage.pointer, "name"),
            )
        seen.add(stage.name)


def _duplicate_action_names(pipeline: Pipeline) -> Iterable[Finding]:
    for stage in pipeline.stages:
        seen: set[str] = set()
        for action in stage.actions:
            if action.name in seen:
                yield _finding(
                    "DUPLICATE_ACTION_NAME",
                    ERROR,
                    f"action name `{action.name}` is used twice in stage `{stage.name}`",
                    pointer_join(action.pointer, "name"),
                )
            seen.add(action.name)


def _duplicate_output_artifacts(pipeline: Pipeline) -> Iterable[Finding]:
    seen: set[str] = set()
    for _stage, action in pipeline.actions():
        for i, name in enumerate(action.output_artifacts):
            if name in seen:
                yield _finding(
                    "DUPLICATE_OUTPUT_ARTIFACT",
                    ERROR,
                    f"output artifact `{name}` is produced more than once; "
                    "output artifact names are unique across the pipeline",
                    pointer_join(action.pointer, "outputArtifacts", i),
                )
            seen.add(name)


# --- artifacts and ordering ----------------------------------------------------------------


def _input_artifacts_resolve(pipeline: Pipeline) -> Iterable[Finding]:
    producers = _producers(pipeline)
    for index, _stage, action in _indexed_actions(pipeline):
        consumer = (index, action.run_order)
        for i, name in enumerate(action.input_artifacts):
            found = producers.get(name, [])
            path = pointer_join(action.pointer, "inputArtifacts", i)
            if not found:
                yield _finding(
                    "INPUT_ARTIFACT_UNKNOWN",
                    ERROR,
                    f"input artifact `{name}` of action `{action.name}` is not the output of "
                    "any action",
                    path,
                )
            elif not any(_precedes((s, r), consumer) for s, r, _a in found):
                yield _finding(
                    "INPUT_ARTIFACT_NOT_YET_PRODUCED",
                    ERROR,
                    f"input artifact `{name}` is produced by `{found[0][2].name}`, which does "
                    f"not run before `{action.name}` (earlier stage or lower runOrder)",
                    path,
                )


def _run_order_range(pipeline: Pipeline) -> Iterable[Finding]:
    for _stage, action in pipeline.actions():
        if not MIN_RUN_ORDER <= action.run_order <= MAX_RUN_ORDER:
            yield _finding(
                "RUN_ORDER_OUT_OF_RANGE",
                ERROR,
                f"runOrder `{action.run_order}` must be an integer from "
                f"{MIN_RUN_ORDER} to {MAX_RUN_ORDER}",
                pointer_join(action.pointer, "runOrder"),
            )


def _clone_ref_consumers(pipeline: Pipeline) -> Iterable[Finding]:
    clone_refs: dict[str, str] = {}
    for _stage, action in pipeline.actions():
        fmt = action.configuration.get("OutputArtifactFormat", "")
        if action.type.provider in CLONE_REF_PROVIDERS and fmt.upper() == CLONE_REF:
            for name in action.output_artifacts:
                clone_refs[name] = action.name
    for _stage, action in pipeline.actions():
        if _is_codebuild(action):
            continue
        for i, name in enumerate(action.input_artifacts):
            if name in clone_refs:
                yield _finding(
                    "CLONE_REF_CONSUMED_BY_NON_CODEBUILD",
                    ERROR,
                    f"artifact `{name}` is a `{CLONE_REF}` reference from `{clone_refs[name]}` "
                    f"and only CodeBuild actions can consume it, not `{action.name}`",
                    pointer_join(action.pointer, "inputArtifacts", i),
                )


# --- action types --------------------------------------------------------------------------


def _action_category(pipeline: Pipeline) -> Iterable[Finding]:
    for _stage, action in pipeline.actions():
        # `*`: a category a template does not determine (its parser reported it).
        if action.type.category not in CATEGORIES and "*" not in action.type.category:
            yield _finding(
                "UNKNOWN_ACTION_CATEGORY",
                ERROR,
                f"action category `{action.type.category}` is not one of "
                f"{', '.join(sorted(CATEGORIES))}",
                pointer_join(action.pointer, "actionTypeId", "category"),
            )


def _action_owner(pipeline: Pipeline) -> Iterable[Finding]:
    for _stage, action in pipeline.actions():
        if action.type.owner not in OWNERS:
            yield _finding(
                "UNKNOWN_ACTION_OWNER",
                ERROR,
                f"action owner `{action.type.owner}` is not one of AWS, ThirdParty, Custom",
                pointer_join(action.pointer, "actionTypeId", "owner"),
            )


def _action_type_strings(pipeline: Pipeline) -> Iterable[Finding]:
    for _stage, action in pipeline.actions():
        type_pointer = pointer_join(action.pointer, "actionTypeId")
        if not _fits(_PROVIDER, action.type.provider):
            yield _finding(
                "INVALID_ACTION_PROVIDER",
                ERROR,
                f"provider `{action.type.provider}` must be 1-35 characters of A-Z a-z 0-9 - _",
                pointer_join(type_pointer, "provider"),
            )
        if not _fits(_VERSION, action.type.version):
            yield _finding(
                "INVALID_ACTION_VERSION",
                ERROR,
                f"version `{action.type.version}` must be 1-9 characters of A-Z a-z 0-9 - _",
                pointer_join(type_pointer, "version"),
            )


def _unknown_aws_action_type(pipeline: Pipeline, types: KnownTypes) -> Iterable[Finding]:
    for _stage, action in pipeline.actions():
        kind = action.type
        if kind.owner != "AWS" or kind.category not in CATEGORIES:
            continue
        type_pointer = pointer_join(action.pointer, "actionTypeId")
        versions = types.versions(kind.category, kind.owner, kind.provider)
        if not versions:
            yield _finding(
                "UNKNOWN_AWS_ACTION_TYPE",
                WARNING,
                f"`{kind.category}` action provider `{kind.provider}` owned by AWS is not a "
                "known CodePipeline action type",
                pointer_join(type_pointer, "provider"),
            )
        elif kind.version not in versions:
            yield _finding(
                "UNKNOWN_AWS_ACTION_VERSION",
                WARNING,
                f"the AWS action `{kind.provider}` has version `{kind.version}`, "
                f"but only {documented_versions(versions)} documented",
                pointer_join(type_pointer, "version"),
            )


def _connection_third_party_owner(pipeline: Pipeline) -> Iterable[Finding]:
    for _stage, action in pipeline.actions():
        if action.type.provider == CONNECTION and action.type.owner == "ThirdParty":
            yield _finding(
                "CONNECTION_OWNER_THIRD_PARTY",
                WARNING,
                f"`{CONNECTION}` actions are owned by `AWS`, not `ThirdParty`",
                pointer_join(action.pointer, "actionTypeId", "owner"),
            )


def _artifact_range(
    action: Action, facts: TypeFacts | None
) -> tuple[tuple[int, int] | None, tuple[int, int] | None]:
    if facts is not None and facts.inputs is not None and facts.outputs is not None:
        config = action.configuration
        return facts.inputs.bounds(config), facts.outputs.bounds(config)
    if action.type.owner == "Custom":
        high_in = 0 if _is_source(action) else CUSTOM_ARTIFACT_RANGE[1]
        return (0, high_in), CUSTOM_ARTIFACT_RANGE
    if _is_source(action):
        return (0, 0), None
    return None, None


def _count_phrase(low: int, high: int) -> str:
    return f"exactly {low}" if low == high else f"{low} to {high}"


def _artifact_counts(pipeline: Pipeline, types: KnownTypes) -> Iterable[Finding]:
    for _stage, action in pipeline.actions():
        inputs, outputs = _artifact_range(action, _facts_of(action, types))
        label = f"`{action.type.category}/{action.type.owner}/{action.type.provider}`"
        for code, field, bounds, names in (
            ("INPUT_ARTIFACT_COUNT", "inputArtifacts", inputs, action.input_artifacts),
            ("OUTPUT_ARTIFACT_COUNT", "outputArtifacts", outputs, action.output_artifacts),
        ):
            if bounds is None or bounds[0] <= len(names) <= bounds[1]:
                continue
            what = field.removesuffix("Artifacts")
            yield _finding(
                code,
                ERROR,
                f"action `{action.name}` has {len(names)} {what} artifact(s); {label} takes "
                f"{_count_phrase(*bounds)}",
                pointer_join(action.pointer, field),
                count=len(names),
                minimum=bounds[0],
                maximum=bounds[1],
            )


# --- configuration -------------------------------------------------------------------------


def _required_configuration(pipeline: Pipeline, types: KnownTypes) -> Iterable[Finding]:
    for _stage, action in pipeline.actions():
        facts = _facts_of(action, types)
        if facts is None:
            continue
        config = action.configuration
        missing = [k for k in facts.required if k not in config]
        groups = facts.alternatives
        if groups and not any(all(k in config for k in g) for g in groups):
            closest = min(groups, key=lambda g: sum(k not in config for k in g))
            missing += [k for k in closest if k not in config]
        for key in missing:
            yield _finding(
                "MISSING_CONFIGURATION_KEY",
                ERROR,
                f"action `{action.name}` ({action.type.provider}) requires configuration key "
                f"`{key}`",
                _config_pointer(action, key),
                key=key,
            )


def _conditional_configuration(pipeline: Pipeline, types: KnownTypes) -> Iterable[Finding]:
    for _stage, action in pipeline.actions():
        facts = _facts_of(action, types)
        if facts is None:
            continue
        config = action.configuration
        for entry in facts.conditional:
            situation = entry.required_when
            assert situation is not None
            if entry.name in config or not situation.holds(config, len(action.input_artifacts)):
                continue
            yield _finding(
                "MISSING_CONDITIONAL_CONFIGURATION_KEY",
                ERROR,
                f"action `{action.name}` requires configuration key `{entry.name}` when "
                f"{situation.describe()}",
                _config_pointer(action, entry.name),
                key=entry.name,
            )


def _configuration_dependencies(pipeline: Pipeline, types: KnownTypes) -> Iterable[Finding]:
    for _stage, action in pipeline.actions():
        facts = _facts_of(action, types)
        if facts is None:
            continue
        config = action.configuration
        for entry in facts.prerequisites:
            dep = entry.needs
            assert dep is not None
            if entry.name not in config:
                continue
            needed = config.get(dep.key)
            satisfied = needed is not None and (
                not dep.values or value_in(needed, dep.values) or _has_runtime_value(needed)
            )
            if satisfied:
                continue
            shown = f"`{dep.key}`"
            if dep.values:
                shown += " set to `" + "/".join(sorted(dep.values)) + "`"
            yield _finding(
                "CONFIGURATION_KEY_WITHOUT_PREREQUISITE",
                ERROR if dep.error else WARNING,
                f"configuration key `{entry.name}` of action `{action.name}` only applies with "
                f"{shown}",
                _config_pointer(action, entry.name),
                key=entry.name,
                needs=dep.key,
            )


def _configuration_values(pipeline: Pipeline, types: KnownTypes) -> Iterable[Finding]:
    for _stage, action in pipeline.actions():
        facts = _facts_of(action, types)
        if facts is None:
            continue
        for key, allowed in facts.allowed_values.items():
            value = action.configuration.get(key)
            if value is None or _has_runtime_value(value) or value_in(value, allowed):
                continue
            yield _finding(
                "INVALID_CONFIGURATION_VALUE",
                ERROR,
                f"configuration `{key}` of action `{action.name}` is `{value}`; allowed values "
                f"are {', '.join(sorted(allowed))}",
                _config_pointer(action, key),
                key=key,
            )


def _unknown_configuration_keys(pipeline: Pipeline, types: KnownTypes) -> Iterable[Finding]:
    for _stage, action in pipeline.actions():
        facts = _facts_of(action, types)
        if facts is None or not facts.keys_documented:
            continue
        for key in action.configuration:
            if key not in facts.keys:
                yield _finding(
                    "UNKNOWN_CONFIGURATION_KEY",
                    WARNING,
                    f"configuration key `{key}` is not documented for "
                    f"`{action.type.category}/{action.type.provider}` actions",
                    _config_pointer(action, key),
                    key=key,
                )


def _configuration_artifact_references(pipeline: Pipeline, types: KnownTypes) -> Iterable[Finding]:
    for _stage, action in pipeline.actions():
        facts = _facts_of(action, types)
        if facts is None:
            continue
        config = action.configuration
        for entry in facts.artifact_keys:
            key = entry.name
            value = config.get(key)
            if value is None or _has_runtime_value(value):
                continue
            artifact = value
            if entry.artifact == "path":
                artifact, sep, path = value.partition("::")
                if not sep or not artifact or not path:
                    yield _finding(
                        "INVALID_ARTIFACT_PATH",
                        ERROR,
                        f"configuration `{key}` is `{value}` and must have the form "
                        "`ArtifactName::path/in/artifact`",
                        _config_pointer(action, key),
                        key=key,
                    )
                    continue
            if artifact not in action.input_artifacts:
                yield _finding(
                    "CONFIGURATION_ARTIFACT_NOT_INPUT",
                    ERROR,
                    f"configuration `{key}` names artifact `{artifact}`, which is not an input "
                    f"artifact of action `{action.name}`",
                    _config_pointer(action, key),
                    key=key,
                    artifact=artifact,
                )


def _configuration_sizes(pipeline: Pipeline) -> Iterable[Finding]:
    for _stage, action in pipeline.actions():
        for key, value in action.configuration.items():
            path = _config_pointer(action, key)
            if not 1 <= len(key) <= MAX_CONFIG_KEY:
                yield _finding(
                    "CONFIGURATION_KEY_LENGTH",
                    ERROR,
                    f"configuration key `{key[:60]}` must be 1-{MAX_CONFIG_KEY} characters",
                    path,
                    length=len(key),
                )
            if not 1 <= len(value) <= MAX_CONFIG_VALUE:
                yield _finding(
                    "CONFIGURATION_VALUE_LENGTH",
                    ERROR,
                    f"the value of configuration key `{key[:60]}` has {len(value)} characters; "
                    f"it must be 1-{MAX_CONFIG_VALUE}",
                    path,
                    length=len(value),
                )


def _environment_variables(pipeline: Pipeline) -> Iterable[Finding]:
    for _stage, action in pipeline.actions():
        path = pointer_join(action.pointer, "environmentVariables")
        variables = action.environment_variables
        if len(variables) > MAX_ENVIRONMENT_VARIABLES:
            yield _finding(
                "TOO_MANY_ENVIRONMENT_VARIABLES",
                ERROR,
                f"action `{action.name}` has {len(variables)} environment variables; "
                f"at most {MAX_ENVIRONMENT_VARIABLES} are allowed",
                path,
            )
        for i, var in enumerate(variables):
            bad_name = not _ENVIRONMENT_NAME.fullmatch(var.name)
            bad_value = not 1 <= len(var.value) <= MAX_ENVIRONMENT_VALUE
            bad_type = var.type not in ENVIRONMENT_TYPES
            if bad_name or bad_value or bad_type:
                yield _finding(
                    "INVALID_ENVIRONMENT_VARIABLE",
                    ERROR,
                    f"environment variable `{var.name}` needs a name of A-Z a-z 0-9 _, a value "
                    f"of 1-{MAX_ENVIRONMENT_VALUE} characters and type PLAINTEXT or "
                    "SECRETS_MANAGER",
                    pointer_join(path, i),
                )


def _role_arns(pipeline: Pipeline) -> Iterable[Finding]:
    candidates = [(pipeline.role_arn, pointer_join(pipeline.pointer, "roleArn"))]
    candidates += [
        (a.role_arn, pointer_join(a.pointer, "roleArn"))
        for _s, a in pipeline.actions()
        if a.role_arn is not None
    ]
    candidates += [
        (r.role_arn, pointer_join(r.pointer, "roleArn"))
        for _s, r in pipeline.rules()
        if r.role_arn is not None
    ]
    for arn, path in candidates:
        if len(arn) > MAX_ROLE_ARN or not _is_role_arn(arn):
            yield _finding(
                "INVALID_ROLE_ARN",
                ERROR,
                f"role `{arn}` is not an IAM role ARN (`arn:aws:iam::<12-digit account>:role/...`)",
                path,
            )


# --- pipeline type (V2-only features) ------------------------------------------------------


def _pipeline_type(pipeline: Pipeline) -> Iterable[Finding]:
    if pipeline.pipeline_type is not None and pipeline.pipeline_type not in PIPELINE_TYPES:
        yield _finding(
            "INVALID_PIPELINE_TYPE",
            ERROR,
            f"pipelineType `{pipeline.pipeline_type}` must be `V1` or `V2`",
            pointer_join(pipeline.pointer, "pipelineType"),
        )


def _execution_mode(pipeline: Pipeline) -> Iterable[Finding]:
    mode = pipeline.extras.get("executionMode")
    if mode is not None and mode not in EXECUTION_MODES:
        yield _finding(
            "INVALID_EXECUTION_MODE",
            ERROR,
            f"executionMode `{mode}` must be one of QUEUED, SUPERSEDED, PARALLEL",
            pointer_join(pipeline.pointer, "executionMode"),
        )


def _v2_variables(pipeline: Pipeline) -> Iterable[Finding]:
    kind = _v1_kind(pipeline)
    if kind is not None and pipeline.variables:
        yield _finding(
            "V2_ONLY_VARIABLES",
            kind,
            f"pipeline-level variables need a V2 pipeline{_v1_suffix(pipeline)}",
            pointer_join(pipeline.pointer, "variables"),
        )


def _v2_triggers(pipeline: Pipeline) -> Iterable[Finding]:
    kind = _v1_kind(pipeline)
    if kind is not None and pipeline.extras.get("triggers"):
        yield _finding(
            "V2_ONLY_TRIGGERS",
            kind,
            f"triggers need a V2 pipeline{_v1_suffix(pipeline)}",
            pointer_join(pipeline.pointer, "triggers"),
        )


def _v2_execution_mode(pipeline: Pipeline) -> Iterable[Finding]:
    kind = _v1_kind(pipeline)
    mode = pipeline.extras.get("executionMode")
    if kind is not None and mode in V2_EXECUTION_MODES:
        yield _finding(
            "V2_ONLY_EXECUTION_MODE",
            kind,
            f"executionMode `{mode}` needs a V2 pipeline{_v1_suffix(pipeline)}",
            pointer_join(pipeline.pointer, "executionMode"),
        )


def _v2_stage_conditions(pipeline: Pipeline) -> Iterable[Finding]:
    kind = _v1_kind(pipeline)
    if kind is None:
        return
    for stage in pipeline.stages:
        for key in STAGE_CONDITION_KEYS:
            if stage.extras.get(key) is not None:
                yield _finding(
                    "V2_ONLY_STAGE_CONDITION",
                    kind,
                    f"`{key}` on stage `{stage.name}` needs a V2 pipeline{_v1_suffix(pipeline)}",
                    pointer_join(stage.pointer, key),
                )


def _v2_action_types(pipeline: Pipeline, types: KnownTypes) -> Iterable[Finding]:
    kind = _v1_kind(pipeline)
    if kind is None:
        return
    for _stage, action in pipeline.actions():
        facts = _facts_of(action, types)
        if facts is not None and facts.v2_only:
            yield _finding(
                "V2_ONLY_ACTION_TYPE",
                kind,
                f"`{action.type.category}/{action.type.provider}` action `{action.name}` needs "
                f"a V2 pipeline{_v1_suffix(pipeline)}",
                pointer_join(action.pointer, "actionTypeId", "provider"),
            )


def _parallel_rollback(pipeline: Pipeline) -> Iterable[Finding]:
    if pipeline.extras.get("executionMode") != "PARALLEL":
        return
    for stage in pipeline.stages:
        on_failure = stage.extras.get("onFailure")
        if isinstance(on_failure, Mapping) and on_failure.get("result") == "ROLLBACK":
            yield _finding(
                "ROLLBACK_IN_PARALLEL_MODE",
                ERROR,
                f"stage `{stage.name}` rolls back on failure, which PARALLEL pipelines cannot do",
                pointer_join(stage.pointer, "onFailure", "result"),
            )


# --- regions and artifact stores -----------------------------------------------------------


def _region_not_allowed(pipeline: Pipeline) -> Iterable[Finding]:
    home = _pipeline_region(pipeline)
    for _stage, action in pipeline.actions():
        region = action.region
        if region is None or region == home:
            continue
        if _is_source(action):
            what = "source actions"
        elif action.type.owner in ("ThirdParty", "Custom"):
            what = f"`{action.type.owner}` actions"
        else:
            continue
        known = home is not None
        yield _finding(
            "REGION_NOT_ALLOWED",
            ERROR if known else WARNING,
            f"{what} run in the pipeline's own Region and cannot set region `{region}`"
            + ("" if known else " unless it is the pipeline's Region"),
            pointer_join(action.pointer, "region"),
        )


def _cross_region_needs_artifact_stores(pipeline: Pipeline) -> Iterable[Finding]:
    single = [s for s in pipeline.artifact_stores if s.region is None]
    if not single or any(s.region is not None for s in pipeline.artifact_stores):
        return
    home = _pipeline_region(pipeline)
    regions = sorted({a.region for _s, a in pipeline.actions() if a.region is not None} - {home})
    if not regions:
        return
    certain = home is not None or len(regions) > 1
    shown = ", ".join(f"`{r}`" for r in regions)
    yield _finding(
        "CROSS_REGION_NEEDS_ARTIFACT_STORES",
        ERROR if certain else WARNING,
        f"actions run in region {shown}, so the pipeline needs `artifactStores` with a bucket "
        "per Region instead of `artifactStore`"
        + ("" if certain else " unless that is the pipeline's Region"),
        single[0].pointer,
        regions=regions,
    )


def _artifact_store_regions(pipeline: Pipeline) -> Iterable[Finding]:
    mapped = {s.region for s in pipeline.artifact_stores if s.region is not None}
    if not mapped:
        return
    home = _pipeline_region(pipeline)
    needed = {a.region for _s, a in pipeline.actions() if a.region is not None}
    if home is not None:
        needed.add(home)
    for region in sorted(needed - mapped):
        yield _finding(
            "ARTIFACT_STORE_REGION_MISSING",
            ERROR,
            f"`artifactStores` has no bucket for region `{region}`, "
            "which the pipeline or one of its actions uses",
            pointer_join(pipeline.pointer, "artifactStores"),
            region=region,
        )


def _artifact_store_forms(pipeline: Pipeline) -> Iterable[Finding]:
    stores = pipeline.artifact_stores
    if any(s.region is None for s in stores) and any(s.region is not None for s in stores):
        yield _finding(
            "ARTIFACT_STORE_BOTH_FORMS",
            ERROR,
            "use exactly one of `artifactStore` and `artifactStores`, not both",
            pointer_join(pipeline.pointer, "artifactStores"),
        )


def _artifact_store_shape(pipeline: Pipeline) -> Iterable[Finding]:
    for store in pipeline.artifact_stores:
        if not _fits(_BUCKET, store.location):
            yield _finding(
                "INVALID_ARTIFACT_STORE_LOCATION",
                ERROR,
                f"artifact store location `{store.location}` must be a bucket name of "
                "3-63 characters of a-z A-Z 0-9 - . (no folder)",
                pointer_join(store.pointer, "location"),
            )
        if store.type != "S3":
            yield _finding(
                "INVALID_ARTIFACT_STORE_TYPE",
                ERROR,
                f"artifact store type `{store.type}` must be `S3`",
                pointer_join(store.pointer, "type"),
            )


# --- namespaces and variables --------------------------------------------------------------


def _duplicate_namespaces(pipeline: Pipeline) -> Iterable[Finding]:
    seen: set[str] = set()
    for _stage, action in pipeline.actions():
        if action.namespace is None:
            continue
        if action.namespace in seen:
            yield _finding(
                "DUPLICATE_NAMESPACE",
                ERROR,
                f"namespace `{action.namespace}` is used by an earlier action; "
                "namespaces are unique across the pipeline",
                pointer_join(action.pointer, "namespace"),
            )
        seen.add(action.namespace)


def _namespace_is_artifact_name(pipeline: Pipeline) -> Iterable[Finding]:
    artifacts = {
        name for _s, a in pipeline.actions() for name in (*a.input_artifacts, *a.output_artifacts)
    }
    for _stage, action in pipeline.actions():
        if action.namespace is not None and action.namespace in artifacts:
            yield _finding(
                "NAMESPACE_IS_ARTIFACT_NAME",
                ERROR,
                f"namespace `{action.namespace}` is also an artifact name; "
                "namespaces must not collide with artifact names",
                pointer_join(action.pointer, "namespace"),
            )


def _reserved_namespaces(pipeline: Pipeline) -> Iterable[Finding]:
    for _stage, action in pipeline.actions():
        if action.namespace not in RESERVED_NAMESPACES:
            continue
        conflict = action.namespace == "codepipeline" or bool(pipeline.variables)
        yield _finding(
            "RESERVED_NAMESPACE",
            ERROR if conflict else WARNING,
            f"namespace `{action.namespace}` is reserved by CodePipeline"
            + ("" if conflict else " for pipeline-level variables"),
            pointer_join(action.pointer, "namespace"),
        )


def _references(action: Action) -> Iterator[tuple[str, str, str]]:
    """(pointer, whole reference, inside of the braces) for each `#{...}` in the action."""
    for key, value in action.configuration.items():
        for match in _REFERENCE.finditer(value):
            yield _config_pointer(action, key), match.group(0), match.group(1)
    for var in action.environment_variables:
        for match in _REFERENCE.finditer(var.value):
            yield (
                pointer_join(action.pointer, "environmentVariables"),
                match.group(0),
                match.group(1),
            )


def _variable_references(pipeline: Pipeline) -> Iterable[Finding]:
    namespaces: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for index, _stage, action in _indexed_actions(pipeline):
        if action.namespace is not None:
            namespaces[action.namespace].append((index, action.run_order))
    action_variables_ns = "variables" in namespaces and not pipeline.variables
    for index, _stage, action in _indexed_actions(pipeline):
        here = (index, action.run_order)
        seen: set[tuple[str, str]] = set()
        for path, whole, inner in _references(action):
            if (path, whole) in seen:
                continue
            seen.add((path, whole))
            namespace, dot, key = inner.partition(".")
            if not dot or not namespace or not key:
                yield _finding(
                    "MALFORMED_VARIABLE_REFERENCE",
                    WARNING,
                    f"`{whole}` is not a variable reference of the form `#{{namespace.key}}`",
                    path,
                )
            elif namespace == "codepipeline":
                continue
            elif namespace == "variables" and not action_variables_ns:
                if key not in pipeline.variables:
                    yield _finding(
                        "UNDECLARED_PIPELINE_VARIABLE",
                        ERROR,
                        f"`{whole}` refers to pipeline variable `{key}`, which is not declared",
                        path,
                        variable=key,
                    )
            elif namespace not in namespaces:
                yield _finding(
                    "UNKNOWN_VARIABLE_NAMESPACE",
                    ERROR,
                    f"`{whole}` refers to namespace `{namespace}`, which no action declares",
                    path,
                    namespace=namespace,
                )
            elif not any(_precedes(p, here) for p in namespaces[namespace]):
                yield _finding(
                    "VARIABLE_NOT_YET_AVAILABLE",
                    ERROR,
                    f"`{whole}` refers to namespace `{namespace}`, whose action does not run "
                    f"before `{action.name}` (earlier stage or lower runOrder)",
                    path,
                    namespace=namespace,
                )


def _pipeline_variables_in_source(pipeline: Pipeline) -> Iterable[Finding]:
    for _stage, action in pipeline.actions():
        if not _is_source(action):
            continue
        for path, whole, inner in _references(action):
            if inner.startswith("variables."):
                yield _finding(
                    "PIPELINE_VARIABLE_IN_SOURCE_ACTION",
                    WARNING,
                    f"`{whole}` uses a pipeline-level variable, which source actions cannot use",
                    path,
                )


# --- action-level extras -------------------------------------------------------------------


def _timeouts(pipeline: Pipeline) -> Iterable[Finding]:
    for _stage, action in pipeline.actions():
        value = action.extras.get("timeoutInMinutes")
        if value is None:
            continue
        path = pointer_join(action.pointer, "timeoutInMinutes")
        if (action.type.category, action.type.provider) != ("Approval", "Manual"):
            yield _finding(
                "TIMEOUT_NOT_ALLOWED",
                ERROR,
                f"`timeoutInMinutes` is only allowed on manual approval actions, "
                f"not on `{action.name}`",
                path,
            )
        elif (
            not isinstance(value, int)
            or isinstance(value, bool)
            or not MIN_TIMEOUT <= value <= MAX_TIMEOUT
        ):
            yield _finding(
                "INVALID_TIMEOUT",
                ERROR,
                f"timeoutInMinutes `{value}` must be an integer from {MIN_TIMEOUT} "
                f"to {MAX_TIMEOUT}",
                path,
            )


def _commands_present(pipeline: Pipeline, types: KnownTypes) -> Iterable[Finding]:
    for _stage, action in pipeline.actions():
        commands = action.extras.get("commands")
        path = pointer_join(action.pointer, "commands")
        runs = _runs_commands(action, types)
        if runs and not commands:
            yield _finding(
                "COMMANDS_MISSING",
                ERROR,
                f"the {action.type.provider} action `{action.name}` needs a `commands` list of "
                f"1-{MAX_COMMANDS} strings",
                path,
            )
        elif not runs and commands is not None:
            yield _finding(
                "COMMANDS_NOT_ALLOWED",
                ERROR,
                f"`commands` is only allowed on Commands actions, not on `{action.name}`",
                path,
            )


def _commands_shape(pipeline: Pipeline, types: KnownTypes) -> Iterable[Finding]:
    for _stage, action in pipeline.actions():
        commands = action.extras.get("commands")
        if not _runs_commands(action, types) or not commands:
            continue
        path = pointer_join(action.pointer, "commands")
        if not isinstance(commands, list):
            yield _finding("INVALID_COMMANDS", ERROR, "`commands` must be a list of strings", path)
            continue
        if len(commands) > MAX_COMMANDS:
            yield _finding(
                "INVALID_COMMANDS",
                ERROR,
                f"`commands` has {len(commands)} entries; at most {MAX_COMMANDS} are allowed",
                pointer_join(path, MAX_COMMANDS),
            )
        for i, command in enumerate(commands):
            if (
                not isinstance(command, str)
                or not 1 <= len(command) <= MAX_COMMAND_LENGTH
                or "\n" in command
                or "\r" in command
            ):
                yield _finding(
                    "INVALID_COMMANDS",
                    ERROR,
                    f"each command must be a single-line string of 1-{MAX_COMMAND_LENGTH} "
                    "characters",
                    pointer_join(path, i),
                )


def _output_variables(pipeline: Pipeline) -> Iterable[Finding]:
    for _stage, action in pipeline.actions():
        names = action.extras.get("outputVariables")
        if names is None:
            continue
        path = pointer_join(action.pointer, "outputVariables")
        valid = (
            isinstance(names, list)
            and 1 <= len(names) <= MAX_OUTPUT_VARIABLES
            and all(isinstance(n, str) and 1 <= len(n) <= MAX_OUTPUT_VARIABLE_NAME for n in names)
        )
        if not valid:
            yield _finding(
                "INVALID_OUTPUT_VARIABLES",
                ERROR,
                f"`outputVariables` must list 1-{MAX_OUTPUT_VARIABLES} names of at most "
                f"{MAX_OUTPUT_VARIABLE_NAME} characters",
                path,
            )


# --- triggers ------------------------------------------------------------------------------


def _trigger_list(pipeline: Pipeline) -> list[Any]:
    triggers = pipeline.extras.get("triggers")
    return triggers if isinstance(triggers, list) else []


def _trigger_shape(pipeline: Pipeline) -> Iterable[Finding]:
    triggers = pipeline.extras.get("triggers")
    path = pointer_join(pipeline.pointer, "triggers")
    if triggers is None:
        return
    if not isinstance(triggers, list):
        yield _finding("INVALID_TRIGGER", ERROR, "`triggers` must be a list of triggers", path)
        return
    if len(triggers) > MAX_TRIGGERS:
        yield _finding(
            "TOO_MANY_TRIGGERS",
            ERROR,
            f"the pipeline has {len(triggers)} triggers; at most {MAX_TRIGGERS} are allowed",
            pointer_join(path, MAX_TRIGGERS),
        )
    for i, trigger in enumerate(triggers):
        git = trigger.get("gitConfiguration") if isinstance(trigger, Mapping) else None
        if not isinstance(git, Mapping):
            yield _finding(
                "INVALID_TRIGGER",
                ERROR,
                "a trigger must be an object with `providerType` and `gitConfiguration`",
                pointer_join(path, i),
            )


def _trigger_provider(pipeline: Pipeline) -> Iterable[Finding]:
    for i, trigger in enumerate(_trigger_list(pipeline)):
        if not isinstance(trigger, Mapping):
            continue
        provider = trigger.get("providerType")
        if provider != CONNECTION:
            yield _finding(
                "TRIGGER_PROVIDER_UNSUPPORTED",
                ERROR,
                f"trigger providerType `{provider}` is not supported; only `{CONNECTION}` is",
                pointer_join(pipeline.pointer, "triggers", i, "providerType"),
            )


def _trigger_source_action(pipeline: Pipeline) -> Iterable[Finding]:
    sources = {a.name: a for _s, a in pipeline.actions() if _is_source(a)}
    for i, trigger in enumerate(_trigger_list(pipeline)):
        git = trigger.get("gitConfiguration") if isinstance(trigger, Mapping) else None
        if not isinstance(git, Mapping):
            continue
        name = git.get("sourceActionName")
        path = pointer_join(pipeline.pointer, "triggers", i, "gitConfiguration", "sourceActionName")
        action = sources.get(name) if isinstance(name, str) else None
        if action is None:
            yield _finding(
                "TRIGGER_SOURCE_ACTION_UNKNOWN",
                ERROR,
                f"trigger sourceActionName `{name}` does not name a source action",
                path,
            )
        elif not _is_connection_source(action):
            yield _finding(
                "TRIGGER_SOURCE_NOT_CONNECTION",
                ERROR,
                f"triggers work only with `{CONNECTION}` source actions, and `{name}` is "
                f"`{action.type.provider}`",
                path,
            )


def _trigger_filters(pipeline: Pipeline) -> Iterable[Finding]:
    for i, trigger in enumerate(_trigger_list(pipeline)):
        git = trigger.get("gitConfiguration") if isinstance(trigger, Mapping) else None
        if not isinstance(git, Mapping):
            continue
        for event in ("push", "pullRequest"):
            filters = git.get(event)
            if isinstance(filters, list) and len(filters) > MAX_TRIGGER_FILTERS:
                yield _finding(
                    "TOO_MANY_TRIGGER_FILTERS",
                    ERROR,
                    f"a trigger can have at most {MAX_TRIGGER_FILTERS} `{event}` filters, "
                    f"this one has {len(filters)}",
                    pointer_join(
                        pipeline.pointer,
                        "triggers",
                        i,
                        "gitConfiguration",
                        event,
                        MAX_TRIGGER_FILTERS,
                    ),
                )


# --- advice --------------------------------------------------------------------------------


def _polling_sources(pipeline: Pipeline) -> Iterable[Finding]:
    for _stage, action in pipeline.actions():
        if not _is_source(action) or (action.type.owner, action.type.provider) not in (
            POLLING_PROVIDERS
        ):
            continue
        poll = action.configuration.get("PollForSourceChanges")
        if poll is None or poll.lower() == "true":
            yield _finding(
                "POLLING_SOURCE",
                SUGGESTION,
                f"source action `{action.name}` polls for changes; set `PollForSourceChanges` "
                "to `false` and use event-based change detection",
                _config_pointer(action, "PollForSourceChanges"),
            )


def _github_v1_source(pipeline: Pipeline) -> Iterable[Finding]:
    for _stage, action in pipeline.actions():
        if _is_source(action) and (action.type.owner, action.type.provider) == (
            "ThirdParty",
            "GitHub",
        ):
            yield _finding(
                "GITHUB_V1_SOURCE",
                SUGGESTION,
                f"source action `{action.name}` uses the GitHub version 1 (OAuth) action; "
                f"AWS recommends a `{CONNECTION}` action",
                pointer_join(action.pointer, "actionTypeId", "provider"),
            )


RULES: tuple[Rule, ...] = (
    _stage_count,
    _stage_without_actions,
    _actions_per_stage,
    _actions_per_pipeline,
    _first_stage_has_source,
    _first_stage_only_source,
    _source_only_in_first_stage,
    _has_non_source_action,
    _pipeline_name,
    _stage_names,
    _action_names,
    _artifact_names,
    _namespace_names,
    _variable_declarations,
    _duplicate_stage_names,
    _duplicate_action_names,
    _duplicate_output_artifacts,
    _input_artifacts_resolve,
    _run_order_range,
    _clone_ref_consumers,
    _action_category,
    _action_owner,
    _action_type_strings,
    _connection_third_party_owner,
    _configuration_sizes,
    _environment_variables,
    _role_arns,
    _pipeline_type,
    _execution_mode,
    _v2_variables,
    _v2_triggers,
    _v2_execution_mode,
    _v2_stage_conditions,
    _parallel_rollback,
    _region_not_allowed,
    _cross_region_needs_artifact_stores,
    _artifact_store_regions,
    _artifact_store_forms,
    _artifact_store_shape,
    _duplicate_namespaces,
    _namespace_is_artifact_name,
    _reserved_namespaces,
    _variable_references,
    _pipeline_variables_in_source,
    _timeouts,
    _output_variables,
    _trigger_shape,
    _trigger_provider,
    _trigger_source_action,
    _trigger_filters,
    _polling_sources,
    _github_v1_source,
    *CONDITION_CHECKS,
)

TYPE_RULES: tuple[TypeRule, ...] = (
    _unknown_aws_action_type,
    _artifact_counts,
    _required_configuration,
    _conditional_configuration,
    _configuration_dependencies,
    _configuration_values,
    _unknown_configuration_keys,
    _configuration_artifact_references,
    _v2_action_types,
    _commands_present,
    _commands_shape,
    *RULE_TYPE_CHECKS,
)
