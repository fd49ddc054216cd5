"""get-pipeline documents that use one action or rule type each, with every configuration key
set, and valid by CodePipeline's structure rules (so what compute answers for them is all there
is to check).

For each shipped profile of an action or stage-condition rule type, one pipeline per value of
each configuration key the profile's statements or its `structure` restrict to a set of values
(so every `when` branch is rendered), all other keys its `structure` documents and every key the
profile reads set to a plausible value. The artifact store has a customer managed KMS key, so the
ArtifactStore profile renders in full. An action takes the fewest input and output artifacts its
provider allows (at least one input where it takes any); a rule sits in an `onSuccess` condition
of the stage after the source.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from app.engine.pipeline.model import RULE_CATEGORY
from app.engine.profiles import Profile, StatementTemplate

ACCOUNT = "111122223333"
OTHER_ACCOUNT = "444455556666"
REGION = "eu-west-2"
PIPELINE = "generated"
KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/service-role/pipeline"

# Values of keys that name AWS resources, so rendered ARNs are what a real pipeline gives.
_VALUES: dict[str, str] = {
    "ConnectionArn": f"arn:aws:codestar-connections:{REGION}:{ACCOUNT}:connection/abcd-1234",
    "StateMachineArn": f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:release",
    "DevicePoolArn": f"arn:aws:devicefarm:us-west-2:{ACCOUNT}:devicepool:proj-1/pool-1",
    "NotificationArn": f"arn:aws:sns:{REGION}:{ACCOUNT}:approvals",
    "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/cfn-deploy",
    "AdministrationRoleArn": f"arn:aws:iam::{ACCOUNT}:role/stackset-admin",
    "KMSEncryptionKeyARN": KEY_ARN,
    "FunctionName": "release-hook",
    "Alarms": "latency-high,errors-high",
    "TargetGroupNameList": "web-blue,web-green",
    "Regions": "eu-west-1,eu-west-2",
    "DeploymentTargets": ACCOUNT,
    "EnvironmentVariables": '[{"name":"STAGE","value":"prod","type":"PLAINTEXT"}]',
    "PrimarySource": "src",
    "TemplatePath": "src::template.yaml",
    "TemplateConfiguration": "src::config.json",
    "TaskDefinitionTemplateArtifact": "src",
    "AppSpecTemplateArtifact": "src",
    "ParameterOverrides": '{"Stage": "prod"}',
    "Capabilities": "CAPABILITY_IAM",
    "ProjectId": "proj-1",
    "InstanceTagKey": "Role",
    "InstanceTagValue": "web",
    "DeployStrategy": "Canary10Percent5Minutes",
    "ExecutionNamePrefix": "release",
    "ECRRepositoryName": "web",
    "RepositoryName": "web",
    "ImageTag": "latest",
    "ImageTags": "latest,v1",
}
# Hints for every hint name the shipped profiles declare.
HINT_VALUES: dict[str, list[str]] = {
    "pass_roles": ["web-task", "web-exec"],
    "task_definition_family": ["web"],
    "deployment_config": ["CodeDeployDefault.ECSAllAtOnce"],
}


@dataclass(frozen=True)
class Generated:
    label: str
    document: dict[str, Any]
    hints: list[dict[str, Any]]


def _config_keys(template: StatementTemplate) -> Iterator[str]:
    texts = [*template.resources, *(h.fallback for h in template.hints.values())]
    for block in (template.condition or {}).values():
        for key, values in block.items():
            texts.extend([key, *values])
    for text in texts:
        for placeholder in text.placeholders:
            if placeholder.name.startswith("config."):
                yield placeholder.name.removeprefix("config.")
    yield from _trigger_keys(template.when)


def _trigger_keys(when: Any) -> Iterator[str]:
    if not when:
        return
    for nested in when.get("all", []) + when.get("any", []):
        yield from _trigger_keys(nested)
    if "not" in when:
        yield from _trigger_keys(when["not"])
    if "config" in when:
        yield when["config"]


def _trigger_values(when: Any) -> Iterator[tuple[str, str]]:
    if not when:
        return
    for nested in when.get("all", []) + when.get("any", []):
        yield from _trigger_values(nested)
    if "not" in when:
        yield from _trigger_values(when["not"])
    if "equals" in when:
        yield when["config"], str(when["equals"])
    for value in when.get("in", []):
        yield when["config"], str(value)


def _configurations(profile: Profile) -> list[dict[str, str]]:
    facts = profile.structure
    # An action sets every documented key; a rule only those it requires (and those read).
    if facts is None:
        keys: set[str] = set()
    elif profile.key.category == RULE_CATEGORY:
        keys = set(facts.required)
    else:
        keys = set(facts.keys)
    choices: dict[str, list[str]] = {}
    for template in profile.statements:
        keys.update(_config_keys(template))
        for config, value in _trigger_values(template.when):
            choices.setdefault(config, []).append(value)
    for config, values in (facts.allowed_values if facts else {}).items():
        choices.setdefault(config, []).extend(sorted(values))
    artifact_keys = {e.name for e in (facts.artifact_keys if facts else ()) if e.artifact == "name"}
    base = {
        k: "src" if k in artifact_keys else _VALUES.get(k, f"my-{k.lower()}") for k in sorted(keys)
    }
    for config, values in choices.items():
        base[config] = values[0]
    out = [base]
    for config, values in sorted(choices.items()):
        for value in dict.fromkeys(values[1:]):
            out.append({**base, config: value})
    return out


def _artifacts(low: int, high: int, *, prefix: str) -> list[dict[str, str]]:
    count = min(max(low, 1), high) if high else 0
    return [{"name": prefix if i == 0 else f"{prefix}{i}"} for i in range(count)]


def _action(profile: Profile, configuration: dict[str, str]) -> dict[str, Any]:
    key, facts = profile.key, profile.structure
    ins = facts.inputs if facts else None
    outs = facts.outputs if facts else None
    inputs = (0, 0) if key.category == "Source" else (ins.low, ins.high) if ins else (1, 1)
    outputs = (1, 1) if key.category == "Source" else (outs.low, outs.low) if outs else (0, 0)
    action: dict[str, Any] = {
        "name": "UnderTest",
        "actionTypeId": {
            "category": key.category,
            "owner": key.owner,
            "provider": key.provider,
            "version": key.version,
        },
        "configuration": configuration,
        "inputArtifacts": _artifacts(*inputs, prefix="src") if inputs[1] else [],
        "outputArtifacts": _artifacts(*outputs, prefix="out") if outputs[1] else [],
    }
    if facts is not None and facts.runs_commands:
        action["commands"] = ["make test"]
    if key.category == "Compute":
        action["environmentVariables"] = [
            {"name": "TOKEN", "value": "release/token", "type": "SECRETS_MANAGER"},
            {"name": "STAGE", "value": "prod", "type": "PLAINTEXT"},
        ]
    return action


def _rule(profile: Profile, configuration: dict[str, str]) -> dict[str, Any]:
    key, facts = profile.key, profile.structure
    rule: dict[str, Any] = {
        "name": "UnderTest",
        "ruleTypeId": {
            "category": key.category,
            "owner": key.owner,
            "provider": key.provider,
            "version": key.version,
        },
        "configuration": configuration,
    }
    if facts is not None and facts.reads_input_artifacts:
        rule["inputArtifacts"] = [{"name": "src"}]
    if facts is not None and facts.runs_commands:
        rule["commands"] = ["make test"]
    return rule


def _source(name: str = "Source", output: str = "src") -> dict[str, Any]:
    return {
        "name": name,
        "actionTypeId": {
            "category": "Source",
            "owner": "AWS",
            "provider": "CodeCommit",
            "version": "1",
        },
        "configuration": {"RepositoryName": "web", "BranchName": "main"},
        "outputArtifacts": [{"name": output}],
    }


def _build(inputs: str = "src") -> dict[str, Any]:
    return {
        "name": "Build",
        "actionTypeId": {
            "category": "Build",
            "owner": "AWS",
            "provider": "CodeBuild",
            "version": "1",
        },
        "configuration": {"ProjectName": "web-build"},
        "inputArtifacts": [{"name": inputs}],
    }


def _pipeline(member: dict[str, Any], *, role_arn: str | None) -> dict[str, Any]:
    under_test = copy.deepcopy(member)
    if role_arn:
        under_test["roleArn"] = role_arn
    stages: list[dict[str, Any]]
    if "ruleTypeId" in under_test:
        stages = [
            {"name": "Source", "actions": [_source()]},
            {
                "name": "Next",
                "actions": [_build()],
                "onSuccess": {"conditions": [{"result": "FAIL", "rules": [under_test]}]},
            },
        ]
    elif under_test["actionTypeId"]["category"] == "Source":
        output = under_test["outputArtifacts"][0]["name"]
        stages = [
            {"name": "Source", "actions": [under_test]},
            {"name": "Next", "actions": [_build(output)]},
        ]
    else:
        # Every input artifact of the action under test comes from a source action.
        sources = [
            _source(f"Source{i}", a["name"]) for i, a in enumerate(under_test["inputArtifacts"])
        ]
        stages = [
            {"name": "Source", "actions": sources or [_source()]},
            {"name": "Next", "actions": [under_test]},
        ]
        if not under_test["inputArtifacts"]:
            stages.append({"name": "Build", "actions": [_build()]})
    return {
        "pipeline": {
            "name": PIPELINE,
            "roleArn": ROLE,
            "pipelineType": "V2",
            "artifactStore": {
                "type": "S3",
                "location": "codepipeline-artifacts",
                "encryptionKey": {"id": KEY_ARN, "type": "KMS"},
            },
            "stages": stages,
        },
        "metadata": {"pipelineArn": f"arn:aws:codepipeline:{REGION}:{ACCOUNT}:{PIPELINE}"},
    }


def generated_pipelines(profile: Profile) -> Iterator[Generated]:
    """Pipelines using the profile's action type: every configuration variant, each without
    and with the profile's hints, and (AWS-owned types) with an action role of the pipeline's
    account and one of another account."""
    declared = sorted({h for t in profile.statements for h in t.hints})
    hints = (
        [
            {
                "stage": "Source" if profile.key.category == "Source" else "Next",
                "action": "UnderTest",
                "hints": {h: HINT_VALUES[h] for h in declared},
            }
        ]
        if declared
        else []
    )
    make = _rule if profile.key.category == RULE_CATEGORY else _action
    for i, configuration in enumerate(_configurations(profile)):
        action = make(profile, configuration)
        label = f"{profile.key.label}#{i}"
        yield Generated(label, _pipeline(action, role_arn=None), [])
        if hints:
            yield Generated(f"{label}+hints", _pipeline(action, role_arn=None), hints)
    if profile.key.owner != "AWS":
        return  # CodePipeline accepts a roleArn on AWS-owned actions only
    first = make(profile, _configurations(profile)[0])
    # The role reads the action's inputs and writes its outputs in the artifact store, in the
    # pipeline's account or in another one (the store has a customer managed key either way).
    for suffix, account in (("+role", ACCOUNT), ("+role-other-account", OTHER_ACCOUNT)):
        action_role = f"arn:aws:iam::{account}:role/deploy-target"
        yield Generated(f"{profile.key.label}{suffix}", _pipeline(first, role_arn=action_role), [])
