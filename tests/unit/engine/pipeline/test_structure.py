"""Pipeline structure rules: a valid pipeline is clean; each mutation breaks exactly one rule."""

from __future__ import annotations

import copy
import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from app.engine.findings import FindingType
from app.engine.pipeline.api_json import parse_pipeline_json
from app.engine.pipeline.structure import RULES, TYPE_RULES, validate_pipeline
from tests.unit.engine.profile_fixtures import shipped_profiles

CORPUS = Path(__file__).resolve().parents[5] / "shared" / "corpus"
ROLE = "arn:aws:iam::111122223333:role/pipeline"
CONNECTION_ARN = "arn:aws:codeconnections:eu-west-1:111122223333:connection/x"

P = "/pipeline"

Mutation = Callable[[dict[str, Any]], object]


def _s(stage: int) -> str:
    return f"{P}/stages/{stage}"


def _a(stage: int, action: int) -> str:
    return f"{_s(stage)}/actions/{action}"


def _type(category: str, provider: str, owner: str = "AWS") -> dict[str, str]:
    return {"category": category, "owner": owner, "provider": provider, "version": "1"}


def _arts(*names: str) -> list[dict[str, str]]:
    return [{"name": n} for n in names]


def _manual(name: str) -> dict[str, Any]:
    return {"name": name, "actionTypeId": _type("Approval", "Manual"), "runOrder": 1}


def _s3_source(name: str, output: str) -> dict[str, Any]:
    return {
        "name": name,
        "actionTypeId": _type("Source", "S3"),
        "configuration": {
            "S3Bucket": "src",
            "S3ObjectKey": "k.zip",
            "PollForSourceChanges": "false",
        },
        "outputArtifacts": _arts(output),
    }


def _valid() -> dict[str, Any]:
    """A V2 pipeline touching most rules: cross-Region, namespaces, variables, triggers."""
    return {
        "pipeline": {
            "name": "demo-pipeline",
            "roleArn": ROLE,
            "pipelineType": "V2",
            "executionMode": "QUEUED",
            "artifactStores": {
                "eu-west-1": {"type": "S3", "location": "artifacts-eu-west-1"},
                "us-east-1": {"type": "S3", "location": "artifacts-us-east-1"},
            },
            "variables": [{"name": "Env", "defaultValue": "dev"}],
            "triggers": [
                {
                    "providerType": "CodeStarSourceConnection",
                    "gitConfiguration": {
                        "sourceActionName": "App",
                        "push": [{"branches": {"includes": ["main"]}}],
                    },
                }
            ],
            "stages": [
                {
                    "name": "Source",
                    "actions": [
                        {
                            "name": "App",
                            "actionTypeId": _type("Source", "CodeStarSourceConnection"),
                            "namespace": "SourceVariables",
                            "configuration": {
                                "ConnectionArn": CONNECTION_ARN,
                                "FullRepositoryId": "org/app",
                                "BranchName": "main",
                                "OutputArtifactFormat": "CODEBUILD_CLONE_REF",
                            },
                            "outputArtifacts": _arts("AppSource"),
                        },
                        _s3_source("Config", "ConfigSource"),
                    ],
                },
                {
                    "name": "Build",
                    "actions": [
                        {
                            "name": "Compile",
                            "actionTypeId": _type("Build", "CodeBuild"),
                            "namespace": "BuildVariables",
                            "configuration": {
                                "ProjectName": "build-#{variables.Env}",
                                "PrimarySource": "AppSource",
                                "EnvironmentVariables": json.dumps(
                                    [{"name": "COMMIT", "value": "#{SourceVariables.CommitId}"}]
                                ),
                            },
                            "inputArtifacts": _arts("AppSource", "ConfigSource"),
                            "outputArtifacts": _arts("BuildOutput"),
                        },
                        {
                            "name": "Check",
                            "actionTypeId": _type("Compute", "Commands"),
                            "runOrder": 2,
                            "commands": ["make test"],
                            "outputVariables": ["RESULT"],
                            "environmentVariables": [{"name": "STAGE", "value": "test"}],
                            "inputArtifacts": _arts("BuildOutput"),
                        },
                    ],
                },
                {
                    "name": "Deploy",
                    "onFailure": {"result": "ROLLBACK"},
                    "actions": [
                        {**_manual("Approve"), "timeoutInMinutes": 60},
                        {
                            "name": "Stack",
                            "actionTypeId": _type("Deploy", "CloudFormation"),
                            "runOrder": 2,
                            "namespace": "DeployVariables",
                            "roleArn": "arn:aws:iam::111122223333:role/deployer",
                            "configuration": {
                                "ActionMode": "CREATE_UPDATE",
                                "StackName": "app",
                                "TemplatePath": "BuildOutput::template.yaml",
                                "RoleArn": "arn:aws:iam::111122223333:role/cfn",
                                "Capabilities": "CAPABILITY_IAM",
                                "ParameterOverrides": '{"Tag": "#{BuildVariables.IMAGE_TAG}"}',
                            },
                            "inputArtifacts": _arts("BuildOutput"),
                            "outputArtifacts": _arts("StackOutput"),
                        },
                        {
                            "name": "Notify",
                            "actionTypeId": _type("Invoke", "Lambda"),
                            "runOrder": 3,
                            "region": "us-east-1",
                            "configuration": {
                                "FunctionName": "notify",
                                "UserParameters": "#{DeployVariables.Url}",
                            },
                            "inputArtifacts": _arts("StackOutput"),
                        },
                    ],
                },
            ],
        },
        "metadata": {"pipelineArn": "arn:aws:codepipeline:eu-west-1:111122223333:demo-pipeline"},
    }


