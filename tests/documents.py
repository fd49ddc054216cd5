"""Profile and policy documents and a pipeline for the write, as-of, replica and diff tests."""

from __future__ import annotations

import copy
from typing import Any

from app.service.catalog_import import build_snapshot_from_service_documents

CUSTOM_KEY = {"category": "Invoke", "owner": "Custom", "provider": "SlackNotify", "version": "1"}


def custom_profile(provider: str = "SlackNotify", **changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "action_type": {**CUSTOM_KEY, "provider": provider},
        "title": "Custom Slack notification action",
        "supported_since": None,
        "effective_date": "2026-11-28",
        "sources": {"wiki": {"title": "Team wiki: notifier", "url": "https://wiki.example/n"}},
        "notes": ["Invokes the team's notifier function."],
        "statements": [
            {
                "id": "Invoke",
                "description": "invoke the notifier function",
                "actions": ["lambda:InvokeFunction"],
                "resources": [
                    "arn:${partition}:lambda:${region}:${account}:function:${config.FunctionName}"
                ],
                "source": "wiki",
            },
            {
                "id": "Read",
                "description": "list the functions to find the notifier (no resource types)",
                "actions": ["lambda:ListFunctions"],
                "resources": ["*"],
                "source": "wiki",
            },
        ],
    }
    doc.update(changes)
    return doc


def with_note(document: dict[str, Any], note: str) -> dict[str, Any]:
    changed = copy.deepcopy(document)
    changed["notes"] = [*changed.get("notes", []), note]
    return changed


# Allow a CodeBuild project family and PassRole to ECS tasks only; deny one project.
EVALUATE_POLICY: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "Build",
            "Effect": "Allow",
            "Action": "codebuild:StartBuild",
            "Resource": "arn:aws:codebuild:*:111122223333:project/my-*",
        },
        {
            "Sid": "Pass",
            "Effect": "Allow",
            "Action": "iam:PassRole",
            "Resource": "*",
            "Condition": {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
        },
        {
            "Sid": "NoProd",
            "Effect": "Deny",
            "Action": "codebuild:*",
            "Resource": "arn:aws:codebuild:*:*:project/my-prod",
        },
    ],
}


def pipeline(*action_types: dict[str, str], name: str = "p") -> dict[str, Any]:
    """A get-pipeline document: a CodeCommit source, then one action of each given type."""
    stages: list[dict[str, Any]] = [
        {
            "name": "Source",
            "actions": [
                {
                    "name": "Source",
                    "actionTypeId": {
                        "category": "Source",
                        "owner": "AWS",
                        "provider": "CodeCommit",
                        "version": "1",
                    },
                    "configuration": {"RepositoryName": "repo", "BranchName": "main"},
                    "outputArtifacts": [{"name": "out"}],
                }
            ],
        }
    ]
    for i, action_type in enumerate(action_types):
        stages.append(
            {
                "name": f"Stage{i}",
                "actions": [
                    {
                        "name": f"Action{i}",
                        "actionTypeId": action_type,
                        "configuration": {"FunctionName": "notify"},
                        "inputArtifacts": [{"name": "out"}],
                    }
                ],
            }
        )
    return {
        "pipeline": {
            "name": name,
            "roleArn": "arn:aws:iam::111122223333:role/pipeline",
            "artifactStore": {"type": "S3", "location": "artifact-bucket"},
            "stages": stages,
        },
        "metadata": {"pipelineArn": "arn:aws:codepipeline:eu-west-2:111122223333:p"},
    }


def used_revisions(compute_body: dict[str, Any]) -> dict[str, int]:
    return {p["action_type"]: p["revision"] for p in compute_body["provenance"]["profiles"]}


def service_document(name: str, *actions: str) -> dict[str, Any]:
    """One service of the service-reference format, its actions all Write."""
    return {
        "Name": name,
        "Actions": [{"Name": a, "Annotations": {"Properties": {"IsWrite": True}}} for a in actions],
        "Resources": [],
        "ConditionKeys": [],
    }


# A small IAM catalogue in the service-reference format, and its snapshot as the CLI imports it.
SERVICES = [
    service_document("widgets", "GetWidget", "PutWidget"),
    service_document("gadgets", "Spin"),
]


def snapshot(version: str) -> bytes:
    return build_snapshot_from_service_documents(
        [(s["Name"], s) for s in SERVICES],
        source="test",
        source_version=version,
        date="2026-10-01",
    )


def trust_policy(principal: dict[str, Any], **elements: Any) -> dict[str, Any]:
    """A role's trust policy of one statement letting `principal` assume the role."""
    statement = {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}
    return {"Version": "2012-10-17", "Statement": [{**statement, **elements}]}


def console_key_policy(account: str, key_users: list[str]) -> dict[str, Any]:
    """The key policy the KMS console writes: the account's root enables IAM policies, then a
    key-user statement for `key_users` (its Sids have spaces, as KMS writes them)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Enable IAM User Permissions",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "Allow use of the key",
                "Effect": "Allow",
                "Principal": {"AWS": key_users},
                "Action": [
                    "kms:Encrypt",
                    "kms:Decrypt",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                    "kms:DescribeKey",
                ],
                "Resource": "*",
            },
        ],
    }


def policy_of(*statements: dict[str, Any]) -> dict[str, Any]:
    """A policy document of the statements given."""
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(**members: Any) -> dict[str, Any]:
    """An Allow statement of the members given (`Action=...`, `Resource=...`)."""
    return {"Effect": "Allow", **members}


def deny(**members: Any) -> dict[str, Any]:
    """A Deny statement of the members given."""
    return {"Effect": "Deny", **members}
