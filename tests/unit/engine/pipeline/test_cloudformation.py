"""Reading CloudFormation templates: intrinsics resolved or widened in place, findings located."""

from __future__ import annotations

import json
import textwrap
import time
from collections.abc import Mapping
from typing import Any

import pytest

from app.engine.errors import PipelineParseError
from app.engine.findings import Finding
from app.engine.pipeline.cloudformation import (
    ParsedTemplate,
    TemplateContext,
    parse_cloudformation,
)
from app.engine.pipeline.detect import detect_format, parse_pipeline_source
from app.engine.pipeline.model import Action
from app.engine.pipeline.source_map import template_pointer

UNRESOLVED = "UNRESOLVED_TEMPLATE_VALUE"
VALUE_AT = "/Resources/Pipeline/Properties/Stages/1/Actions/0/Configuration/Value"
CONTEXT = TemplateContext(account="111122223333", region="eu-west-1")


def _template(value: str, *, header: str = "", resources: str = "") -> str:
    """A two-stage pipeline whose second action has `Configuration: {Value: <value>}`."""
    body = f"""
Resources:
{textwrap.indent(textwrap.dedent(resources).strip(), "  ")}
  Pipeline:
    Type: AWS::CodePipeline::Pipeline
    Properties:
      RoleArn: arn:aws:iam::111122223333:role/pipeline
      ArtifactStore: {{Type: S3, Location: artifacts}}
      Stages:
        - Name: Source
          Actions:
            - Name: Src
              ActionTypeId: {{Category: Source, Owner: AWS, Provider: S3, Version: "1"}}
              OutputArtifacts: [{{Name: out}}]
              Configuration: {{S3Bucket: b, S3ObjectKey: k}}
        - Name: Run
          Actions:
            - Name: Act
              ActionTypeId: {{Category: Invoke, Owner: AWS, Provider: Lambda, Version: "1"}}
              Configuration:
                Value: {value}
"""
    return textwrap.dedent(header).strip() + "\n" + body


def _value_line(text: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if "Value:" in line)


def _action(result: ParsedTemplate, stage: int = 1, index: int = 0) -> Action:
    return result.pipelines[0].stages[stage].actions[index]


def _unresolved(result: ParsedTemplate) -> list[Finding]:
    return [f for f in result.findings if f.code == UNRESOLVED]


PARAMS = """
Parameters:
  Env: {Type: String, Default: dev}
  Missing: {Type: String}
  Subnets: {Type: CommaDelimitedList, Default: "x, y"}
  FromSsm: {Type: "AWS::SSM::Parameter::Value<String>", Default: /app/name}
Mappings:
  Names: {dev: {Name: d1}, prod: {Name: p1}}
  ByRegion: {eu-west-1: {Name: app-eu}, us-east-1: {Name: app-us}}
Conditions:
  IsDev: !Equals [!Ref Env, dev]
  NotDev: !Not [!Condition IsDev]
  Both: !And [!Condition IsDev, !Equals [a, a]]
  Either: !Or [!Condition NotDev, !Equals [x, y]]
"""

RESOURCES = """
Role:
  Type: AWS::IAM::Role
  Properties: {RoleName: deployer, Path: /svc/}
NamelessRole:
  Type: AWS::IAM::Role
Bucket:
  Type: AWS::S3::Bucket
  Properties: {BucketName: !Sub "${Env}-artifacts"}
Project:
  Type: AWS::CodeBuild::Project
  Properties: {Name: !Join ["-", [!Ref Env, build]]}
Topic:
  Type: AWS::SNS::Topic
  Properties: {TopicName: alerts}
Key:
  Type: AWS::KMS::Key
Function:
  Type: AWS::Lambda::Function
  Properties: {FunctionName: fn}
Machine:
  Type: AWS::StepFunctions::StateMachine
  Properties: {StateMachineName: flow}
Cluster:
  Type: AWS::ECS::Cluster
  Properties: {ClusterName: main}
Service:
  Type: AWS::ECS::Service
  Properties: {ServiceName: web, Cluster: !Ref Cluster}
Registry:
  Type: AWS::ECR::Repository
  Properties: {RepositoryName: images}
Repo:
  Type: AWS::CodeCommit::Repository
  Properties: {RepositoryName: code}
App:
  Type: AWS::CodeDeploy::Application
  Properties: {ApplicationName: app}
Group:
  Type: AWS::CodeDeploy::DeploymentGroup
  Properties: {DeploymentGroupName: group, ApplicationName: !Ref App}
Connection:
  Type: AWS::CodeStarConnections::Connection
  Properties: {ConnectionName: gh, ProviderType: GitHub}
Instance:
  Type: AWS::EC2::Instance
"""

