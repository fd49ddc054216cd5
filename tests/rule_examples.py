"""The worked example of stage conditions and rules (rules reference §8): V2 pipeline `web-app` of
account 111111111111 in us-east-1, as get-pipeline JSON, CloudFormation and Terraform."""

from __future__ import annotations

from typing import Any

ACCOUNT = "111111111111"
REGION = "us-east-1"
SERVICE_ROLE = (
    f"arn:aws:iam::{ACCOUNT}:role/service-role/AWSCodePipelineServiceRole-us-east-1-web-app"
)
CONNECTION = f"arn:aws:codeconnections:us-east-1:{ACCOUNT}:connection/abcd-1234"
RULE_ROLE = "arn:aws:iam::222222222222:role/web-app-rule-invoker"
DECIDER = "arn:aws:lambda:us-east-1:222222222222:function:rollback-decider"
CRON = "0 0 9-16 ? * MON-FRI *"


def _action_type(category: str, provider: str) -> dict[str, str]:
    return {"category": category, "owner": "AWS", "provider": provider, "version": "1"}


def _rule_type(provider: str) -> dict[str, str]:
    return _action_type("Rule", provider)


WEB_APP: dict[str, Any] = {
    "pipeline": {
        "name": "web-app",
        "pipelineType": "V2",
        "roleArn": SERVICE_ROLE,
        "artifactStore": {"type": "S3", "location": "cp-artifacts-web-app"},
        "variables": [{"name": "DeployTarget", "defaultValue": "prod"}],
        "triggers": [
            {
                "providerType": "CodeStarSourceConnection",
                "gitConfiguration": {
                    "sourceActionName": "Source",
                    "push": [{"tags": {"includes": ["v*"]}}],
                    "pullRequest": [
                        {"events": ["OPEN", "UPDATED"], "branches": {"includes": ["main"]}}
                    ],
                },
            }
        ],
        "stages": [
            {
                "name": "Source",
                "actions": [
                    {
                        "name": "Source",
                        "namespace": "SourceVariables",
                        "actionTypeId": _action_type("Source", "CodeStarSourceConnection"),
                        "configuration": {
                            "ConnectionArn": CONNECTION,
                            "FullRepositoryId": "acme/web-app",
                            "BranchName": "main",
                        },
                        "outputArtifacts": [{"name": "SourceArtifact"}],
                    }
                ],
            },
            {
                "name": "Build",
                "beforeEntry": {
                    "conditions": [
                        {
                            "result": "SKIP",
                            "rules": [
                                {
                                    "name": "OnlyMain",
                                    "ruleTypeId": _rule_type("VariableCheck"),
                                    "configuration": {
                                        "Variable": "#{SourceVariables.BranchName}",
                                        "Operator": "EQ",
                                        "Value": "main",
                                    },
                                },
                                {
                                    "name": "BuildGate",
                                    "ruleTypeId": _rule_type("LambdaInvoke"),
                                    "configuration": {"FunctionName": "build-gate"},
                                    "inputArtifacts": [{"name": "SourceArtifact"}],
                                },
                            ],
                        }
                    ]
                },
                "actions": [
                    {
                        "name": "Build",
                        "actionTypeId": _action_type("Build", "CodeBuild"),
                        "configuration": {"ProjectName": "web-app-build"},
                        "inputArtifacts": [{"name": "SourceArtifact"}],
                        "outputArtifacts": [{"name": "BuildArtifact"}],
                    }
                ],
                "onSuccess": {
                    "conditions": [
                        {
                            "result": "FAIL",
                            "rules": [
                                {
                                    "name": "Lint",
                                    "ruleTypeId": _rule_type("Commands"),
                                    "configuration": {},
                                    "commands": ["ls", "test -f index.html"],
                                    "inputArtifacts": [{"name": "BuildArtifact"}],
                                },
                                {
                                    "name": "IntegTests",
                                    "ruleTypeId": _rule_type("CodeBuild"),
                                    "configuration": {"ProjectName": "web-app-integ"},
                                    "inputArtifacts": [{"name": "BuildArtifact"}],
                                },
                            ],
                        }
                    ]
                },
                "onFailure": {
                    "result": "RETRY",
                    "retryConfiguration": {"retryMode": "FAILED_ACTIONS"},
                },
            },
            {
                "name": "Deploy",
                "beforeEntry": {
                    "conditions": [
                        {
                            "result": "FAIL",
                            "rules": [
                                {
                                    "name": "BusinessHours",
                                    "ruleTypeId": _rule_type("DeploymentWindow"),
                                    "configuration": {"Cron": CRON, "TimeZone": "Europe/Berlin"},
                                }
                            ],
                        }
                    ]
                },
                "actions": [
                    {
                        "name": "Deploy",
                        "actionTypeId": _action_type("Deploy", "S3"),
                        "configuration": {"BucketName": "web-app-site", "Extract": "true"},
                        "inputArtifacts": [{"name": "BuildArtifact"}],
                    }
                ],
                "onSuccess": {
                    "conditions": [
                        {
                            "result": "ROLLBACK",
                            "rules": [
                                {
                                    "name": "No5xx",
                                    "ruleTypeId": _rule_type("CloudWatchAlarm"),
                                    "configuration": {
                                        "AlarmName": "web-app-5xx",
                                        "AlarmStates": "OK",
                                        "WaitTime": "20",
                                    },
                                }
                            ],
                        }
                    ]
                },
                "onFailure": {
                    "conditions": [
                        {
                            "result": "ROLLBACK",
                            "rules": [
                                {
                                    "name": "ShouldRollback",
                                    "ruleTypeId": _rule_type("LambdaInvoke"),
                                    "configuration": {"FunctionName": DECIDER},
                                    "roleArn": RULE_ROLE,
                                    "timeoutInMinutes": 10,
                                }
                            ],
                        }
                    ]
                },
            },
        ],
    }
}