def _v1() -> dict[str, Any]:
    """The valid pipeline without V2 features, declared V1."""
    doc = _valid()
    body = doc["pipeline"]
    body["pipelineType"] = "V1"
    for key in ("variables", "triggers", "executionMode"):
        del body[key]
    del body["stages"][2]["onFailure"]
    body["stages"][1]["actions"][1] = {
        "name": "Check",
        "actionTypeId": _type("Test", "CodeBuild"),
        "runOrder": 2,
        "configuration": {"ProjectName": "test"},
        "inputArtifacts": _arts("BuildOutput"),
    }
    body["stages"][1]["actions"][0]["configuration"]["ProjectName"] = "build"
    return doc


def _body(doc: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = doc["pipeline"]
    return body


def _act(doc: dict[str, Any], stage: int, action: int) -> dict[str, Any]:
    found: dict[str, Any] = _body(doc)["stages"][stage]["actions"][action]
    return found


def _cfg(doc: dict[str, Any], stage: int, action: int) -> dict[str, Any]:
    found: dict[str, Any] = _act(doc, stage, action)["configuration"]
    return found


def _replace(doc: dict[str, Any], stage: int, action: int, new: dict[str, Any]) -> None:
    _body(doc)["stages"][stage]["actions"][action] = new


def _notify_as(category: str, provider: str, configuration: dict[str, str]) -> Mutation:
    def mutate(doc: dict[str, Any]) -> None:
        _replace(
            doc,
            2,
            2,
            {
                "name": "Notify",
                "actionTypeId": _type(category, provider),
                "runOrder": 3,
                "configuration": configuration,
                "inputArtifacts": _arts("StackOutput"),
            },
        )

    return mutate


def _window_rule() -> dict[str, Any]:
    return {
        "name": "Window",
        "ruleTypeId": {"category": "Rule", "owner": "AWS", "provider": "DeploymentWindow"},
        "configuration": {"Cron": "0 0 9-16 ? * MON-FRI *"},
    }


def _add_stages(count: int, actions_each: int) -> Mutation:
    def mutate(doc: dict[str, Any]) -> None:
        for i in range(count):
            _body(doc)["stages"].append(
                {"name": f"Gate{i}", "actions": [_manual(f"G{j}") for j in range(actions_each)]}
            )

    return mutate


def _insert_first_stage(doc: dict[str, Any]) -> None:
    _body(doc)["stages"].insert(0, {"name": "Gate", "actions": [_manual("Approve")]})


def _trigger(doc: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = _body(doc)["triggers"][0]
    return found


# (id, base, mutation, expected code, expected pointer, other codes the mutation also causes)
CASES: list[tuple[str, Callable[[], dict[str, Any]], Mutation, str, str, set[str]]] = [
    (
        "too-few-stages",
        _valid,
        lambda d: _body(d).update(stages=_body(d)["stages"][:1]),
        "TOO_FEW_STAGES",
        f"{P}/stages",
        {"NO_NON_SOURCE_ACTION"},
    ),
    ("too-many-stages", _valid, _add_stages(48, 1), "TOO_MANY_STAGES", f"{P}/stages", set()),
    (
        "stage-without-actions",
        _valid,
        lambda d: _body(d)["stages"][2].update(actions=[]),
        "STAGE_WITHOUT_ACTIONS",
        f"{_s(2)}/actions",
        set(),
    ),
    (
        "too-many-actions-in-stage",
        _valid,
        lambda d: _body(d)["stages"][2]["actions"].extend(_manual(f"G{i}") for i in range(48)),
        "TOO_MANY_ACTIONS_IN_STAGE",
        f"{_s(2)}/actions/50",
        set(),
    ),
    ("too-many-actions", _valid, _add_stages(20, 50), "TOO_MANY_ACTIONS", f"{P}/stages", set()),
    (
        "no-source-action",
        _valid,
        _insert_first_stage,
        "NO_SOURCE_ACTION",
        f"{_s(0)}/actions",
        {"SOURCE_ACTION_OUTSIDE_FIRST_STAGE"},
    ),
    (
        "non-source-in-source-stage",
        _valid,
        lambda d: _body(d)["stages"][0]["actions"].append(_manual("Gate")),
        "NON_SOURCE_ACTION_IN_SOURCE_STAGE",
        f"{_a(0, 2)}/actionTypeId/category",
        set(),
    ),
    (
        "source-outside-first-stage",
        _valid,
        lambda d: _body(d)["stages"][1]["actions"].append(_s3_source("Late", "LateSource")),
        "SOURCE_ACTION_OUTSIDE_FIRST_STAGE",
        f"{_a(1, 2)}/actionTypeId/category",
        set(),
    ),
    (
        "no-non-source-action",
        _valid,
        lambda d: _body(d).update(
            stages=[
                _body(d)["stages"][0],
                {"name": "More", "actions": [_s3_source("Late", "LateSource")]},
            ]
        ),
        "NO_NON_SOURCE_ACTION",
        f"{P}/stages",
        {"SOURCE_ACTION_OUTSIDE_FIRST_STAGE"},
    ),
    (
        "pipeline-name",
        _valid,
        lambda d: _body(d).update(name="my pipeline"),
        "INVALID_PIPELINE_NAME",
        f"{P}/name",
        set(),
    ),
    (
        "stage-name",
        _valid,
        lambda d: _body(d)["stages"][1].update(name="Build/Test"),
        "INVALID_STAGE_NAME",
        f"{_s(1)}/name",
        set(),
    ),
    (
        "action-name",
        _valid,
        lambda d: _act(d, 1, 0).update(name="x" * 101),
        "INVALID_ACTION_NAME",
        f"{_a(1, 0)}/name",
        set(),
    ),
    (
        "artifact-name",
        _valid,
        lambda d: (
            _act(d, 0, 1).update(outputArtifacts=_arts("Config.Source")),
            _act(d, 1, 0).update(inputArtifacts=_arts("AppSource", "Config.Source")),
        ),
        "INVALID_ARTIFACT_NAME",
        f"{_a(0, 1)}/outputArtifacts/0",
        set(),
    ),
    (
        "namespace-name",
        _valid,
        lambda d: _act(d, 2, 0).update(namespace="Gate.Vars"),
        "INVALID_NAMESPACE",
        f"{_a(2, 0)}/namespace",
        set(),
    ),
    (
        "variable-name",
        _valid,
        lambda d: _body(d)["variables"].append({"name": "bad name"}),
        "INVALID_VARIABLE_NAME",
        f"{P}/variables",
        set(),
    ),
    (
        "too-many-variables",
        _valid,
        lambda d: _body(d)["variables"].extend({"name": f"V{i}"} for i in range(50)),
        "TOO_MANY_VARIABLES",
        f"{P}/variables",
        set(),
    ),
    (
        "duplicate-stage-name",
        _valid,
        lambda d: _body(d)["stages"][2].update(name="Build"),
        "DUPLICATE_STAGE_NAME",
        f"{_s(2)}/name",
        set(),
    ),
    (
        "duplicate-action-name",
        _valid,
        lambda d: _act(d, 1, 1).update(name="Compile"),
        "DUPLICATE_ACTION_NAME",
        f"{_a(1, 1)}/name",
        set(),
    ),
    (
        "duplicate-output-artifact",
        _valid,
        lambda d: _act(d, 1, 1).update(outputArtifacts=_arts("BuildOutput")),
        "DUPLICATE_OUTPUT_ARTIFACT",
        f"{_a(1, 1)}/outputArtifacts/0",
        set(),
    ),
    (
        "input-artifact-unknown",
        _valid,
        lambda d: _act(d, 1, 1).update(inputArtifacts=_arts("Missing")),
        "INPUT_ARTIFACT_UNKNOWN",
        f"{_a(1, 1)}/inputArtifacts/0",
        set(),
    ),
    (
        "input-artifact-same-run-order",
        _valid,
        lambda d: _act(d, 1, 1).update(runOrder=1),
        "INPUT_ARTIFACT_NOT_YET_PRODUCED",
        f"{_a(1, 1)}/inputArtifacts/0",
        set(),
    ),
    (
        "run-order-range",
        _valid,
        lambda d: _act(d, 2, 2).update(runOrder=1000),
        "RUN_ORDER_OUT_OF_RANGE",
        f"{_a(2, 2)}/runOrder",
        set(),
    ),
    (
        "unknown-category",
        _valid,
        lambda d: _act(d, 2, 2)["actionTypeId"].update(category="Run"),
        "UNKNOWN_ACTION_CATEGORY",
        f"{_a(2, 2)}/actionTypeId/category",
        set(),
    ),
    (
        "unknown-owner",
        _valid,
        lambda d: _act(d, 2, 2)["actionTypeId"].update(owner="Amazon"),
        "UNKNOWN_ACTION_OWNER",
        f"{_a(2, 2)}/actionTypeId/owner",
        set(),
    ),
    (
        "invalid-provider-string",
        _valid,
        lambda d: _act(d, 2, 2)["actionTypeId"].update(owner="Custom", provider="My Provider"),
        "INVALID_ACTION_PROVIDER",
        f"{_a(2, 2)}/actionTypeId/provider",
        {"REGION_NOT_ALLOWED"},
    ),
    (
        "unknown-aws-action-type",
        _valid,
        lambda d: _act(d, 2, 2)["actionTypeId"].update(provider="LambdaX"),
        "UNKNOWN_AWS_ACTION_TYPE",
        f"{_a(2, 2)}/actionTypeId/provider",
        set(),
    ),
    (
        "connection-owner-third-party",
        _valid,
        lambda d: _act(d, 0, 0)["actionTypeId"].update(owner="ThirdParty"),
        "CONNECTION_OWNER_THIRD_PARTY",
        f"{_a(0, 0)}/actionTypeId/owner",
        set(),
    ),
    (
        "input-artifact-count",
        _valid,
        lambda d: _act(d, 2, 0).update(inputArtifacts=_arts("ConfigSource")),
        "INPUT_ARTIFACT_COUNT",
        f"{_a(2, 0)}/inputArtifacts",
        set(),
    ),
    (
        "output-artifact-count",
        _valid,
        lambda d: _act(d, 1, 1).update(outputArtifacts=_arts("TestA", "TestB")),
        "OUTPUT_ARTIFACT_COUNT",
        f"{_a(1, 1)}/outputArtifacts",
        set(),
    ),
    (
        "missing-required-key",
        _valid,
        lambda d: _cfg(d, 1, 0).pop("ProjectName"),
        "MISSING_CONFIGURATION_KEY",
        f"{_a(1, 0)}/configuration/ProjectName",
        set(),
    ),
    (
        "cloudformation-template-path",
        _valid,
        lambda d: _cfg(d, 2, 1).pop("TemplatePath"),
        "MISSING_CONDITIONAL_CONFIGURATION_KEY",
        f"{_a(2, 1)}/configuration/TemplatePath",
        set(),
    ),
    (
        "cloudformation-change-set-name",
        _valid,
        lambda d: _cfg(d, 2, 1).update(ActionMode="CHANGE_SET_REPLACE"),
        "MISSING_CONDITIONAL_CONFIGURATION_KEY",
        f"{_a(2, 1)}/configuration/ChangeSetName",
        set(),
    ),
    (
        "codebuild-primary-source",
        _valid,
        lambda d: _cfg(d, 1, 0).pop("PrimarySource"),
        "MISSING_CONDITIONAL_CONFIGURATION_KEY",
        f"{_a(1, 0)}/configuration/PrimarySource",
        set(),
    ),
    (
        "s3-deploy-object-key",
        _valid,
        _notify_as("Deploy", "S3", {"BucketName": "site", "Extract": "false"}),
        "MISSING_CONDITIONAL_CONFIGURATION_KEY",
        f"{_a(2, 2)}/configuration/ObjectKey",
        set(),
    ),
    (
        "step-functions-input",
        _valid,
        _notify_as(
            "Invoke", "StepFunctions", {"StateMachineArn": "arn:sm", "InputType": "FilePath"}
        ),
        "MISSING_CONDITIONAL_CONFIGURATION_KEY",
        f"{_a(2, 2)}/configuration/Input",
        set(),
    ),
    (
        "lambda-deploy-strategy-without-alias",
        _valid,
        _notify_as("Deploy", "Lambda", {"FunctionName": "f", "DeployStrategy": "AllAtOnce"}),
        "CONFIGURATION_KEY_WITHOUT_PREREQUISITE",
        f"{_a(2, 2)}/configuration/DeployStrategy",
        set(),
    ),
    (
        "codebuild-combine-without-batch",
        _valid,
        lambda d: _cfg(d, 1, 0).update(CombineArtifacts="true"),
        "CONFIGURATION_KEY_WITHOUT_PREREQUISITE",
        f"{_a(1, 0)}/configuration/CombineArtifacts",
        set(),
    ),
    (
        "configuration-value",
        _valid,
        lambda d: _cfg(d, 2, 1).update(ActionMode="UPSERT"),
        "INVALID_CONFIGURATION_VALUE",
        f"{_a(2, 1)}/configuration/ActionMode",
        set(),
    ),
    (
        "unknown-configuration-key",
        _valid,
        lambda d: _cfg(d, 1, 0).update(Projectname="typo"),
        "UNKNOWN_CONFIGURATION_KEY",
        f"{_a(1, 0)}/configuration/Projectname",
        set(),
    ),
    (
        "configuration-artifact-not-input",
        _valid,
        lambda d: _cfg(d, 1, 0).update(PrimarySource="StackOutput"),
        "CONFIGURATION_ARTIFACT_NOT_INPUT",
        f"{_a(1, 0)}/configuration/PrimarySource",
        set(),
    ),
    (
        "artifact-path-form",
        _valid,
        lambda d: _cfg(d, 2, 1).update(TemplatePath="template.yaml"),
        "INVALID_ARTIFACT_PATH",
        f"{_a(2, 1)}/configuration/TemplatePath",
        set(),
    ),
    (
        "configuration-key-length",
        _valid,
        lambda d: _cfg(d, 2, 2).update({"K" * 51: "v"}),
        "CONFIGURATION_KEY_LENGTH",
        f"{_a(2, 2)}/configuration/{'K' * 51}",
        {"UNKNOWN_CONFIGURATION_KEY"},
    ),
    (
        "configuration-value-length",
        _valid,
        lambda d: _cfg(d, 2, 2).update(UserParameters="x" * 1001),
        "CONFIGURATION_VALUE_LENGTH",
        f"{_a(2, 2)}/configuration/UserParameters",
        set(),
    ),
    (
        "environment-variable",
        _valid,
        lambda d: _act(d, 1, 1).update(environmentVariables=[{"name": "BAD-NAME", "value": "v"}]),
        "INVALID_ENVIRONMENT_VARIABLE",
        f"{_a(1, 1)}/environmentVariables/0",
        set(),
    ),
    (
        "role-arn",
        _valid,
        lambda d: _act(d, 2, 1).update(roleArn="deployer"),
        "INVALID_ROLE_ARN",
        f"{_a(2, 1)}/roleArn",
        set(),
    ),
    (
        "pipeline-type",
        _valid,
        lambda d: _body(d).update(pipelineType="V3"),
        "INVALID_PIPELINE_TYPE",
        f"{P}/pipelineType",
        set(),
    ),
    (
        "execution-mode",
        _valid,
        lambda d: _body(d).update(executionMode="FIFO"),
        "INVALID_EXECUTION_MODE",
        f"{P}/executionMode",
        set(),
    ),
    (
        "v1-variables",
        _v1,
        lambda d: _body(d).update(variables=[{"name": "Env"}]),
        "V2_ONLY_VARIABLES",
        f"{P}/variables",
        set(),
    ),
    (
        "v1-triggers",
        _v1,
        lambda d: _body(d).update(triggers=_valid()["pipeline"]["triggers"]),
        "V2_ONLY_TRIGGERS",
        f"{P}/triggers",
        set(),
    ),
    (
        "v1-execution-mode",
        _v1,
        lambda d: _body(d).update(executionMode="PARALLEL"),
        "V2_ONLY_EXECUTION_MODE",
        f"{P}/executionMode",
        set(),
    ),
    (
        "v1-stage-condition",
        _v1,
        lambda d: _body(d)["stages"][2].update(
            beforeEntry={"conditions": [{"result": "FAIL", "rules": [_window_rule()]}]}
        ),
        "V2_ONLY_STAGE_CONDITION",
        f"{_s(2)}/beforeEntry",
        set(),
    ),
    (
        "v1-commands-action",
        _v1,
        lambda d: _replace(d, 1, 1, _act(_valid(), 1, 1)),
        "V2_ONLY_ACTION_TYPE",
        f"{_a(1, 1)}/actionTypeId/provider",
        set(),
    ),
    (
        "parallel-rollback",
        _valid,
        lambda d: _body(d).update(executionMode="PARALLEL"),
        "ROLLBACK_IN_PARALLEL_MODE",
        f"{_s(2)}/onFailure/result",
        set(),
    ),
    (
        "region-on-source",
        _valid,
        lambda d: _act(d, 0, 1).update(region="us-east-1"),
        "REGION_NOT_ALLOWED",
        f"{_a(0, 1)}/region",
        set(),
    ),
    (
        "cross-region-single-store",
        _valid,
        lambda d: _body(d).update(
            artifactStore=_body(d).pop("artifactStores")["eu-west-1"],
        ),
        "CROSS_REGION_NEEDS_ARTIFACT_STORES",
        f"{P}/artifactStore",
        set(),
    ),
    (
        "artifact-store-action-region",
        _valid,
        lambda d: _body(d)["artifactStores"].pop("us-east-1"),
        "ARTIFACT_STORE_REGION_MISSING",
        f"{P}/artifactStores",
        set(),
    ),
    (
        "artifact-store-pipeline-region",
        _valid,
        lambda d: _body(d)["artifactStores"].pop("eu-west-1"),
        "ARTIFACT_STORE_REGION_MISSING",
        f"{P}/artifactStores",
        set(),
    ),
    (
        "artifact-store-both-forms",
        _valid,
        lambda d: _body(d).update(artifactStore={"type": "S3", "location": "artifacts-eu-west-1"}),
        "ARTIFACT_STORE_BOTH_FORMS",
        f"{P}/artifactStores",
        set(),
    ),
    (
        "artifact-store-location",
        _valid,
        lambda d: _body(d)["artifactStores"]["eu-west-1"].update(location="bucket/folder"),
        "INVALID_ARTIFACT_STORE_LOCATION",
        f"{P}/artifactStores/eu-west-1/location",
        set(),
    ),
    (
        "duplicate-namespace",
        _valid,
        lambda d: _act(d, 2, 0).update(namespace="BuildVariables"),
        "DUPLICATE_NAMESPACE",
        f"{_a(2, 0)}/namespace",
        set(),
    ),
    (
        "namespace-is-artifact",
        _valid,
        lambda d: _act(d, 2, 0).update(namespace="BuildOutput"),
        "NAMESPACE_IS_ARTIFACT_NAME",
        f"{_a(2, 0)}/namespace",
        set(),
    ),
    (
        "reserved-namespace",
        _valid,
        lambda d: _act(d, 2, 0).update(namespace="codepipeline"),
        "RESERVED_NAMESPACE",
        f"{_a(2, 0)}/namespace",
        set(),
    ),
    (
        "unknown-variable-namespace",
        _valid,
        lambda d: _cfg(d, 2, 2).update(UserParameters="#{Nope.Url}"),
        "UNKNOWN_VARIABLE_NAMESPACE",
        f"{_a(2, 2)}/configuration/UserParameters",
        set(),
    ),
    (
        "variable-from-later-action",
        _valid,
        lambda d: _cfg(d, 1, 0).update(ProjectName="#{DeployVariables.Url}"),
        "VARIABLE_NOT_YET_AVAILABLE",
        f"{_a(1, 0)}/configuration/ProjectName",
        set(),
    ),
    (
        "undeclared-pipeline-variable",
        _valid,
        lambda d: _cfg(d, 1, 0).update(ProjectName="#{variables.Stage}"),
        "UNDECLARED_PIPELINE_VARIABLE",
        f"{_a(1, 0)}/configuration/ProjectName",
        set(),
    ),
    (
        "malformed-variable-reference",
        _valid,
        lambda d: _cfg(d, 2, 2).update(UserParameters="#{Url}"),
        "MALFORMED_VARIABLE_REFERENCE",
        f"{_a(2, 2)}/configuration/UserParameters",
        set(),
    ),
    (
        "pipeline-variable-in-source",
        _valid,
        lambda d: _cfg(d, 0, 0).update(BranchName="#{variables.Env}"),
        "PIPELINE_VARIABLE_IN_SOURCE_ACTION",
        f"{_a(0, 0)}/configuration/BranchName",
        set(),
    ),
    (
        "clone-ref-to-commands",
        _valid,
        lambda d: _act(d, 1, 1).update(inputArtifacts=_arts("AppSource")),
        "CLONE_REF_CONSUMED_BY_NON_CODEBUILD",
        f"{_a(1, 1)}/inputArtifacts/0",
        set(),
    ),
    (
        "timeout-on-non-approval",
        _valid,
        lambda d: _act(d, 2, 1).update(timeoutInMinutes=60),
        "TIMEOUT_NOT_ALLOWED",
        f"{_a(2, 1)}/timeoutInMinutes",
        set(),
    ),
    (
        "timeout-range",
        _valid,
        lambda d: _act(d, 2, 0).update(timeoutInMinutes=4),
        "INVALID_TIMEOUT",
        f"{_a(2, 0)}/timeoutInMinutes",
        set(),
    ),
    (
        "commands-missing",
        _valid,
        lambda d: _act(d, 1, 1).pop("commands"),
        "COMMANDS_MISSING",
        f"{_a(1, 1)}/commands",
        set(),
    ),
    (
        "commands-multi-line",
        _valid,
        lambda d: _act(d, 1, 1).update(commands=["make\ntest"]),
        "INVALID_COMMANDS",
        f"{_a(1, 1)}/commands/0",
        set(),
    ),
    (
        "commands-too-many",
        _valid,
        lambda d: _act(d, 1, 1).update(commands=["true"] * 51),
        "INVALID_COMMANDS",
        f"{_a(1, 1)}/commands/50",
        set(),
    ),
    (
        "commands-on-codebuild",
        _valid,
        lambda d: _act(d, 1, 0).update(commands=["make"]),
        "COMMANDS_NOT_ALLOWED",
        f"{_a(1, 0)}/commands",
        set(),
    ),
    (
        "output-variables",
        _valid,
        lambda d: _act(d, 1, 1).update(outputVariables=[f"V{i}" for i in range(16)]),
        "INVALID_OUTPUT_VARIABLES",
        f"{_a(1, 1)}/outputVariables",
        set(),
    ),
    (
        "trigger-shape",
        _valid,
        lambda d: _body(d).update(triggers=["push"]),
        "INVALID_TRIGGER",
        f"{P}/triggers/0",
        set(),
    ),
    (
        "too-many-triggers",
        _valid,
        lambda d: _body(d)["triggers"].extend([_trigger(d)] * 50),
        "TOO_MANY_TRIGGERS",
        f"{P}/triggers/50",
        set(),
    ),
    (
        "trigger-provider",
        _valid,
        lambda d: _trigger(d).update(providerType="GitHub"),
        "TRIGGER_PROVIDER_UNSUPPORTED",
        f"{P}/triggers/0/providerType",
        set(),
    ),
    (
        "trigger-source-unknown",
        _valid,
        lambda d: _trigger(d)["gitConfiguration"].update(sourceActionName="Nope"),
        "TRIGGER_SOURCE_ACTION_UNKNOWN",
        f"{P}/triggers/0/gitConfiguration/sourceActionName",
        set(),
    ),
    (
        "trigger-source-not-connection",
        _valid,
        lambda d: _trigger(d)["gitConfiguration"].update(sourceActionName="Config"),
        "TRIGGER_SOURCE_NOT_CONNECTION",
        f"{P}/triggers/0/gitConfiguration/sourceActionName",
        set(),
    ),
    (
        "trigger-filters",
        _valid,
        lambda d: _trigger(d)["gitConfiguration"].update(
            push=[{"branches": {"includes": [f"b{i}"]}} for i in range(4)]
        ),
        "TOO_MANY_TRIGGER_FILTERS",
        f"{P}/triggers/0/gitConfiguration/push/3",
        set(),
    ),
    (
        "polling-source",
        _valid,
        lambda d: _cfg(d, 0, 1).pop("PollForSourceChanges"),
        "POLLING_SOURCE",
        f"{_a(0, 1)}/configuration/PollForSourceChanges",
        set(),
    ),
    (
        "github-v1-source",
        _valid,
        lambda d: _replace(
            d,
            0,
            1,
            {
                "name": "Config",
                "actionTypeId": _type("Source", "GitHub", owner="ThirdParty"),
                "configuration": {
                    "Owner": "org",
                    "Repo": "config",
                    "Branch": "main",
                    "OAuthToken": "****",
                    "PollForSourceChanges": "false",
                },
                "outputArtifacts": _arts("ConfigSource"),
            },
        ),
        "GITHUB_V1_SOURCE",
        f"{_a(0, 1)}/actionTypeId/provider",
        set(),
    ),
]


def _assert_well_formed(findings: list[Any]) -> None:
    for finding in findings:
        assert finding.code.isupper()
        assert finding.message[0].islower() or finding.message[0] == "`", finding.message
        assert finding.path.startswith("/pipeline")


def _findings(doc: dict[str, Any]) -> list[Any]:
    pipeline, parse_findings = parse_pipeline_json(doc)
    assert parse_findings == []
    return validate_pipeline(pipeline, shipped_profiles())


@pytest.mark.parametrize("base", [_valid, _v1], ids=["v2", "v1"])
def test_valid_pipeline_has_no_findings(base: Callable[[], dict[str, Any]]) -> None:
    assert _findings(base()) == []


@pytest.mark.parametrize(
    ("base", "mutate", "code", "path", "also"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_each_rule(
    base: Callable[[], dict[str, Any]],
    mutate: Mutation,
    code: str,
    path: str,
    also: set[str],
) -> None:
    doc = copy.deepcopy(base())
    mutate(doc)
    findings = _findings(doc)
    assert (code, path) in {(f.code, f.path) for f in findings}, findings
    problems = {f.code for f in findings if f.finding_type != FindingType.SUGGESTION}
    assert problems <= {code} | also, findings
    _assert_well_formed(findings)


def test_cases_cover_many_rules() -> None:
    assert len(CASES) >= 30
    assert len(RULES) == len(set(RULES))
    assert len(TYPE_RULES) == len(set(TYPE_RULES))


def test_v2_features_on_a_pipeline_without_type_are_warnings() -> None:
    doc = _v1()
    del doc["pipeline"]["pipelineType"]
    doc["pipeline"]["triggers"] = _valid()["pipeline"]["triggers"]
    found = [f for f in _findings(doc) if f.code == "V2_ONLY_TRIGGERS"]
    assert [f.finding_type for f in found] == [FindingType.WARNING]
    doc["pipeline"]["pipelineType"] = "V1"
    found = [f for f in _findings(doc) if f.code == "V2_ONLY_TRIGGERS"]
    assert [f.finding_type for f in found] == [FindingType.ERROR]


def test_same_region_on_source_action_is_fine() -> None:
    # get-pipeline returns `region` on every action; the pipeline's own Region is not cross-Region.
    doc = _valid()
    _act(doc, 0, 1)["region"] = "eu-west-1"
    assert _findings(doc) == []


def test_region_with_single_store_and_unknown_home_is_a_warning() -> None:
    doc = _valid()
    del doc["metadata"]
    body = _body(doc)
    body["artifactStore"] = body.pop("artifactStores")["eu-west-1"]
    found = [f for f in _findings(doc) if f.code == "CROSS_REGION_NEEDS_ARTIFACT_STORES"]
    assert [f.finding_type for f in found] == [FindingType.WARNING]


def _corpus_files() -> list[str]:
    manifest = CORPUS / "MANIFEST.tsv"
    if not manifest.is_file():
        return []
    with manifest.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return [row["file"] for row in rows if row["kind"] == "pipeline-json"]


CORPUS_FILES = _corpus_files()


@pytest.mark.skipif(not CORPUS_FILES, reason="../shared/corpus is absent")
@pytest.mark.parametrize("name", CORPUS_FILES)
def test_corpus_pipelines_validate(name: str) -> None:
    document = json.loads((CORPUS / name).read_text(encoding="utf-8"))
    pipeline, _ = parse_pipeline_json(document)
    findings = validate_pipeline(pipeline, shipped_profiles())
    assert isinstance(findings, list)
    _assert_well_formed(findings)
