"""Actions that let an identity raise its own privileges (alone or with iam:PassRole).

The list follows the publicly documented IAM privilege-escalation paths (Rhino Security Labs'
"AWS IAM Privilege Escalation" research, as also checked by cloudsplaining and pmapper). Names
are lower-case for matching.
"""

from __future__ import annotations

PRIVILEGE_ESCALATION_ACTIONS = frozenset(
    a.lower()
    for a in (
        "iam:AddUserToGroup",
        "iam:AttachGroupPolicy",
        "iam:AttachRolePolicy",
        "iam:AttachUserPolicy",
        "iam:CreateAccessKey",
        "iam:CreateLoginProfile",
        "iam:CreatePolicyVersion",
        "iam:DeleteRolePermissionsBoundary",
        "iam:DeleteUserPermissionsBoundary",
        "iam:PassRole",
        "iam:PutGroupPolicy",
        "iam:PutRolePermissionsBoundary",
        "iam:PutRolePolicy",
        "iam:PutUserPermissionsBoundary",
        "iam:PutUserPolicy",
        "iam:SetDefaultPolicyVersion",
        "iam:UpdateAssumeRolePolicy",
        "iam:UpdateLoginProfile",
        "sts:AssumeRole",
        "lambda:CreateFunction",
        "lambda:CreateEventSourceMapping",
        "lambda:UpdateFunctionCode",
        "lambda:UpdateFunctionConfiguration",
        "lambda:AddPermission",
        "glue:CreateDevEndpoint",
        "glue:UpdateDevEndpoint",
        "glue:CreateJob",
        "cloudformation:CreateStack",
        "cloudformation:UpdateStack",
        "cloudformation:CreateChangeSet",
        "cloudformation:SetStackPolicy",
        "datapipeline:CreatePipeline",
        "datapipeline:PutPipelineDefinition",
        "ec2:RunInstances",
        "ec2:AssociateIamInstanceProfile",
        "ec2:ReplaceIamInstanceProfileAssociation",
        # New user data on a stopped instance runs as the instance's role when it starts again.
        "ec2:ModifyInstanceAttribute",
        # A new default launch template version: what launches from it runs new user data.
        "ec2:CreateLaunchTemplateVersion",
        "ec2:ModifyLaunchTemplate",
        "ecs:RunTask",
        "ecs:StartTask",
        "ecs:RegisterTaskDefinition",
        "ecs:UpdateService",
        "ecs:CreateService",
        # A shell in a running task, with its task role's credentials.
        "ecs:ExecuteCommand",
        "codebuild:CreateProject",
        "codebuild:UpdateProject",
        "codebuild:StartBuild",
        "codestar:CreateProject",
        "sagemaker:CreateNotebookInstance",
        "sagemaker:CreatePresignedNotebookInstanceUrl",
        "sagemaker:CreateTrainingJob",
        "ssm:SendCommand",
        "ssm:StartSession",
        "autoscaling:CreateLaunchConfiguration",
        "autoscaling:CreateAutoScalingGroup",
        "cloudformation:ExecuteChangeSet",
    )
)
