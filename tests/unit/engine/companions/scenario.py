"""A cross-account, cross-Region pipeline: the pipeline in account A (us-east-1), a deploy in
account B (us-east-1), a CloudFormation deploy and a Lambda invoke in account C (eu-west-1),
a KMS-encrypted artifact store per Region."""

from __future__ import annotations

from typing import Any

A, B, C = "111111111111", "222222222222", "333333333333"
HOME, AWAY = "us-east-1", "eu-west-1"
SERVICE_ROLE = f"arn:aws:iam::{A}:role/service-role/PipelineRole"
ROLE_B = f"arn:aws:iam::{B}:role/DeployRole"
ROLE_C = f"arn:aws:iam::{C}:role/StackActionRole"
STACK_ROLE_C = f"arn:aws:iam::{C}:role/StackRole"
KEY_HOME = f"arn:aws:kms:{HOME}:{A}:key/1111aaaa-1111-1111-1111-111111111111"
KEY_AWAY = f"arn:aws:kms:{AWAY}:{A}:key/2222bbbb-2222-2222-2222-222222222222"
BUCKET_HOME = "artifacts-us-east-1"
BUCKET_AWAY = "artifacts-eu-west-1"
FUNCTION_C = f"arn:aws:lambda:{AWAY}:{C}:function:smoke-test"


def action(
    name: str,
    category: str,
    provider: str,
    configuration: dict[str, str],
    *,
    inputs: list[str] = (),  # type: ignore[assignment]
    outputs: list[str] = (),  # type: ignore[assignment]
    role: str | None = None,
    region: str | None = None,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": name,
        "actionTypeId": {
            "category": category,
            "owner": "AWS",
            "provider": provider,
            "version": "1",
        },
        "configuration": configuration,
        "inputArtifacts": [{"name": n} for n in inputs],
        "outputArtifacts": [{"name": n} for n in outputs],
    }
    if role:
        out["roleArn"] = role
    if region:
        out["region"] = region
    return out


def cross_account_pipeline(**overrides: Any) -> dict[str, Any]:
    pipeline: dict[str, Any] = {
        "name": "release",
        "roleArn": SERVICE_ROLE,
        "artifactStores": {
            HOME: {
                "type": "S3",
                "location": BUCKET_HOME,
                "encryptionKey": {"id": KEY_HOME, "type": "KMS"},
            },
            AWAY: {
                "type": "S3",
                "location": BUCKET_AWAY,
                "encryptionKey": {"id": KEY_AWAY, "type": "KMS"},
            },
        },
        "stages": [
            {
                "name": "Source",
                "actions": [
                    action(
                        "Source",
                        "Source",
                        "CodeCommit",
                        {"RepositoryName": "app", "BranchName": "main"},
                        outputs=["src"],
                    )
                ],
            },
            {
                "name": "Deploy",
                "actions": [
                    action(
                        "DeployB",
                        "Deploy",
                        "CodeDeploy",
                        {"ApplicationName": "app", "DeploymentGroupName": "prod"},
                        inputs=["src"],
                        role=ROLE_B,
                    ),
                    action(
                        "StackC",
                        "Deploy",
                        "CloudFormation",
                        {
                            "ActionMode": "CREATE_UPDATE",
                            "StackName": "app",
                            "TemplatePath": "src::template.yaml",
                            "RoleArn": STACK_ROLE_C,
                        },
                        inputs=["src"],
                        outputs=["stackout"],
                        role=ROLE_C,
                        region=AWAY,
                    ),
                    action(
                        "SmokeC",
                        "Invoke",
                        "Lambda",
                        {"FunctionName": FUNCTION_C},
                        role=ROLE_C,
                        region=AWAY,
                    ),
                ],
            },
        ],
    }
    pipeline.update(overrides)
    return {
        "pipeline": pipeline,
        "metadata": {"pipelineArn": f"arn:aws:codepipeline:{HOME}:{A}:release"},
    }