# (case id, value YAML, parameters, context, expected value, an UNRESOLVED finding expected)
CASES: list[tuple[str, str, dict[str, str], TemplateContext | None, str, bool]] = [
    ("literal", "plain", {}, None, "plain", False),
    ("ref-parameter-default", "!Ref Env", {}, None, "dev", False),
    ("ref-parameter-given", "!Ref Env", {"Env": "prod"}, None, "prod", False),
    ("ref-parameter-unknown", "!Ref Missing", {}, None, "*", True),
    ("ref-ssm-parameter", "!Ref FromSsm", {}, None, "*", True),
    ("ref-region-known", "!Ref AWS::Region", {}, CONTEXT, "eu-west-1", False),
    ("ref-region-unknown", "!Ref AWS::Region", {}, None, "*", True),
    ("ref-partition-default", "!Ref AWS::Partition", {}, None, "aws", False),
    (
        "ref-partition-china",
        "!Ref AWS::Partition",
        {},
        TemplateContext(region="cn-north-1"),
        "aws-cn",
        False,
    ),
    ("ref-stack-name", "!Ref AWS::StackName", {}, TemplateContext(stack_name="st"), "st", False),
    ("ref-undeclared", "!Ref Nowhere", {}, None, "*", True),
    (
        "sub-pseudo",
        '!Sub "arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:t"',
        {},
        CONTEXT,
        "arn:aws:sns:eu-west-1:111122223333:t",
        False,
    ),
    (
        "sub-partly-unknown",
        '!Sub "arn:aws:s3:::${Missing}-logs"',
        {},
        None,
        "arn:aws:s3:::*-logs",
        True,
    ),
    ("sub-list-form", '!Sub ["${A}-${B}", {A: x, B: !Ref Env}]', {}, None, "x-dev", False),
    ("sub-escaped", '!Sub "${!Literal}-${Env}"', {}, None, "${Literal}-dev", False),
    (
        "sub-getatt",
        '!Sub "${Role.Arn}"',
        {},
        CONTEXT,
        "arn:aws:iam::111122223333:role/svc/deployer",
        False,
    ),
    ("join", '!Join ["-", [a, !Ref Env, c]]', {}, None, "a-dev-c", False),
    ("join-list-parameter", '!Join ["+", !Ref Subnets]', {}, None, "x+y", False),
    ("select-split", '!Select [1, !Split [",", "a,b,c"]]', {}, None, "b", False),
    (
        "select-split-unknown-tail",
        '!Select [2, !Split ["/", !Sub "a/${Missing}/c"]]',
        {},
        None,
        "*",
        True,
    ),
    (
        "select-split-known-head",
        '!Select [0, !Split ["/", !Sub "a/${Missing}/c"]]',
        {},
        None,
        "a",
        True,
    ),
    ("select-list-parameter", "!Select [1, !Ref Subnets]", {}, None, "y", False),
    ("find-in-map", "!FindInMap [Names, !Ref Env, Name]", {}, None, "d1", False),
    (
        "find-in-map-unknown-key",
        "!FindInMap [ByRegion, !Ref AWS::Region, Name]",
        {},
        None,
        "app-*",
        True,
    ),
    (
        "find-in-map-known-key",
        "!FindInMap [ByRegion, !Ref AWS::Region, Name]",
        {},
        CONTEXT,
        "app-eu",
        False,
    ),
    ("if-equals", "!If [IsDev, d, p]", {}, None, "d", False),
    ("if-equals-given", "!If [IsDev, d, p]", {"Env": "prod"}, None, "p", False),
    ("if-not", "!If [NotDev, d, p]", {}, None, "p", False),
    ("if-and", "!If [Both, both, neither]", {}, None, "both", False),
    ("if-or", "!If [Either, either, neither]", {}, None, "neither", False),
    ("import-value", "!ImportValue shared-fn", {}, None, "*", True),
    (
        "import-value-segment",
        '!Sub ["arn:aws:s3:::${B}-logs", {B: !ImportValue shared-b}]',
        {},
        None,
        "arn:aws:s3:::*-logs",
        True,
    ),
    ("dynamic-reference", '"{{resolve:ssm:/app/name}}-x"', {}, None, "*-x", True),
    ("base64", "!Base64 abc", {}, None, "YWJj", False),
    ("get-azs", '!Select [0, !GetAZs ""]', {}, None, "*", True),
    ("cidr", '!Select [0, !Cidr ["10.0.0.0/16", 2, 8]]', {}, None, "*", True),
    ("equals-as-value", "!Equals [!Ref Env, dev]", {}, None, "true", False),
    (
        "role-arn",
        "!GetAtt Role.Arn",
        {},
        CONTEXT,
        "arn:aws:iam::111122223333:role/svc/deployer",
        False,
    ),
    ("role-name", "!Ref Role", {}, None, "deployer", False),
    (
        "role-generated-name",
        "!GetAtt NamelessRole.Arn",
        {},
        TemplateContext(account="111122223333", stack_name="st"),
        "arn:aws:iam::111122223333:role/st-NamelessRole-*",
        True,
    ),
    (
        "role-generated-name-unknown-stack",
        "!GetAtt NamelessRole.Arn",
        {},
        CONTEXT,
        "arn:aws:iam::111122223333:role/*",
        True,
    ),
    ("bucket", "!Ref Bucket", {}, None, "dev-artifacts", False),
    ("bucket-arn", "!GetAtt Bucket.Arn", {}, None, "arn:aws:s3:::dev-artifacts", False),
    ("codebuild-project", "!Ref Project", {}, None, "dev-build", False),
    (
        "codebuild-project-arn",
        "!GetAtt Project.Arn",
        {},
        CONTEXT,
        "arn:aws:codebuild:eu-west-1:111122223333:project/dev-build",
        False,
    ),
    ("sns-topic", "!Ref Topic", {}, CONTEXT, "arn:aws:sns:eu-west-1:111122223333:alerts", False),
    (
        "kms-key-arn",
        "!GetAtt Key.Arn",
        {},
        CONTEXT,
        "arn:aws:kms:eu-west-1:111122223333:key/*",
        True,
    ),
    ("lambda-function", "!Ref Function", {}, None, "fn", False),
    (
        "state-machine",
        "!Ref Machine",
        {},
        CONTEXT,
        "arn:aws:states:eu-west-1:111122223333:stateMachine:flow",
        False,
    ),
    ("ecs-cluster", "!Ref Cluster", {}, None, "main", False),
    ("ecs-service-name", "!GetAtt Service.Name", {}, None, "web", False),
    ("ecr-repository", "!Ref Registry", {}, None, "images", False),
    ("codecommit-name", "!GetAtt Repo.Name", {}, None, "code", False),
    ("codecommit-ref-is-an-id", "!Ref Repo", {}, None, "*", True),
    ("codedeploy-application", "!Ref App", {}, None, "app", False),
    ("codedeploy-group", "!Ref Group", {}, None, "group", False),
    (
        "connection",
        "!Ref Connection",
        {},
        CONTEXT,
        "arn:aws:codestar-connections:eu-west-1:111122223333:connection/*",
        True,
    ),
    ("getatt-unknowable", "!GetAtt Instance.PublicDnsName", {}, None, "*", True),
]