# The same pipeline as a CloudFormation template. CloudFormation's RuleDeclaration has no
# TimeoutInMinutes, so `ShouldRollback` has none here.
WEB_APP_CLOUDFORMATION = f"""
Parameters:
  AlarmName:
    Type: String
    Default: web-app-5xx
Resources:
  Pipeline:
    Type: AWS::CodePipeline::Pipeline
    Properties:
      Name: web-app
      PipelineType: V2
      RoleArn: {SERVICE_ROLE}
      ArtifactStore: {{Type: S3, Location: cp-artifacts-web-app}}
      Variables:
        - {{Name: DeployTarget, DefaultValue: prod}}
      Triggers:
        - ProviderType: CodeStarSourceConnection
          GitConfiguration:
            SourceActionName: Source
            Push:
              - Tags: {{Includes: ["v*"]}}
            PullRequest:
              - Events: [OPEN, UPDATED]
                Branches: {{Includes: [main]}}
      Stages:
        - Name: Source
          Actions:
            - Name: Source
              Namespace: SourceVariables
              ActionTypeId:
                {{Category: Source, Owner: AWS, Provider: CodeStarSourceConnection, Version: "1"}}
              Configuration:
                ConnectionArn: {CONNECTION}
                FullRepositoryId: acme/web-app
                BranchName: main
              OutputArtifacts: [{{Name: SourceArtifact}}]
        - Name: Build
          BeforeEntry:
            Conditions:
              - Result: SKIP
                Rules:
                  - Name: OnlyMain
                    RuleTypeId:
                      {{Category: Rule, Owner: AWS, Provider: VariableCheck, Version: "1"}}
                    Configuration:
                      Variable: "#{{SourceVariables.BranchName}}"
                      Operator: EQ
                      Value: main
                  - Name: BuildGate
                    RuleTypeId: {{Category: Rule, Owner: AWS, Provider: LambdaInvoke, Version: "1"}}
                    Configuration: {{FunctionName: build-gate}}
                    InputArtifacts: [{{Name: SourceArtifact}}]
          Actions:
            - Name: Build
              ActionTypeId: {{Category: Build, Owner: AWS, Provider: CodeBuild, Version: "1"}}
              Configuration: {{ProjectName: web-app-build}}
              InputArtifacts: [{{Name: SourceArtifact}}]
              OutputArtifacts: [{{Name: BuildArtifact}}]
          OnSuccess:
            Conditions:
              - Result: FAIL
                Rules:
                  - Name: Lint
                    RuleTypeId: {{Category: Rule, Owner: AWS, Provider: Commands, Version: "1"}}
                    Configuration: {{}}
                    Commands: [ls, test -f index.html]
                    InputArtifacts: [{{Name: BuildArtifact}}]
                  - Name: IntegTests
                    RuleTypeId: {{Category: Rule, Owner: AWS, Provider: CodeBuild, Version: "1"}}
                    Configuration: {{ProjectName: web-app-integ}}
                    InputArtifacts: [{{Name: BuildArtifact}}]
          OnFailure:
            Result: RETRY
            RetryConfiguration: {{RetryMode: FAILED_ACTIONS}}
        - Name: Deploy
          BeforeEntry:
            Conditions:
              - Result: FAIL
                Rules:
                  - Name: BusinessHours
                    RuleTypeId:
                      {{Category: Rule, Owner: AWS, Provider: DeploymentWindow, Version: "1"}}
                    Configuration: {{Cron: "{CRON}", TimeZone: Europe/Berlin}}
          Actions:
            - Name: Deploy
              ActionTypeId: {{Category: Deploy, Owner: AWS, Provider: S3, Version: "1"}}
              Configuration: {{BucketName: web-app-site, Extract: "true"}}
              InputArtifacts: [{{Name: BuildArtifact}}]
          OnSuccess:
            Conditions:
              - Result: ROLLBACK
                Rules:
                  - Name: No5xx
                    RuleTypeId:
                      {{Category: Rule, Owner: AWS, Provider: CloudWatchAlarm, Version: "1"}}
                    Configuration:
                      AlarmName: !Ref AlarmName
                      AlarmStates: OK
                      WaitTime: "20"
          OnFailure:
            Conditions:
              - Result: ROLLBACK
                Rules:
                  - Name: ShouldRollback
                    RuleTypeId: {{Category: Rule, Owner: AWS, Provider: LambdaInvoke, Version: "1"}}
                    Configuration: {{FunctionName: "{DECIDER}"}}
                    RoleArn: {RULE_ROLE}
"""

