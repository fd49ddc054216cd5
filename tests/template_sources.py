"""A pipeline defined by a CloudFormation template and by a Terraform configuration, and what an
answer says about places in them: every reason of a statement points at a place the template
has, spelt as the template spells it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from app.engine.json_pointer import pointer_tokens

ACCOUNT, OTHER, REGION = "111122223333", "444455556666", "eu-west-1"
KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/k"
DEPLOY_ROLE = f"arn:aws:iam::{OTHER}:role/deploy"
CONTEXT = {"account": ACCOUNT, "region": REGION}
PROPERTIES = "/Resources/Pipeline/Properties"

# A CodeCommit source and a CodeBuild build, as the `Stages` of a CloudFormation pipeline.
CLOUDFORMATION_SOURCE_AND_BUILD = """\
        - Name: Source
          Actions:
            - Name: Source
              ActionTypeId: {Category: Source, Owner: AWS, Provider: CodeCommit, Version: "1"}
              Configuration: {RepositoryName: repo, BranchName: main}
              OutputArtifacts: [{Name: src}]
        - Name: Build
          Actions:
            - Name: Build
              ActionTypeId: {Category: Build, Owner: AWS, Provider: CodeBuild, Version: "1"}
              Configuration: {ProjectName: app}
              InputArtifacts: [{Name: src}]
"""

# A CodeCommit source and a CodeBuild build, as the stages of a Terraform `aws_codepipeline`.
TERRAFORM_SOURCE_AND_BUILD = """\
  stage {
    name = "Source"
    action {
      name             = "Source"
      category         = "Source"
      owner            = "AWS"
      provider         = "CodeCommit"
      version          = "1"
      output_artifacts = ["src"]
      configuration    = { RepositoryName = "repo", BranchName = "main" }
    }
  }
  stage {
    name = "Build"
    action {
      name            = "Build"
      category        = "Build"
      owner           = "AWS"
      provider        = "CodeBuild"
      version         = "1"
      input_artifacts = ["src"]
      configuration   = { ProjectName = "app" }
    }
  }
"""

_BEFORE_BUILD = {
    "Conditions": [
        {
            "Result": "FAIL",
            "Rules": [
                {
                    "Name": "Gate",
                    "RuleTypeId": {
                        "Category": "Rule",
                        "Owner": "AWS",
                        "Provider": "LambdaInvoke",
                        "Version": "1",
                    },
                    "Configuration": {"FunctionName": "gate"},
                }
            ],
        }
    ]
}

# Its project is a parameter (unknown), its deploy role in another account, its store encrypted.
CLOUDFORMATION: dict[str, Any] = {
    "Parameters": {"Project": {"Type": "String"}},
    "Resources": {
        "Pipeline": {
            "Type": "AWS::CodePipeline::Pipeline",
            "Properties": {
                "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/pipeline-role",
                "PipelineType": "V2",
                "ArtifactStore": {
                    "Type": "S3",
                    "Location": "artifacts",
                    "EncryptionKey": {"Type": "KMS", "Id": KEY},
                },
                "Stages": [
                    {
                        "Name": "Source",
                        "Actions": [
                            {
                                "Name": "Src",
                                "ActionTypeId": {
                                    "Category": "Source",
                                    "Owner": "AWS",
                                    "Provider": "S3",
                                    "Version": "1",
                                },
                                "Configuration": {"S3Bucket": "src", "S3ObjectKey": "src.zip"},
                                "OutputArtifacts": [{"Name": "Src"}],
                            }
                        ],
                    },
                    {
                        "Name": "Build",
                        "BeforeEntry": _BEFORE_BUILD,
                        "Actions": [
                            {
                                "Name": "Build",
                                "ActionTypeId": {
                                    "Category": "Build",
                                    "Owner": "AWS",
                                    "Provider": "CodeBuild",
                                    "Version": "1",
                                },
                                "Configuration": {"ProjectName": {"Ref": "Project"}},
                                "InputArtifacts": [{"Name": "Src"}],
                            }
                        ],
                    },
                    {
                        "Name": "Deploy",
                        "Actions": [
                            {
                                "Name": "Stack",
                                "ActionTypeId": {
                                    "Category": "Deploy",
                                    "Owner": "AWS",
                                    "Provider": "CloudFormation",
                                    "Version": "1",
                                },
                                "RoleArn": DEPLOY_ROLE,
                                "Configuration": {
                                    "ActionMode": "CREATE_UPDATE",
                                    "StackName": "app",
                                    "TemplatePath": "Src::stack.yaml",
                                    "RoleArn": f"arn:aws:iam::{OTHER}:role/stack",
                                },
                                "InputArtifacts": [{"Name": "Src"}],
                            }
                        ],
                    },
                ],
            },
        }
    },
}

TERRAFORM = f"""
resource "aws_codepipeline" "p" {{
  name     = "tf-pipeline"
  role_arn = "arn:aws:iam::{ACCOUNT}:role/p"
  artifact_store {{
    location = "bucket"
    type     = "S3"
  }}
  stage {{
    name = "Source"
    action {{
      name             = "Source"
      category         = "Source"
      owner            = "AWS"
      provider         = "S3"
      version          = "1"
      output_artifacts = ["src"]
      configuration = {{
        S3Bucket    = "bucket"
        S3ObjectKey = "src.zip"
      }}
    }}
  }}
  stage {{
    name = "Build"
    action {{
      name            = "Build"
      category        = "Build"
      owner           = "AWS"
      provider        = "CodeBuild"
      version         = "1"
      input_artifacts = ["src"]
      role_arn        = "arn:aws:iam::{OTHER}:role/build"
      configuration = {{
        ProjectName = "build"
      }}
    }}
  }}
}}
"""


def reason_paths(answer: Any, section: str = "") -> Iterator[tuple[str, str]]:
    """(section, path) of every entry of a `required_by` or `reasons` list in an answer, the
    section named by the keys above it (`statements/required_by`)."""
    if isinstance(answer, dict):
        for key, value in answer.items():
            inner = f"{section}/{key}" if section else key
            if key in ("required_by", "reasons"):
                yield from ((inner, entry["path"]) for entry in value)
            else:
                yield from reason_paths(value, inner)
    elif isinstance(answer, list):
        for item in answer:
            yield from reason_paths(item, section)


def has_place(document: Any, pointer: str) -> bool:
    """Whether `pointer` leads to a value of `document`."""
    node = document
    for token in pointer_tokens(pointer):
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return False
    return True