@pytest.mark.parametrize(
    ("value", "parameters", "context", "expected", "finding"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_intrinsics(
    value: str,
    parameters: dict[str, str],
    context: TemplateContext | None,
    expected: str,
    finding: bool,
) -> None:
    text = _template(value, header=PARAMS, resources=RESOURCES)
    result = parse_cloudformation(text, parameters=parameters, context=context)
    assert _action(result).configuration["Value"] == expected
    located = [f for f in _unresolved(result) if f.path.startswith(VALUE_AT)]
    assert bool(located) == finding, [f.message for f in result.findings]
    for f in located:
        assert f.line == _value_line(text)
        assert f.message


def test_bucket_and_project_named_by_references_resolve_to_their_names() -> None:
    text = """
    Parameters:
      Env: {Type: String, Default: dev}
    Resources:
      ArtifactBucket:
        Type: AWS::S3::Bucket
        Properties:
          BucketName: !Sub "acme-${Env}-artifacts"
      BuildProject:
        Type: AWS::CodeBuild::Project
        Properties:
          Name: !Sub "${Env}-build"
      PipelineRole:
        Type: AWS::IAM::Role
        Properties: {RoleName: pipeline-role}
      Pipeline:
        Type: AWS::CodePipeline::Pipeline
        Properties:
          Name: !Sub "${Env}-pipeline"
          RoleArn: !GetAtt PipelineRole.Arn
          ArtifactStore:
            Type: S3
            Location: !Ref ArtifactBucket
          Stages:
            - Name: Source
              Actions:
                - Name: Src
                  ActionTypeId: {Category: Source, Owner: AWS, Provider: S3, Version: 1}
                  OutputArtifacts: [{Name: src}]
                  Configuration:
                    S3Bucket: !Ref ArtifactBucket
                    S3ObjectKey: source.zip
            - Name: Build
              Actions:
                - Name: Build
                  ActionTypeId: {Category: Build, Owner: AWS, Provider: CodeBuild, Version: 1}
                  InputArtifacts: [{Name: src}]
                  Configuration:
                    ProjectName: !Ref BuildProject
    """
    result = parse_cloudformation(textwrap.dedent(text), context=CONTEXT)
    pipeline = result.pipelines[0]
    assert pipeline.name == "dev-pipeline"
    assert pipeline.role_arn == "arn:aws:iam::111122223333:role/pipeline-role"
    assert [s.location for s in pipeline.artifact_stores] == ["acme-dev-artifacts"]
    assert _action(result, 0).configuration["S3Bucket"] == "acme-dev-artifacts"
    assert _action(result, 1).configuration["ProjectName"] == "dev-build"
    assert _action(result, 0).type.version == "1"
    assert not result.findings


def test_import_value_widens_only_its_segment_with_a_located_finding() -> None:
    text = textwrap.dedent(
        """
        Resources:
          Pipeline:
            Type: AWS::CodePipeline::Pipeline
            Properties:
              RoleArn: !Sub
                - "arn:aws:iam::111122223333:role/${Name}"
                - Name: !ImportValue shared-role-name
              ArtifactStore: {Type: S3, Location: artifacts}
              Stages:
                - Name: Invoke
                  Actions:
                    - Name: Call
                      ActionTypeId: {Category: Invoke, Owner: AWS, Provider: Lambda, Version: "1"}
                      Configuration:
                        FunctionName: !ImportValue shared-function
        """
    )
    result = parse_cloudformation(text)
    pipeline = result.pipelines[0]
    assert pipeline.role_arn == "arn:aws:iam::111122223333:role/*"
    assert pipeline.stages[0].actions[0].configuration["FunctionName"] == "*"
    by_path = {f.path: f for f in _unresolved(result)}
    at = "/Resources/Pipeline/Properties/Stages/0/Actions/0/Configuration/FunctionName"
    assert by_path[at].line == 16
    assert "shared-function" in by_path[at].message
    role = by_path["/Resources/Pipeline/Properties/RoleArn/Fn::Sub/1/Name"]
    assert role.line == 8
    assert "shared-role-name" in role.message


UNDECIDED = """
Parameters:
  WithApproval: {Type: String}
  Source: {Type: String}
Conditions:
  Approve: !Equals [!Ref WithApproval, "yes"]
  IsGitHub: !Equals [!Ref Source, GitHub]
"""


def _pipeline(stages: str, header: str = UNDECIDED) -> str:
    return (
        header
        + textwrap.dedent(
            """
        Resources:
          Pipeline:
            Type: AWS::CodePipeline::Pipeline
            Properties:
              RoleArn: arn:aws:iam::111122223333:role/p
              ArtifactStore: {Type: S3, Location: artifacts}
              Stages:
        """
        )
        + textwrap.indent(textwrap.dedent(stages).strip(), " " * 8)
    )


APPROVAL = (
    "{Name: Approve, ActionTypeId: {Category: Approval, Owner: AWS, Provider: Manual, "
    'Version: "1"}}'
)
DEPLOY = (
    "{Name: Deploy, ActionTypeId: {Category: Deploy, Owner: AWS, Provider: S3, "
    'Version: "1"}, Configuration: {BucketName: site, Extract: "true"}}'
)


def test_if_with_an_undecidable_condition_keeps_both_branches_of_an_action_list() -> None:
    stages = f"""
    - Name: Release
      Actions:
        - !If [Approve, {APPROVAL}, !Ref AWS::NoValue]
        - !If [Approve, {DEPLOY}, {{Name: Skip, ActionTypeId: {{Category: Approval, Owner: AWS,
            Provider: Manual, Version: "1"}}}}]
    """
    result = parse_cloudformation(_pipeline(stages))
    names = [a.name for a in result.pipelines[0].stages[0].actions]
    assert names == ["Approve", "Deploy", "Skip"]
    located = {f.path for f in _unresolved(result)}
    assert "/Resources/Pipeline/Properties/Stages/0/Actions/0" in located
    assert "/Resources/Pipeline/Properties/Stages/0/Actions/1" in located
    assert any("may also be absent" in f.message for f in result.findings)


def test_if_inside_an_action_yields_one_action_per_consistent_branch() -> None:
    stages = """
    - Name: Source
      Actions:
        - Name: Src
          ActionTypeId: !If
            - IsGitHub
            - {Category: Source, Owner: ThirdParty, Provider: GitHub, Version: "1"}
            - {Category: Source, Owner: AWS, Provider: CodeCommit, Version: "1"}
          Configuration: !If
            - IsGitHub
            - {Owner: me, Repo: r, Branch: main}
            - {RepositoryName: r, BranchName: main}
    """
    result = parse_cloudformation(_pipeline(stages))
    actions = result.pipelines[0].stages[0].actions
    forms = {a.type.provider: sorted(a.configuration) for a in actions}
    assert forms == {
        "GitHub": ["Branch", "Owner", "Repo"],
        "CodeCommit": ["BranchName", "RepositoryName"],
    }
    assert {_in_template(result, a.pointer) for a in actions} == {
        "/Resources/Pipeline/Properties/Stages/0/Actions/0"
    }
    assert any("IsGitHub" in f.message for f in _unresolved(result))


def test_if_on_a_whole_stage_keeps_it_with_a_finding() -> None:
    stages = f"""
    - !If
      - Approve
      - Name: Approval
        Actions: [{APPROVAL}]
      - !Ref AWS::NoValue
    - Name: Deploy
      Actions: [{DEPLOY}]
    """
    result = parse_cloudformation(_pipeline(stages))
    stages_read = result.pipelines[0].stages
    assert [s.name for s in stages_read] == ["Approval", "Deploy"]
    assert (
        _in_template(result, stages_read[0].pointer)
        == "/Resources/Pipeline/Properties/Stages/0/Fn::If/1"
    )
    assert _in_template(result, stages_read[0].actions[0].pointer).endswith(
        "/Stages/0/Fn::If/1/Actions/0"
    )


def test_if_with_a_decided_condition_takes_one_branch_only() -> None:
    stages = f"""
    - Name: Release
      Actions:
        - !If [Approve, {APPROVAL}, !Ref AWS::NoValue]
        - {DEPLOY}
    """
    given = parse_cloudformation(_pipeline(stages), parameters={"WithApproval": "yes"})
    assert [a.name for a in given.pipelines[0].stages[0].actions] == ["Approve", "Deploy"]
    first = given.pipelines[0].stages[0].actions[0]
    assert _in_template(given, first.pointer).endswith("/Actions/0/Fn::If/1")
    refused = parse_cloudformation(_pipeline(stages), parameters={"WithApproval": "no"})
    assert [a.name for a in refused.pipelines[0].stages[0].actions] == ["Deploy"]
    assert not _unresolved(refused)


def test_undecidable_if_in_a_pipeline_property_widens_to_what_both_share() -> None:
    text = _template("x").replace(
        "RoleArn: arn:aws:iam::111122223333:role/pipeline",
        "RoleArn: !If [Approve, arn:aws:iam::111122223333:role/a, "
        "arn:aws:iam::111122223333:role/b]",
    )
    result = parse_cloudformation(UNDECIDED + text)
    assert result.pipelines[0].role_arn == "arn:aws:iam::111122223333:role/*"
    assert [f.path for f in _unresolved(result)] == ["/Resources/Pipeline/Properties/RoleArn"]


def test_declared_shapes_map_to_the_model() -> None:
    text = textwrap.dedent(
        """
        Parameters:
          Order: {Type: Number, Default: 2}
        Resources:
          Main:
            Type: AWS::CodePipeline::Pipeline
            Properties:
              RoleArn: arn:aws:iam::111122223333:role/p
              PipelineType: V2
              ExecutionMode: QUEUED
              RestartExecutionOnUpdate: true
              Variables: [{Name: Env, DefaultValue: dev}, {Name: Free}]
              Triggers:
                - ProviderType: CodeStarSourceConnection
                  GitConfiguration:
                    SourceActionName: Src
                    Push: [{Branches: {Includes: [main]}}]
              ArtifactStores:
                - Region: eu-west-1
                  ArtifactStore:
                    Type: S3
                    Location: store-eu
                    EncryptionKey: {Id: alias/pipeline, Type: KMS}
                - Region: us-east-1
                  ArtifactStore: {Type: S3, Location: store-us}
              Stages:
                - Name: Source
                  Actions:
                    - Name: Src
                      ActionTypeId:
                        Category: Source
                        Owner: AWS
                        Provider: CodeStarSourceConnection
                        Version: 1
                      Namespace: SourceVariables
                      OutputArtifacts: [{Name: src}]
                      Configuration: >-
                        {"ConnectionArn":
                        "arn:aws:codeconnections:eu-west-1:111122223333:connection/x",
                        "FullRepositoryId": "o/r", "DetectChanges": false}
                - Name: Deploy
                  OnFailure: {Result: ROLLBACK}
                  Actions:
                    - Name: Stack
                      ActionTypeId:
                        {Category: Deploy, Owner: AWS, Provider: CloudFormation, Version: "1"}
                      RunOrder: !Ref Order
                      Region: us-east-1
                      RoleArn: arn:aws:iam::444455556666:role/deployer
                      InputArtifacts: [{Name: src}]
                      TimeoutInMinutes: 60
                      Configuration:
                        ActionMode: CREATE_UPDATE
                        StackName: s
                        ParameterOverrides: {Key: value}
        """
    )
    result = parse_cloudformation(text, pointer="/pipelines/0")
    pipeline = result.pipelines[0]
    assert pipeline.name == "Main"
    assert pipeline.pointer == "/pipelines/0/Resources/Main/Properties"
    assert pipeline.pipeline_type == "V2"
    assert pipeline.variables == {"Env": "dev", "Free": None}
    assert pipeline.extras["logicalId"] == "Main"
    assert pipeline.extras["executionMode"] == "QUEUED"
    assert pipeline.extras["restartExecutionOnUpdate"] is True
    trigger = pipeline.extras["triggers"][0]
    assert trigger["gitConfiguration"]["push"][0]["branches"]["includes"] == ["main"]
    stores = {s.region: s for s in pipeline.artifact_stores}
    assert stores["eu-west-1"].location == "store-eu"
    assert stores["eu-west-1"].kms_key_id == "alias/pipeline"
    assert _in_template(result, stores["us-east-1"].pointer) == (
        "/pipelines/0/Resources/Main/Properties/ArtifactStores/1/ArtifactStore"
    )
    source, stack = pipeline.stages[0].actions[0], pipeline.stages[1].actions[0]
    assert source.configuration == {
        "ConnectionArn": "arn:aws:codeconnections:eu-west-1:111122223333:connection/x",
        "FullRepositoryId": "o/r",
        "DetectChanges": "false",
    }
    assert source.type.version == "1"
    assert source.namespace == "SourceVariables"
    assert source.output_artifacts == ("src",)
    assert (
        _in_template(result, source.pointer)
        == "/pipelines/0/Resources/Main/Properties/Stages/0/Actions/0"
    )
    assert stack.run_order == 2
    assert stack.region == "us-east-1"
    assert stack.role_arn == "arn:aws:iam::444455556666:role/deployer"
    assert stack.input_artifacts == ("src",)
    assert stack.extras == {"timeoutInMinutes": 60}
    assert json.loads(stack.configuration["ParameterOverrides"]) == {"Key": "value"}
    assert pipeline.stages[1].extras == {"onFailure": {"result": "ROLLBACK"}}
    assert {f.code for f in result.findings} == {"CONFIGURATION_VALUE_TYPE"}
    assert all(f.path.startswith("/pipelines/0/") for f in result.findings)


def test_every_pipeline_of_a_template_is_read() -> None:
    one = _template("a")
    two = one.replace("  Pipeline:\n", "  Second:\n", 1)
    both = one + two.split("Resources:\n", 1)[1]
    result = parse_cloudformation(both)
    assert sorted(p.name for p in result.pipelines) == ["Pipeline", "Second"]


def test_a_pipeline_whose_condition_is_false_is_left_out() -> None:
    header = "Conditions:\n  Never: !Equals [a, b]\n"
    one = _template("a")
    second = one.replace("  Pipeline:\n", "  Second:\n    Condition: Never\n", 1)
    result = parse_cloudformation(header + one + second.split("Resources:\n", 1)[1])
    assert [p.name for p in result.pipelines] == ["Pipeline"]
    assert any(f.code == "PIPELINE_NOT_CREATED" for f in result.findings)


def test_when_no_pipeline_is_created_they_are_read_as_if_created_with_a_finding() -> None:
    header = "Conditions:\n  Never: !Equals [a, b]\n"
    text = header + _template("a").replace("  Pipeline:\n", "  Pipeline:\n    Condition: Never\n")
    result = parse_cloudformation(text)
    assert [p.name for p in result.pipelines] == ["Pipeline"]
    assert result.pipelines[0].extras["condition"] == "Never"
    assert any(f.path == "/Resources/Pipeline/Condition" for f in _unresolved(result))


def test_an_empty_role_arn_parameter_widens_with_a_finding() -> None:
    header = 'Parameters:\n  RoleArn: {Type: String, Default: ""}\n'
    text = header + _template("a").replace(
        "RoleArn: arn:aws:iam::111122223333:role/pipeline", "RoleArn: !Ref RoleArn"
    )
    result = parse_cloudformation(text)
    assert result.pipelines[0].role_arn == "*"
    assert [f.path for f in _unresolved(result)] == ["/Resources/Pipeline/Properties/RoleArn"]


def test_json_template_with_a_trailing_comma_is_read() -> None:
    template: dict[str, Any] = {
        "Resources": {
            "P": {
                "Type": "AWS::CodePipeline::Pipeline",
                "Properties": {
                    "RoleArn": {"Fn::Sub": "arn:aws:iam::${AWS::AccountId}:role/p"},
                    "ArtifactStore": {"Type": "S3", "Location": "b"},
                    "Stages": [
                        {
                            "Name": "S",
                            "Actions": [
                                {
                                    "Name": "A",
                                    "ActionTypeId": {
                                        "Category": "Source",
                                        "Owner": "AWS",
                                        "Provider": "S3",
                                        "Version": 1,
                                    },
                                    "Configuration": {"S3Bucket": {"Ref": "AWS::Region"}},
                                }
                            ],
                        }
                    ],
                },
            }
        }
    }
    text = json.dumps(template, indent=2)
    text = text[: text.rindex("}")].rstrip() + ",\n}"  # a trailing comma after the last member
    result = parse_cloudformation(text, context=CONTEXT)
    pipeline = result.pipelines[0]
    assert pipeline.role_arn == "arn:aws:iam::111122223333:role/p"
    assert pipeline.stages[0].actions[0].configuration == {"S3Bucket": "eu-west-1"}


@pytest.mark.parametrize(
    ("text", "line"),
    [
        pytest.param("Resources:\n  P:\n    Type: [unclosed\n  Q: 1\n", 4, id="yaml"),
        pytest.param('{"Resources": {\n  "P": {"Type": "X",\n  "Q": ]}\n}}', 3, id="json"),
        pytest.param("Resources:\n  P: 1\n  P: 2\n", 3, id="duplicate-key"),
    ],
)
def test_malformed_text_is_a_parse_error_with_its_line(text: str, line: int) -> None:
    with pytest.raises(PipelineParseError) as caught:
        parse_cloudformation(text)
    assert f"line {line}" in caught.value.message
    assert caught.value.pointer == ""


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("Resources:\n  B: {Type: AWS::S3::Bucket}\n", id="other-resources"),
        pytest.param("AWSTemplateFormatVersion: '2010-09-09'\n", id="no-resources"),
        pytest.param("- a\n- b\n", id="not-a-mapping"),
        pytest.param("", id="empty"),
    ],
)
def test_a_template_without_a_pipeline_is_a_parse_error(text: str) -> None:
    with pytest.raises(PipelineParseError) as caught:
        parse_cloudformation(text)
    assert caught.value.message


