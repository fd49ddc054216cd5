"""POST /v1/policies/diff with `current.from_sources`: the trust, bucket and key policies the
template defines are compared as the current companion documents, at their places in it."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient

from ..documents import trust_policy

ACCOUNT, OTHER, REGION = "111122223333", "444455556666", "eu-west-1"
SERVICE_ROLE = f"arn:aws:iam::{ACCOUNT}:role/pipeline-role"
STACK_ROLE = f"arn:aws:iam::{ACCOUNT}:role/stack-role"
DEPLOY_ROLE = f"arn:aws:iam::{OTHER}:role/deploy"
KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/*"
BODY = "/required/sources/0/body"

TEMPLATE = f"""
Resources:
  Pipeline:
    Type: AWS::CodePipeline::Pipeline
    Properties:
      RoleArn: !GetAtt PipelineRole.Arn
      ArtifactStore:
        Type: S3
        Location: !Ref Bucket
        EncryptionKey: {{Type: KMS, Id: !GetAtt Key.Arn}}
      Stages:
        - Name: Source
          Actions:
            - Name: Source
              ActionTypeId: {{Category: Source, Owner: AWS, Provider: CodeCommit, Version: "1"}}
              Configuration: {{RepositoryName: repo, BranchName: main}}
              OutputArtifacts: [{{Name: src}}]
        - Name: Deploy
          Actions:
            - Name: Stack
              ActionTypeId: {{Category: Deploy, Owner: AWS, Provider: CloudFormation, Version: "1"}}
              RoleArn: {DEPLOY_ROLE}
              Configuration:
                ActionMode: CREATE_UPDATE
                StackName: app
                TemplatePath: src::stack.yaml
                RoleArn: !GetAtt StackRole.Arn
              InputArtifacts: [{{Name: src}}]
  PipelineRole:
    Type: AWS::IAM::Role
    Properties:
      RoleName: pipeline-role
      AssumeRolePolicyDocument:
        Version: 2012-10-17
        Statement:
          - Effect: Allow
            Principal: {{Service: codepipeline.amazonaws.com}}
            Action: sts:AssumeRole
      Policies:
        - PolicyName: pipeline
          PolicyDocument:
            Version: 2012-10-17
            Statement:
              - {{Effect: Allow, Action: "codecommit:*", Resource: "*"}}
  StackRole:
    Type: AWS::IAM::Role
    Properties:
      RoleName: stack-role
      AssumeRolePolicyDocument: >-
        {{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow",
        "Principal": {{"Service": "codedeploy.amazonaws.com"}}, "Action": "sts:AssumeRole"}}]}}
  Bucket:
    Type: AWS::S3::Bucket
    Properties: {{BucketName: artifacts}}
  BucketPolicy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref Bucket
      PolicyDocument:
        Version: 2012-10-17
        Statement:
          - Effect: Allow
            Principal: {{AWS: {DEPLOY_ROLE}}}
            Action: [s3:GetObject, s3:GetObjectVersion]
            Resource: !Sub "${{Bucket.Arn}}/*"
  Key:
    Type: AWS::KMS::Key
    Properties:
      KeyPolicy:
        Version: 2012-10-17
        Statement:
          - Sid: Admin
            Effect: Allow
            Principal: {{AWS: !Sub "arn:aws:iam::${{AWS::AccountId}}:root"}}
            Action: kms:*
            Resource: "*"
          - Sid: Users
            Effect: Allow
            Principal: {{AWS: [!GetAtt PipelineRole.Arn, {DEPLOY_ROLE}]}}
            Action: [kms:Decrypt, kms:GenerateDataKey]
            Resource: "*"
