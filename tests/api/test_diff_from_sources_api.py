"""POST /v1/policies/diff with `current.from_sources`: the trust, bucket and key policies the
template defines are compared as the current companion documents, at their places in it."""

from __future__ import annotations

import json
from typing import Any

import pytest
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


KEY_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": SERVICE_ROLE},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                "Resource": "*",
            },
            {"Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*"},
        ],
    }
)
# A key policy that is not one document: JSON text of a list of them (was a 500 when its
# statements were compared), text that is not JSON, a list.
NOT_ONE_KEY_POLICY = [
    ("NOT_A_POLICY", f"      KeyPolicy: '[{KEY_POLICY}]'"),
    ("INVALID_JSON", f"      KeyPolicy: '{KEY_POLICY[:-1]}'"),
    ("NOT_A_POLICY", f"      KeyPolicy: [{KEY_POLICY}]"),
]


@pytest.mark.parametrize(("code", "key_policy"), NOT_ONE_KEY_POLICY)
def test_a_template_key_policy_that_is_not_one_document_is_an_error_at_its_place(
    client: TestClient, code: str, key_policy: str
) -> None:
    """An ERROR at the key policy, with its line; the key policy is neither compared nor
    weighed where the run is decided (its Deny would refuse the role otherwise)."""
    start = TEMPLATE.index("      KeyPolicy:")
    template = TEMPLATE[:start] + key_policy + "\n"
    request = {
        "current": {"from_sources": True, "authorization": {}},
        "required": {
            "sources": [{"body": template, "format": "cloudformation"}],
            "context": {"account": ACCOUNT, "region": REGION},
        },
    }
    response = client.post("/v1/policies/diff", json=request)
    assert response.status_code == 200, response.text
    body = response.json()
    at = f"{BODY}/Resources/Key/Properties/KeyPolicy"
    (error,) = [f for f in body["findings"] if f["path"] == at]
    assert (error["code"], error["finding_type"]) == (code, "ERROR")
    assert error["line"] == template.splitlines().index(key_policy) + 1
    assert "key-policy" not in {c["kind"] for c in body["companions"]}
    decrypts = [
        c for c in body["will_run"]["checks"]
        if c["role"] == SERVICE_ROLE and c["action"] == "kms:Decrypt"
    ]  # fmt: skip
    assert decrypts
    assert all(c["decision"] != "explicitly_denied" for c in decrypts), decrypts


ROLE_POLICY = """          PolicyDocument:
            Version: 2012-10-17
            Statement:
              - {Effect: Allow, Action: "codecommit:*", Resource: "*"}
"""


def test_a_template_role_policy_that_is_not_one_document_is_not_read(client: TestClient) -> None:
    """The role's only policy as JSON text of a list: an ERROR at its place, and no policy of
    the template's grants the role CodeCommit."""
    statement = {"Effect": "Allow", "Action": "codecommit:*", "Resource": "*"}
    listed = json.dumps([{"Version": "2012-10-17", "Statement": [statement]}])
    assert ROLE_POLICY in TEMPLATE
    template = TEMPLATE.replace(ROLE_POLICY, f"          PolicyDocument: '{listed}'\n")
    body = _diff(client, [], template=template)
    at = f"{BODY}/Resources/PipelineRole/Properties/Policies/0/PolicyDocument"
    (error,) = [f for f in body["findings"] if f["path"] == at]
    assert (error["code"], error["finding_type"]) == ("NOT_A_POLICY", "ERROR")
    assert "codecommit:GetBranch" in {a for m in body["missing"] for a in m["actions"]}


TERRAFORM = f"""
data "aws_iam_policy_document" "trust" {{
  statement {{
    actions = ["sts:AssumeRole"]
    principals {{
      type        = "Service"
      identifiers = ["codepipeline.amazonaws.com"]
    }}
  }}
}}

data "aws_iam_policy_document" "pipeline" {{
  statement {{
    sid       = "Artifacts"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.artifacts.arn, "${{aws_s3_bucket.artifacts.arn}}/*"]
  }}
}}

resource "aws_iam_role" "pipeline" {{
  name               = "pipeline-role"
  assume_role_policy = data.aws_iam_policy_document.trust.json
  inline_policy {{
    name = "source"
    policy = jsonencode({{
      Version   = "2012-10-17"
      Statement = [{{ Effect = "Allow", Action = "codecommit:*", Resource = "*" }}]
    }})
  }}
}}

resource "aws_iam_role_policy" "pipeline" {{
  role   = aws_iam_role.pipeline.id
  policy = data.aws_iam_policy_document.pipeline.json
}}

resource "aws_iam_role" "stack" {{
  name               = "stack-role"
  assume_role_policy = <<EOT
{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow",
  "Principal": {{"Service": "codedeploy.amazonaws.com"}}, "Action": "sts:AssumeRole"}}]}}
EOT
}}

resource "aws_s3_bucket" "artifacts" {{
  bucket = "artifacts"
}}

resource "aws_s3_bucket_policy" "artifacts" {{
  bucket = aws_s3_bucket.artifacts.id
  policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Effect    = "Allow"
      Principal = {{ AWS = "{DEPLOY_ROLE}" }}
      Action    = ["s3:GetObject", "s3:GetObjectVersion"]
      Resource  = "${{aws_s3_bucket.artifacts.arn}}/*"
    }}]
  }})
}}

resource "aws_kms_key" "artifacts" {{
  policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [
      {{
        Sid       = "Admin"
        Effect    = "Allow"
        Principal = {{ AWS = "arn:aws:iam::${{data.aws_caller_identity.me.account_id}}:root" }}
        Action    = "kms:*"
        Resource  = "*"
      }},
      {{
        Sid       = "Users"
        Effect    = "Allow"
        Principal = {{ AWS = [aws_iam_role.pipeline.arn, "{DEPLOY_ROLE}"] }}
        Action    = ["kms:Decrypt", "kms:GenerateDataKey"]
        Resource  = "*"
      }},
    ]
  }})
}}

data "aws_caller_identity" "me" {{}}

resource "aws_codepipeline" "main" {{
  name     = "main"
  role_arn = aws_iam_role.pipeline.arn
  artifact_store {{
    location = aws_s3_bucket.artifacts.bucket
    type     = "S3"
    encryption_key {{
      id   = aws_kms_key.artifacts.arn
      type = "KMS"
    }}
  }}
  stage {{
    name = "Source"
    action {{
      name             = "Source"
      category         = "Source"
      owner            = "AWS"
      provider         = "CodeCommit"
      version          = "1"
      output_artifacts = ["src"]
      configuration    = {{ RepositoryName = "repo", BranchName = "main" }}
    }}
  }}
  stage {{
    name = "Deploy"
    action {{
      name            = "Stack"
      category        = "Deploy"
      owner           = "AWS"
      provider        = "CloudFormation"
      version         = "1"
      role_arn        = "{DEPLOY_ROLE}"
      input_artifacts = ["src"]
      configuration = {{
        ActionMode   = "CREATE_UPDATE"
        StackName    = "app"
        TemplatePath = "src::stack.yaml"
        RoleArn      = aws_iam_role.stack.arn
      }}
    }}
  }}
}}
"""
TF = f"{BODY}/resource"