def test_no_pipeline_message() -> None:
    with pytest.raises(PipelineParseError, match=r"^no AWS::CodePipeline::Pipeline resource"):
        parse_cloudformation("Resources:\n  B: {Type: AWS::S3::Bucket}\n")


def test_a_pipeline_missing_required_parts_is_located() -> None:
    text = _template("a").replace("        - Name: Run\n", "        - Nome: Run\n")
    with pytest.raises(PipelineParseError) as caught:
        parse_cloudformation(text)
    assert caught.value.pointer == "/Resources/Pipeline/Properties/Stages/1/Name"


def _alias_bomb(levels: int = 10, width: int = 10) -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels):
        refs = ", ".join([f"*a{i - 1}"] * width)
        lines.append(f"a{i}: &a{i} [{refs}]")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(_alias_bomb(), id="top-level"),
        pytest.param(
            _template("*a8", header="Metadata:\n" + textwrap.indent(_alias_bomb(9), "  ")),
            id="used-by-the-pipeline",
        ),
    ],
)
def test_a_yaml_alias_bomb_ends_fast(text: str) -> None:
    started = time.monotonic()
    with pytest.raises(PipelineParseError):
        parse_cloudformation(text)
    assert time.monotonic() - started < 5


def _attempt(text: str) -> ParsedTemplate | PipelineParseError:
    try:
        return parse_cloudformation(text)
    except PipelineParseError as exc:
        return exc


