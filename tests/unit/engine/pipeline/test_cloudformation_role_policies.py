"""The service-role policies a CloudFormation template defines beside its pipeline."""

from __future__ import annotations

from typing import Any

import pytest

from app.engine.pipeline.cloudformation import parse_cloudformation
from app.engine.pipeline.template_values import TemplateContext

PIPELINE = """
  Pipeline:
    Type: AWS::CodePipeline::Pipeline
    Properties:
      RoleArn: {role_arn}
      ArtifactStore: {{Type: S3, Location: artifacts}}
      Stages:
        - Name: Source
          Actions:
            - Name: Source
              ActionTypeId: {{Category: Source, Owner: AWS, Provider: CodeCommit, Version: "1"}}
              Configuration: {{RepositoryName: repo, BranchName: main}}
              OutputArtifacts: [{{Name: src}}]
"""

ROLE = """
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {Version: "2012-10-17", Statement: []}
      Policies:
        - PolicyName: inline
          PolicyDocument:
            Version: 2012-10-17
            Statement:
              - Effect: Allow
                Action: codecommit:GetBranch
                Resource: !Sub arn:aws:codecommit:${AWS::Region}:${AWS::AccountId}:repo
"""

ATTACHED = """
  Attached:
    Type: AWS::IAM::Policy
    Properties:
      PolicyName: attached
      Roles: [!Ref Role]
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - {Effect: Allow, Action: s3:GetObject, Resource: !Sub "arn:aws:s3:::${Bucket}/*"}
  Bucket:
    Type: AWS::S3::Bucket
  Managed:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument: >-
        {"Version": "2012-10-17", "Statement":
        [{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}]}
  Other:
    Type: AWS::IAM::Policy
    Properties:
      PolicyName: other
      Roles: [SomeoneElse]
      PolicyDocument: {Version: "2012-10-17", Statement: []}
"""


def template(role_arn: str, *parts: str, managed: str = "") -> str:
    role = ROLE + (f"      ManagedPolicyArns: {managed}\n" if managed else "")
    return "Resources:" + PIPELINE.format(role_arn=role_arn) + role + "".join(parts)


def documents(text: str) -> list[tuple[Any, str]]:
    parsed = parse_cloudformation(
        text, context=TemplateContext(account="111122223333", region="eu-west-1")
    )
    return [doc for rp in parsed.role_policies for doc in rp.documents]


@pytest.mark.parametrize(
    "role_arn",
    [
        "!GetAtt Role.Arn",
        "!GetAtt [Role, Arn]",
        "!Sub ${Role.Arn}",
        '!Join ["", ["", !GetAtt Role.Arn]]',
    ],
)
def test_the_role_is_found_however_the_pipeline_refers_to_it(role_arn: str) -> None:
    found = documents(template(role_arn))
    assert len(found) == 1
    document, pointer = found[0]
    assert pointer == "/Resources/Role/Properties/Policies/0/PolicyDocument"
    assert document["Version"] == "2012-10-17"  # YAML's date read back as the text it was
    assert document["Statement"][0]["Resource"] == "arn:aws:codecommit:eu-west-1:111122223333:repo"


def test_attached_and_managed_policies_are_gathered_and_others_left_out() -> None:
    found = documents(
        template("!GetAtt Role.Arn", ATTACHED, managed="[!Ref Managed, arn:aws:iam::aws:policy/X]")
    )
    pointers = [p for _, p in found]
    assert pointers == [
        "/Resources/Role/Properties/Policies/0/PolicyDocument",
        "/Resources/Attached/Properties/PolicyDocument",
        "/Resources/Managed/Properties/PolicyDocument",
    ]
    by_pointer = {p: d for d, p in found}
    attached = by_pointer["/Resources/Attached/Properties/PolicyDocument"]
    assert attached["Statement"][0]["Resource"] == "arn:aws:s3:::*/*"  # generated bucket name
    managed = by_pointer["/Resources/Managed/Properties/PolicyDocument"]
    assert managed["Statement"][0]["Action"] == "s3:PutObject"  # JSON text read as a document