def _terraform_diff(client: TestClient, current: dict[str, Any]) -> dict[str, Any]:
    request = {
        "current": current,
        "required": {
            "sources": [{"body": TERRAFORM, "format": "terraform"}],
            "context": {"account": ACCOUNT, "region": REGION},
        },
    }
    response = client.post("/v1/policies/diff", json=request)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_a_terraform_files_policies_are_the_current_ones(client: TestClient) -> None:
    """The role's inline policy and its `aws_iam_role_policy` (a policy document data source)
    are the current policy; the trust, bucket and key policies the file defines are compared,
    each at its place in the file."""
    body = _terraform_diff(client, {"from_sources": True})
    compared = {(c["kind"], c["target"]): c for c in body["companions"]}
    assert {key: c["path"] for key, c in compared.items()} == {
        ("trust-policy", SERVICE_ROLE): f"{BODY}/data/aws_iam_policy_document/trust",
        ("trust-policy", STACK_ROLE): f"{TF}/aws_iam_role/stack/assume_role_policy",
        ("bucket-policy", "artifacts"): f"{TF}/aws_s3_bucket_policy/artifacts/policy",
        ("key-policy", KEY): f"{TF}/aws_kms_key/artifacts/policy",
    }
    assert {key: c["verdict"] for key, c in compared.items()} == {
        ("trust-policy", SERVICE_ROLE): "sufficient",
        ("trust-policy", STACK_ROLE): "insufficient",  # it trusts CodeDeploy
        ("bucket-policy", "artifacts"): "insufficient",
        ("key-policy", KEY): "sufficient",
    }
    (stack_gap,) = compared[("trust-policy", STACK_ROLE)]["missing"]
    assert stack_gap["principal"] == "cloudformation.amazonaws.com"
    bucket_gaps = {g["sid"] for g in compared[("bucket-policy", "artifacts")]["missing"]}
    assert "ListArtifactBucket" in bucket_gaps
    # The role's own policies grant CodeCommit and S3, not assuming the deploy action's role.
    assert body["verdict"] == "insufficient"
    assert [(m["actions"], m["resources"]) for m in body["missing"]] == [
        (["sts:AssumeRole"], [DEPLOY_ROLE])
    ]
    unneeded_paths = {
        s["path"] for c in body["companions"] for s in c["unneeded"] if s["path"] is not None
    }
    assert all(p.startswith(BODY) for p in unneeded_paths)


def test_a_terraform_file_whose_role_is_not_its_own_is_a_problem(client: TestClient) -> None:
    text = TERRAFORM.replace("role_arn = aws_iam_role.pipeline.arn", f'role_arn = "{SERVICE_ROLE}"')
    request = {
        "current": {"from_sources": True},
        "required": {"sources": [{"body": text, "format": "terraform"}]},
    }
    response = client.post("/v1/policies/diff", json=request)
    assert response.status_code == 422, response.text
    (error,) = response.json()["errors"]
    assert error["pointer"] == "/current/from_sources"
    assert "aws_iam_role" in error["detail"]


def test_a_terraform_key_policy_that_is_not_one_document_is_an_error_at_its_place(
    client: TestClient,
) -> None:
    """`jsonencode` of a list of documents: an ERROR at the key's `policy`, not compared."""
    start = TERRAFORM.index('resource "aws_kms_key" "artifacts" {')
    end = TERRAFORM.index('data "aws_caller_identity"')
    key = f'resource "aws_kms_key" "artifacts" {{\n  policy = jsonencode([{KEY_POLICY}])\n}}\n\n'
    request = {
        "current": {"from_sources": True},
        "required": {
            "sources": [{"body": TERRAFORM[:start] + key + TERRAFORM[end:], "format": "terraform"}],
            "context": {"account": ACCOUNT, "region": REGION},
        },
    }
    response = client.post("/v1/policies/diff", json=request)
    assert response.status_code == 200, response.text
    body = response.json()
    (error,) = [f for f in body["findings"] if f["path"] == f"{TF}/aws_kms_key/artifacts/policy"]
    assert (error["code"], error["finding_type"]) == ("NOT_A_POLICY", "ERROR")
    assert "key-policy" not in {c["kind"] for c in body["companions"]}