def test_a_moderate_alias_expansion_in_the_pipeline_is_bounded() -> None:
    header = "Metadata:\n" + textwrap.indent(_alias_bomb(5, 10), "  ")
    started = time.monotonic()
    outcome = _attempt(_template("*a4", header=header))
    assert time.monotonic() - started < 5
    if isinstance(outcome, PipelineParseError):
        assert outcome.message
    else:
        assert outcome.pipelines[0].stages[1].actions[0].configuration["Value"].startswith("[")


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("[" * 3000 + "]" * 3000, id="yaml-lists-past-the-decoder-limit"),
        pytest.param("[" * 150 + "]" * 150, id="yaml-lists-past-the-resolver-limit"),
        pytest.param("!Join ['', [" * 100 + "x" + "]]" * 100, id="nested-intrinsics"),
        pytest.param("!Join ['', [" * 10 + "x" + "]]" * 10, id="nesting-within-limits"),
    ],
)
def test_deep_nesting_ends_fast_with_an_error_or_a_result(value: str) -> None:
    started = time.monotonic()
    outcome = _attempt(_template(value))
    assert time.monotonic() - started < 5
    if isinstance(outcome, PipelineParseError):
        assert "nest" in outcome.message or "recursion" in outcome.message
        assert outcome.pointer == ""
    else:
        assert outcome.pipelines[0].stages[1].actions[0].configuration["Value"] == "x"