"""


def _diff(
    client: TestClient,
    companions: list[dict[str, Any]],
    *,
    template: str = TEMPLATE,
    context: dict[str, str] | None = None,
) -> dict[str, Any]:
    request = {
        "current": {"from_sources": True, "companions": companions},
        "required": {
            "sources": [{"body": template, "format": "cloudformation"}],
            "context": context or {"account": ACCOUNT, "region": REGION},
        },
    }
    response = client.post("/v1/policies/diff", json=request)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_the_templates_companion_policies_are_compared(client: TestClient) -> None:
    body = _diff(client, [])
    compared = {(c["kind"], c["target"]): c for c in body["companions"]}
    assert {key: c["path"] for key, c in compared.items()} == {
        ("trust-policy", SERVICE_ROLE): f"{BODY}/Resources/PipelineRole/Properties/"
        "AssumeRolePolicyDocument",
        ("trust-policy", STACK_ROLE): f"{BODY}/Resources/StackRole/Properties/"
        "AssumeRolePolicyDocument",
        ("bucket-policy", "artifacts"): f"{BODY}/Resources/BucketPolicy/Properties/PolicyDocument",
        ("key-policy", KEY): f"{BODY}/Resources/Key/Properties/KeyPolicy",
    }
    verdicts = {key: c["verdict"] for key, c in compared.items()}
    assert verdicts == {
        ("trust-policy", SERVICE_ROLE): "sufficient",
        ("trust-policy", STACK_ROLE): "insufficient",  # it trusts CodeDeploy, JSON text
        ("bucket-policy", "artifacts"): "insufficient",
        ("key-policy", KEY): "sufficient",
    }
    (stack_gap,) = compared[("trust-policy", STACK_ROLE)]["missing"]
    assert stack_gap["principal"] == "cloudformation.amazonaws.com"
    stack_trust = f"{BODY}/Resources/StackRole/Properties/AssumeRolePolicyDocument"
    assert compared[("trust-policy", STACK_ROLE)]["unneeded"] == [
        {"sid": None, "path": f"{stack_trust}/Statement/0"}
    ]
    bucket_gaps = {g["sid"] for g in compared[("bucket-policy", "artifacts")]["missing"]}
    # The deploy role of the other account reads artifacts: it must also list the bucket; the
    # walkthrough's refusals are not there either.
    assert "ListArtifactBucket" in bucket_gaps
    assert "ReadArtifacts" not in bucket_gaps
    # The account's own statement lets the account's roles in too: nothing is unneeded.
    assert compared[("key-policy", KEY)]["unneeded"] == []


def test_a_companion_given_wins_over_the_templates(client: TestClient) -> None:
    given = trust_policy({"Service": "cloudformation.amazonaws.com"})
    body = _diff(
        client,
        [
            {"kind": "trust-policy", "target": STACK_ROLE, "document": given},
            {"kind": "trust-policy", "target": SERVICE_ROLE, "document": json.dumps(given)},
        ],
    )
    by_target = {c["target"]: c for c in body["companions"] if c["kind"] == "trust-policy"}
    assert [c["target"] for c in body["companions"]].count(STACK_ROLE) == 1
    assert by_target[STACK_ROLE]["path"] == "/current/companions/0/document"
    assert by_target[STACK_ROLE]["verdict"] == "sufficient"
    assert by_target[SERVICE_ROLE]["path"] == "/current/companions/1/document"
    assert by_target[SERVICE_ROLE]["verdict"] == "insufficient"
    assert {c["kind"] for c in body["companions"]} == {
        "trust-policy",
        "bucket-policy",
        "key-policy",
    }


def test_without_from_sources_the_templates_companions_are_not_read(client: TestClient) -> None:
    request = {
        "current": {"documents": [{"Version": "2012-10-17", "Statement": []}]},
        "required": {
            "sources": [{"body": TEMPLATE, "format": "cloudformation"}],
            "context": {"account": ACCOUNT, "region": REGION},
        },
    }
    response = client.post("/v1/policies/diff", json=request)
    assert response.status_code == 200, response.text
    assert response.json()["companions"] == []


def test_what_is_not_compared_is_a_finding_at_its_place(client: TestClient) -> None:
    """Without the account, the stack role's and the key's names are not known in full and the
    pipeline's companion documents have none for them; a key without a key policy is not read."""
    body = _diff(client, [], context={"region": REGION})
    assert {c["target"] for c in body["companions"]} == {
        SERVICE_ROLE.replace(ACCOUNT, "*"),
        "artifacts",
    }
    not_compared = {
        f["path"] for f in body["findings"] if f["code"] == "COMPANION_POLICY_NOT_COMPARED"
    }
    assert not_compared == {
        f"{BODY}/Resources/StackRole/Properties/AssumeRolePolicyDocument",
        f"{BODY}/Resources/Key/Properties/KeyPolicy",
    }

    start = TEMPLATE.index("      KeyPolicy:")
    without_key_policy = TEMPLATE[:start] + "      Description: artifacts\n"
    body = _diff(client, [], template=without_key_policy)
    assert "key-policy" not in {c["kind"] for c in body["companions"]}
    (not_read,) = [f for f in body["findings"] if f["code"] == "COMPANION_POLICY_NOT_READ"]
    assert (
        not_read["path"] == f"{BODY}/Resources/Pipeline/Properties/ArtifactStore/EncryptionKey/Id"
    )
    assert "default key policy" in not_read["message"]


def test_a_principal_the_template_does_not_determine_is_a_warning_at_its_place(
    client: TestClient,
) -> None:
    """The pipeline's role without a `RoleName` has a name CloudFormation generates: the key
    policy naming it by `!GetAtt` is not compared, a WARNING at that principal says why, and
    it is no ERROR of the policy. A principal the template writes as a pattern still is."""
    generated = TEMPLATE.replace("      RoleName: pipeline-role\n", "")
    body = _diff(client, [], template=generated)
    principal = f"{BODY}/Resources/Key/Properties/KeyPolicy/Statement/1/Principal/AWS/0"
    assert "key-policy" not in {c["kind"] for c in body["companions"]}
    assert "INVALID_PRINCIPAL" not in {f["code"] for f in body["findings"]}
    (warning,) = [f for f in body["findings"] if f["path"] == principal]
    assert (warning["code"], warning["finding_type"]) == (
        "COMPANION_POLICY_NOT_COMPARED",
        "WARNING",
    )
    assert f"`arn:aws:iam::{ACCOUNT}:role/*`" in warning["message"]
    users = f"            Principal: {{AWS: [!GetAtt PipelineRole.Arn, {DEPLOY_ROLE}]}}"
    assert warning["line"] == generated.splitlines().index(users) + 1

    pattern = users.replace("!GetAtt PipelineRole.Arn", f"arn:aws:iam::{ACCOUNT}:role/p-*")
    written = generated.replace(users, pattern)
    body = _diff(client, [], template=written)
    (error,) = [f for f in body["findings"] if f["path"] == principal]
    assert (error["code"], error["finding_type"]) == ("INVALID_PRINCIPAL", "ERROR")
