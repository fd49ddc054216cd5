"""Read the `aws codepipeline get-pipeline` JSON (with or without `pipeline` and `metadata`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.engine.errors import PipelineParseError
from app.engine.findings import Finding, FindingType
from app.engine.json_pointer import pointer_join
from app.engine.pipeline.model import (
    Action,
    ActionTypeKey,
    ArtifactStore,
    EnvironmentVariable,
    Pipeline,
    Stage,
)
from app.engine.pipeline.stage_conditions import Spelling, read_stage_conditions
from app.engine.pipeline.unknown_fields import (
    ACTION_FIELDS,
    PIPELINE_FIELDS,
    STAGE_FIELDS,
    unknown_field_findings,
)


def parse_pipeline_json(document: Any, pointer: str = "") -> tuple[Pipeline, list[Finding]]:
    """Build a Pipeline from get-pipeline output, reporting oddities as findings.

    Raises PipelineParseError only when the input cannot be read as a pipeline at all.
    """
    findings: list[Finding] = []
    if not isinstance(document, Mapping):
        raise PipelineParseError("a pipeline definition must be a JSON object", pointer)
    metadata = document.get("metadata")
    body: Any = document
    base = pointer
    if "pipeline" in document:
        body = document["pipeline"]
        base = pointer_join(pointer, "pipeline")
        if not isinstance(body, Mapping):
            raise PipelineParseError("`pipeline` must be an object", base)
    name = _required_str(body, "name", base)
    role_arn = _required_str(body, "roleArn", base)
    stages_raw = body.get("stages")
    if not isinstance(stages_raw, list):
        raise PipelineParseError("`stages` must be a list of stages", pointer_join(base, "stages"))
    stages = tuple(
        _parse_stage(raw, pointer_join(base, "stages", i), findings)
        for i, raw in enumerate(stages_raw)
    )
    stores = _parse_artifact_stores(body, base, findings)
    pipeline_arn = None
    if isinstance(metadata, Mapping) and isinstance(metadata.get("pipelineArn"), str):
        pipeline_arn = metadata["pipelineArn"]
    variables: dict[str, str | None] = {}
    for i, var in enumerate(body.get("variables") or []):
        if isinstance(var, Mapping) and isinstance(var.get("name"), str):
            default = var.get("defaultValue")
            variables[var["name"]] = default if isinstance(default, str) else None
        else:
            findings.append(_bad_shape(pointer_join(base, "variables", i), "variable"))
    pipeline_type = body.get("pipelineType")
    findings.extend(unknown_field_findings(body, PIPELINE_FIELDS, "pipeline", base))
    extras = {k: v for k, v in body.items() if k not in _MODELLED_PIPELINE_KEYS}
    return (
        Pipeline(
            name=name,
            role_arn=role_arn,
            stages=stages,
            artifact_stores=stores,
            pointer=base,
            pipeline_type=pipeline_type if isinstance(pipeline_type, str) else None,
            pipeline_arn=pipeline_arn,
            variables=variables,
            extras=extras,
        ),
        findings,
    )


_MODELLED_PIPELINE_KEYS = frozenset(
    {"name", "roleArn", "stages", "artifactStore", "artifactStores", "variables", "pipelineType"}
)
_MODELLED_STAGE_KEYS = frozenset({"name", "actions"})
_MODELLED_ACTION_KEYS = frozenset(
    {
        "name",
        "actionTypeId",
        "configuration",
        "runOrder",
        "inputArtifacts",
        "outputArtifacts",
        "roleArn",
        "region",
        "namespace",
        "environmentVariables",
    }
)


def _required_str(body: Mapping[str, Any], key: str, base: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value:
        raise PipelineParseError(
            f"`{key}` is required and must be a non-empty string", pointer_join(base, key)
        )
    return value


def _bad_shape(path: str, what: str) -> Finding:
    return Finding(
        code="PIPELINE_SHAPE",
        finding_type=FindingType.ERROR,
        message=f"this {what} is not an object of the expected shape and was ignored",
        path=path,
    )


def _parse_stage(raw: Any, pointer: str, findings: list[Finding]) -> Stage:
    if not isinstance(raw, Mapping):
        raise PipelineParseError("a stage must be an object", pointer)
    name = _required_str(raw, "name", pointer)
    actions_raw = raw.get("actions")
    if not isinstance(actions_raw, list):
        raise PipelineParseError("`actions` must be a list", pointer_join(pointer, "actions"))
    actions = tuple(
        _parse_action(a, pointer_join(pointer, "actions", i), findings)
        for i, a in enumerate(actions_raw)
    )
    findings.extend(unknown_field_findings(raw, STAGE_FIELDS, "stage", pointer))
    extras = {k: v for k, v in raw.items() if k not in _MODELLED_STAGE_KEYS}
    return Stage(
        name=name,
        actions=actions,
        pointer=pointer,
        extras=extras,
        conditions=read_stage_conditions(raw, pointer, _SPELLING, findings),
    )


def _parse_action(raw: Any, pointer: str, findings: list[Finding]) -> Action:
    if not isinstance(raw, Mapping):
        raise PipelineParseError("an action must be an object", pointer)
    name = _required_str(raw, "name", pointer)
    type_raw = raw.get("actionTypeId")
    type_pointer = pointer_join(pointer, "actionTypeId")
    if not isinstance(type_raw, Mapping):
        raise PipelineParseError("`actionTypeId` must be an object", type_pointer)
    parts = []
    for key in ("category", "owner", "provider", "version"):
        value = type_raw.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not value:
            raise PipelineParseError(
                f"`actionTypeId.{key}` must be a non-empty string", pointer_join(type_pointer, key)
            )
        parts.append(value)
    action_type = ActionTypeKey(*parts)
    findings.extend(unknown_field_findings(raw, ACTION_FIELDS, "action", pointer))
    configuration = _parse_configuration(
        raw.get("configuration"), pointer_join(pointer, "configuration"), findings
    )
    run_order = raw.get("runOrder", 1)
    if not isinstance(run_order, int) or isinstance(run_order, bool):
        findings.append(
            Finding(
                code="RUN_ORDER_TYPE",
                finding_type=FindingType.ERROR,
                message="`runOrder` must be an integer; 1 was assumed",
                path=pointer_join(pointer, "runOrder"),
            )
        )
        run_order = 1
    return Action(
        name=name,
        type=action_type,
        configuration=configuration,
        pointer=pointer,
        run_order=run_order,
        input_artifacts=_artifact_names(raw.get("inputArtifacts")),
        output_artifacts=_artifact_names(raw.get("outputArtifacts")),
        role_arn=_optional_str(raw.get("roleArn")),
        region=_optional_str(raw.get("region")),
        namespace=_optional_str(raw.get("namespace")),
        environment_variables=_environment_variables(raw.get("environmentVariables")),
        extras={k: v for k, v in raw.items() if k not in _MODELLED_ACTION_KEYS},
    )


def _optional_str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _parse_configuration(raw: Any, cfg_pointer: str, findings: list[Finding]) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        findings.append(_bad_shape(cfg_pointer, "configuration"))
        return {}
    out: dict[str, str] = {}
    for key, value in raw.items():
        if isinstance(value, str):
            out[str(key)] = value
        elif isinstance(value, bool):
            out[str(key)] = "true" if value else "false"
        elif isinstance(value, int | float):
            out[str(key)] = str(value)
        else:
            findings.append(
                Finding(
                    code="CONFIGURATION_VALUE_TYPE",
                    finding_type=FindingType.ERROR,
                    message=f"configuration value `{key}` must be a string and was ignored",
                    path=pointer_join(cfg_pointer, str(key)),
                )
            )
    return out


_SPELLING = Spelling(configuration=_parse_configuration, unknown_fields=True)


def _artifact_names(raw: Any) -> tuple[str, ...]:
    if not isinstance(raw, list):
        return ()
    names = []
    for item in raw:
        if isinstance(item, Mapping) and isinstance(item.get("name"), str):
            names.append(item["name"])
        elif isinstance(item, str):
            names.append(item)
    return tuple(names)


def _environment_variables(raw: Any) -> tuple[EnvironmentVariable, ...]:
    if not isinstance(raw, list):
        return ()
    out = []
    for item in raw:
        if isinstance(item, Mapping) and isinstance(item.get("name"), str):
            value = item.get("value")
            kind = item.get("type")
            out.append(
                EnvironmentVariable(
                    name=item["name"],
                    value=value if isinstance(value, str) else "",
                    type=kind if isinstance(kind, str) else "PLAINTEXT",
                )
            )
    return tuple(out)


def _parse_artifact_stores(
    body: Mapping[str, Any], base: str, findings: list[Finding]
) -> tuple[ArtifactStore, ...]:
    stores: list[ArtifactStore] = []
    single = body.get("artifactStore")
    many = body.get("artifactStores")
    if single is not None:
        store = _parse_store(single, pointer_join(base, "artifactStore"), None, findings)
        if store:
            stores.append(store)
    if isinstance(many, Mapping):
        for region in sorted(many):
            store = _parse_store(
                many[region], pointer_join(base, "artifactStores", region), region, findings
            )
            if store:
                stores.append(store)
    elif many is not None:
        findings.append(_bad_shape(pointer_join(base, "artifactStores"), "artifactStores map"))
    if not stores:
        findings.append(
            Finding(
                code="NO_ARTIFACT_STORE",
                finding_type=FindingType.ERROR,
                message="the pipeline has no artifact store; "
                "artifact-bucket permissions are not computed",
                path=base,
            )
        )
    return tuple(stores)


def _parse_store(
    raw: Any, pointer: str, region: str | None, findings: list[Finding]
) -> ArtifactStore | None:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("location"), str):
        findings.append(_bad_shape(pointer, "artifact store"))
        return None
    key = raw.get("encryptionKey")
    kind = raw.get("type")
    key_id = key.get("id") if isinstance(key, Mapping) else None
    return ArtifactStore(
        location=raw["location"],
        pointer=pointer,
        region=region,
        kms_key_id=key_id if isinstance(key_id, str) and key_id else None,
        type=kind if isinstance(kind, str) else "S3",
    )