def test_an_aws_managed_policy_is_named_as_not_read() -> None:
    parsed = parse_cloudformation(
        template("!GetAtt Role.Arn", managed="[arn:aws:iam::aws:policy/AmazonS3FullAccess]")
    )
    (policies,) = parsed.role_policies
    (note,) = policies.findings
    assert note.code == "ROLE_POLICY_NOT_READ"
    assert "AmazonS3FullAccess" in note.message
    assert note.path == "/Resources/Role/Properties/ManagedPolicyArns/0"


@pytest.mark.parametrize(
    "role_arn",
    ["arn:aws:iam::111122223333:role/external", "!ImportValue PipelineRole", "!Ref RoleParam"],
)
def test_a_role_the_template_does_not_define_has_no_policies(role_arn: str) -> None:
    text = template(role_arn).replace(
        "Resources:", "Parameters:\n  RoleParam: {Type: String, Default: x}\nResources:", 1
    )
    assert parse_cloudformation(text).role_policies == []


UNDETERMINED = """
  Undetermined:
    Type: AWS::IAM::Policy
    Properties:
      PolicyName: undetermined
      Roles: [!Ref Role]
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - {statement}
"""
PARAMETERS = "Parameters:\n  Missing: {Type: String}\n"
STATEMENT_AT = "/Resources/Undetermined/Properties/PolicyDocument/Statement/0"


@pytest.mark.parametrize(
    ("statement", "place", "sure", "possible"),
    [
        pytest.param(
            '{Effect: Allow, Action: s3:GetObject, Resource: !Sub "arn:aws:s3:::${Missing}/*"}',
            "Resource",
            {"Resource": "arn:aws:s3:::\x00/*"},
            {"Resource": "arn:aws:s3:::*/*"},
            id="unknown-resource",
        ),
        pytest.param(
            "{Effect: Allow, Action: [s3:GetObject, !Ref Missing], Resource: '*'}",
            "Action/1",
            {"Action": ["s3:GetObject", "\x00"]},
            {"Action": ["s3:GetObject", "*"]},
            id="unknown-action",
        ),
        pytest.param(
            "{Effect: Allow, Action: s3:GetObject, Resource: '*', "
            "Condition: {StringEquals: {aws:ResourceAccount: !Ref Missing}}}",
            "Condition/StringEquals/aws:ResourceAccount",
            {"Action": "\x00"},  # the test may fail: the sure reading grants nothing by it
            {"Condition": None},  # the test may hold: the possible reading has none
            id="unknown-condition-value",
        ),
        pytest.param(
            '{Effect: Deny, Action: "s3:*", Resource: !Sub "arn:aws:s3:::${Missing}"}',
            "Resource",
            {"Resource": "arn:aws:s3:::*"},
            {"Resource": "arn:aws:s3:::\x00"},
            id="unknown-in-a-deny",
        ),
    ],
)
def test_a_value_the_template_does_not_determine_is_found_at_its_place_and_read_both_ways(
    statement: str, place: str, sure: dict[str, Any], possible: dict[str, Any]
) -> None:
    text = PARAMETERS + template("!GetAtt Role.Arn", UNDETERMINED.format(statement=statement))
    context = TemplateContext(account="111122223333", region="eu-west-1")
    (policies,) = parse_cloudformation(text, context=context).role_policies
    line = text.splitlines().index(f"          - {statement}") + 1
    assert policies.undetermined == ((f"{STATEMENT_AT}/{place}", line),)
    (inline, undetermined) = policies.sure
    assert inline == policies.possible[0] == policies.documents[0]  # determined in full
    assert undetermined[1] == STATEMENT_AT.removesuffix("/Statement/0")
    for reading, expected in ((policies.sure, sure), (policies.possible, possible)):
        read = reading[1][0]["Statement"][0]
        assert {key: read.get(key) for key in expected} == expected