def test_deep_json_nesting_ends_fast() -> None:
    text = '{"Resources": {"P": {"Type": "AWS::CodePipeline::Pipeline", "Properties": ' + (
        '{"a": ' * 5000 + "1" + "}" * 5000 + "}}}"
    )
    started = time.monotonic()
    with pytest.raises(PipelineParseError):
        parse_cloudformation(text)
    assert time.monotonic() - started < 5


@pytest.mark.parametrize(
    ("source", "kind"),
    [
        pytest.param(_template("a"), "cloudformation", id="yaml"),
        pytest.param('{"AWSTemplateFormatVersion": "2010-09-09"}', "cloudformation", id="json"),
        pytest.param({"Resources": {}}, "cloudformation", id="mapping"),
        pytest.param('{"Resources": {},}', "cloudformation", id="json-trailing-comma"),
        pytest.param({"pipeline": {}}, "codepipeline-json", id="get-pipeline"),
        pytest.param('{"stages": [], "roleArn": "r"}', "codepipeline-json", id="bare-pipeline"),
    ],
)
def test_formats_are_detected(source: str | Mapping[str, Any], kind: str) -> None:
    assert detect_format(source) == kind


def test_detection_hands_templates_to_this_parser() -> None:
    result = parse_pipeline_source(_template("!Ref AWS::Region"), context=CONTEXT)
    assert _action(result).configuration["Value"] == "eu-west-1"
    mapping = parse_pipeline_source(
        {
            "Resources": {
                "P": {
                    "Type": "AWS::CodePipeline::Pipeline",
                    "Properties": {
                        "RoleArn": "r",
                        "ArtifactStore": {"Location": "b"},
                        "Stages": [],
                    },
                }
            }
        }
    )
    assert mapping.pipelines[0].name == "P"


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("Type: AWS::CodePipeline::Pipeline\nProperties: {}\n", id="a-bare-resource"),
        pytest.param('{"name": "x"}', id="neither"),
        pytest.param("{not json", id="bad-json"),
    ],
)
def test_undetectable_sources_are_parse_errors(source: str) -> None:
    with pytest.raises(PipelineParseError) as caught:
        parse_pipeline_source(source)
    assert caught.value.message