WEB_APP_TERRAFORM = f"""
variable "alarm_name" {{
  type    = string
  default = "web-app-5xx"
}}

resource "aws_codepipeline" "web_app" {{
  name          = "web-app"
  pipeline_type = "V2"
  role_arn      = "{SERVICE_ROLE}"

  artifact_store {{
    location = "cp-artifacts-web-app"
    type     = "S3"
  }}

  variable {{
    name          = "DeployTarget"
    default_value = "prod"
  }}

  trigger {{
    provider_type = "CodeStarSourceConnection"
    git_configuration {{
      source_action_name = "Source"
      push {{
        tags {{
          includes = ["v*"]
        }}
      }}
      pull_request {{
        events = ["OPEN", "UPDATED"]
        branches {{
          includes = ["main"]
        }}
      }}
    }}
  }}

  stage {{
    name = "Source"
    action {{
      name             = "Source"
      namespace        = "SourceVariables"
      category         = "Source"
      owner            = "AWS"
      provider         = "CodeStarSourceConnection"
      version          = "1"
      output_artifacts = ["SourceArtifact"]
      configuration = {{
        ConnectionArn    = "{CONNECTION}"
        FullRepositoryId = "acme/web-app"
        BranchName       = "main"
      }}
    }}
  }}

  stage {{
    name = "Build"
    before_entry {{
      condition {{
        result = "SKIP"
        rule {{
          name = "OnlyMain"
          rule_type_id {{
            category = "Rule"
            owner    = "AWS"
            provider = "VariableCheck"
            version  = "1"
          }}
          configuration = {{
            Variable = "#{{SourceVariables.BranchName}}"
            Operator = "EQ"
            Value    = "main"
          }}
        }}
        rule {{
          name            = "BuildGate"
          input_artifacts = ["SourceArtifact"]
          rule_type_id {{
            category = "Rule"
            owner    = "AWS"
            provider = "LambdaInvoke"
            version  = "1"
          }}
          configuration = {{
            FunctionName = "build-gate"
          }}
        }}
      }}
    }}
    action {{
      name             = "Build"
      category         = "Build"
      owner            = "AWS"
      provider         = "CodeBuild"
      version          = "1"
      input_artifacts  = ["SourceArtifact"]
      output_artifacts = ["BuildArtifact"]
      configuration = {{
        ProjectName = "web-app-build"
      }}
    }}
    on_success {{
      condition {{
        result = "FAIL"
        rule {{
          name            = "Lint"
          commands        = ["ls", "test -f index.html"]
          input_artifacts = ["BuildArtifact"]
          rule_type_id {{
            category = "Rule"
            owner    = "AWS"
            provider = "Commands"
            version  = "1"
          }}
          configuration = {{}}
        }}
        rule {{
          name            = "IntegTests"
          input_artifacts = ["BuildArtifact"]
          rule_type_id {{
            category = "Rule"
            owner    = "AWS"
            provider = "CodeBuild"
            version  = "1"
          }}
          configuration = {{
            ProjectName = "web-app-integ"
          }}
        }}
      }}
    }}
    on_failure {{
      result = "RETRY"
      retry_configuration {{
        retry_mode = "FAILED_ACTIONS"
      }}
    }}
  }}

  stage {{
    name = "Deploy"
    before_entry {{
      condition {{
        result = "FAIL"
        rule {{
          name = "BusinessHours"
          rule_type_id {{
            category = "Rule"
            owner    = "AWS"
            provider = "DeploymentWindow"
            version  = "1"
          }}
          configuration = {{
            Cron     = "{CRON}"
            TimeZone = "Europe/Berlin"
          }}
        }}
      }}
    }}
    action {{
      name            = "Deploy"
      category        = "Deploy"
      owner           = "AWS"
      provider        = "S3"
      version         = "1"
      input_artifacts = ["BuildArtifact"]
      configuration = {{
        BucketName = "web-app-site"
        Extract    = "true"
      }}
    }}
    on_success {{
      condition {{
        result = "ROLLBACK"
        rule {{
          name = "No5xx"
          rule_type_id {{
            category = "Rule"
            owner    = "AWS"
            provider = "CloudWatchAlarm"
            version  = "1"
          }}
          configuration = {{
            AlarmName   = var.alarm_name
            AlarmStates = "OK"
            WaitTime    = "20"
          }}
        }}
      }}
    }}
    on_failure {{
      condition {{
        result = "ROLLBACK"
        rule {{
          name               = "ShouldRollback"
          role_arn           = "{RULE_ROLE}"
          timeout_in_minutes = 10
          rule_type_id {{
            category = "Rule"
            owner    = "AWS"
            provider = "LambdaInvoke"
            version  = "1"
          }}
          configuration = {{
            FunctionName = "{DECIDER}"
          }}
        }}
      }}
    }}
  }}
}}
"""
