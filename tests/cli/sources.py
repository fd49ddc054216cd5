"""Small pipeline sources for the command's tests: a CloudFormation template and a Terraform
file whose build project comes from a parameter or variable without a default."""

from __future__ import annotations

CLOUDFORMATION = """\
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  ProjectName:
    Type: String
Resources:
  Pipeline:
    Type: AWS::CodePipeline::Pipeline
    Properties:
      RoleArn: arn:aws:iam::111122223333:role/pipeline
      ArtifactStore: {Type: S3, Location: artifacts-bucket}
      Stages:
        - Name: Source
          Actions:
            - Name: Src
              ActionTypeId: {Category: Source, Owner: AWS, Provider: CodeCommit, Version: "1"}
              Configuration: {RepositoryName: code, BranchName: main}
              OutputArtifacts: [{Name: out}]
        - Name: Build
          Actions:
            - Name: Build
              ActionTypeId: {Category: Build, Owner: AWS, Provider: CodeBuild, Version: "1"}
              Configuration:
                ProjectName: !Ref ProjectName
              InputArtifacts: [{Name: out}]
"""

TERRAFORM = """\
variable "project" {
  type = string
}

resource "aws_codepipeline" "main" {
  name     = "main"
  role_arn = "arn:aws:iam::111122223333:role/pipeline"
  artifact_store {
    location = "artifacts-bucket"
    type     = "S3"
  }
  stage {
    name = "Source"
    action {
      name             = "Src"
      category         = "Source"
      owner            = "AWS"
      provider         = "CodeCommit"
      version          = "1"
      output_artifacts = ["out"]
      configuration = {
        RepositoryName = "code"
        BranchName     = "main"
      }
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
      input_artifacts = ["out"]
      configuration = {
        ProjectName = var.project
      }
    }
  }
}
"""


def line_of(text: str, fragment: str) -> int:
    """The 1-based line of the first line of `text` holding `fragment`."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if fragment in line)