def _in_template(parsed: ParsedTemplate, pointer: str) -> str | None:
    """Where a place of the pipeline document read from the template is in the template."""
    return template_pointer(pointer, parsed.pipelines)


def test_names_and_numbers_written_as_yaml_numbers_are_their_text() -> None:
    text = """
Resources:
  P:
    Type: AWS::CodePipeline::Pipeline
    Properties:
      Name: 2024
      RoleArn: arn:aws:iam::111122223333:role/r
      ArtifactStore: {Type: S3, Location: b}
      PipelineType: ""
      Stages:
        - Name: 1
          Actions:
            - Name: 2
              ActionTypeId: {Category: Source, Owner: AWS, Provider: S3, Version: 1}
              Configuration: {S3Bucket: b, S3ObjectKey: k, PollForSourceChanges: false}
              OutputArtifacts: [{Name: 3}]
              RunOrder: "2"
"""
    result = parse_cloudformation(text)
    pipeline = result.pipelines[0]
    (stage,) = pipeline.stages
    (action,) = stage.actions
    assert (pipeline.name, stage.name, action.name) == ("2024", "1", "2")
    assert pipeline.pipeline_type is None  # an empty value is no value
    assert action.type.version == "1"
    assert action.configuration["PollForSourceChanges"] == "false"
    assert (action.output_artifacts, action.run_order) == (("3",), 2)
    assert not result.findings


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({"RoleArn": "arn:aws:iam::111122223333:role/p"}, []),
        ({"RoleArm": "x"}, [("/sources/0/parameters/RoleArm", "RoleArn")]),
        ({"Unrelated": "x"}, [("/sources/0/parameters/Unrelated", None)]),
    ],
)
def test_a_value_for_a_parameter_the_template_lacks_is_named(
    given: dict[str, str], expected: list[tuple[str, str | None]]
) -> None:
    header = 'Parameters:\n  RoleArn: {Type: String, Default: ""}\n'
    text = header + _template("a")
    result = parse_cloudformation(text, parameters=given, pointer="/sources/0/body")
    unknown = [f for f in result.findings if f.code == "UNKNOWN_PARAMETER"]
    assert [(f.path, f.detail.get("did_you_mean")) for f in unknown] == expected


def test_large_templates_are_decoded_one_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    import threading  # noqa: PLC0415

    from cfnlint import decode  # noqa: PLC0415

    from app.engine.pipeline import cloudformation  # noqa: PLC0415

    running, most = 0, 0
    lock = threading.Lock()
    real = decode.decode_str

    def counted(text: str) -> Any:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.05)
        with lock:
            running -= 1
        return real(text)

    monkeypatch.setattr(decode, "decode_str", counted)
    large = _template("a") + "\n# " + "x" * (cloudformation.LARGE_TEMPLATE_CHARS + 1) + "\n"
    threads = [threading.Thread(target=parse_cloudformation, args=(large,)) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most == 1


def test_a_request_waiting_for_a_large_decode_stops_at_its_deadline() -> None:
    from app.engine.budget import WorkBudget, WorkCancelledError  # noqa: PLC0415
    from app.engine.pipeline import cloudformation  # noqa: PLC0415

    large = _template("a") + "\n# " + "x" * (cloudformation.LARGE_TEMPLATE_CHARS + 1) + "\n"
    budget = WorkBudget(deadline=time.monotonic() + 0.1)
    with (
        cloudformation._one_large_decode_at_a_time(large, WorkBudget()),
        pytest.raises(WorkCancelledError),
    ):
        parse_cloudformation(large, budget=budget)


def test_a_referenced_resources_arn_takes_the_format_of_the_catalogue_in_use() -> None:
    from app.engine.iam.catalog import Catalog  # noqa: PLC0415

    from ....catalogs import encode_document, shipped_document  # noqa: PLC0415

    document = shipped_document()
    # A catalogue whose topics are named under a path: every ARN built must follow it.
    document["s"]["sns"]["r"] = [
        ["topic", ["arn:${Partition}:sns:${Region}:${Account}:topics/${TopicName}"], [1]]
    ]
    catalog = Catalog.from_snapshot(encode_document(document, "test-topics"))
    text = _template("!Ref Topic", header=PARAMS, resources=RESOURCES)
    in_use = TemplateContext(account="111122223333", region="eu-west-1", catalog=catalog)
    result = parse_cloudformation(text, context=in_use)
    assert _action(result).configuration["Value"] == (
        "arn:aws:sns:eu-west-1:111122223333:topics/alerts"
    )
    shipped = parse_cloudformation(text, context=CONTEXT)
    assert _action(shipped).configuration["Value"] == "arn:aws:sns:eu-west-1:111122223333:alerts"
