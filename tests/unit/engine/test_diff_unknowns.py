"""The diff against real policies: names it cannot read are unverifiable (never missing on `*`),
optional permissions are reported apart, and what another policy may grant is not called
missing from the role."""

from __future__ import annotations

from typing import Any

import pytest

from app.engine.compute import ComputeContext, compute_policy
from app.engine.iam.analysis.diff import DiffResult, diff_policy
from app.engine.iam.policy.view import read_policy
from app.engine.pipeline.detect import parse_pipeline_source
from app.engine.requirements import requirements_from_computed
from app.service.catalog_import import default_catalog

from .profile_fixtures import shipped_profiles

TEMPLATE = """
Parameters:
  Connection: {Type: String}
Resources:
  Build:
    Type: AWS::CodeBuild::Project
    Properties: {}
  Pipeline:
    Type: AWS::CodePipeline::Pipeline
    Properties:
      RoleArn: arn:aws:iam::111122223333:role/pipeline
      ArtifactStore: {Type: S3, Location: artifacts}
      Stages:
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
              Configuration: {ProjectName: !Ref Build}
              InputArtifacts: [{Name: src}]
"""

REPO = "arn:aws:codecommit:eu-west-1:111122223333:repo"
BASE_GRANTS: list[dict[str, Any]] = [
    {
        "Effect": "Allow",
        "Action": ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"],
        "Resource": "arn:aws:s3:::artifacts/*",
    },
    {
        "Effect": "Allow",
        "Action": ["s3:GetBucketVersioning", "s3:ListBucket"],
        "Resource": "arn:aws:s3:::artifacts",
    },
    {
        "Effect": "Allow",
        "Action": [
            "codecommit:CancelUploadArchive",
            "codecommit:GetBranch",
            "codecommit:GetCommit",
            "codecommit:GetRepository",
            "codecommit:GetUploadArchiveStatus",
            "codecommit:UploadArchive",
        ],
        "Resource": REPO,
    },
]


def diff(template: str, *build_grants: dict[str, Any]) -> DiffResult:
    parsed = parse_pipeline_source(template)
    result = compute_policy(
        parsed.pipelines, shipped_profiles(), context=ComputeContext(region="eu-west-1")
    )
    catalog = default_catalog()
    requirements = requirements_from_computed(result.statements, catalog)
    policy = {"Version": "2012-10-17", "Statement": [*BASE_GRANTS, *build_grants]}
    view = read_policy(policy, pointer="/current")
    return diff_policy(view.statements, requirements, catalog)


def actions(outcomes: Any) -> set[str]:
    return {o.requirement.action for o in outcomes}


def build_grant(resource: str) -> dict[str, Any]:
    return {
        "Effect": "Allow",
        "Action": ["codebuild:StartBuild", "codebuild:BatchGetBuilds"],
        "Resource": resource,
    }


@pytest.mark.parametrize(
    "resource",
    [
        "arn:aws:codebuild:eu-west-1:111122223333:project/my-build",
        "arn:aws:codebuild:*:*:project/stack-Build-*",
        "arn:aws:codebuild:eu-west-1:111122223333:project/*",
    ],
)
def test_a_grant_on_a_resource_of_the_unknown_names_shape_is_not_missing(resource: str) -> None:
    result = diff(TEMPLATE, build_grant(resource))
    assert not actions(result.missing) & {"codebuild:StartBuild", "codebuild:BatchGetBuilds"}
    covered = resource.endswith("project/*")
    unverified = actions(result.unverifiable)
    assert ({"codebuild:StartBuild", "codebuild:BatchGetBuilds"} <= unverified) is not covered
    assert result.verdict == ("sufficient" if covered else "unverified")


@pytest.mark.parametrize(
    "resource",
    [
        "arn:aws:codebuild:eu-west-1:111122223333:report-group/my-build",
        "arn:aws:lambda:eu-west-1:111122223333:function:x",
    ],
)
def test_a_grant_of_another_shape_leaves_the_unknown_name_missing(resource: str) -> None:
    result = diff(TEMPLATE, build_grant(resource))
    assert {"codebuild:StartBuild", "codebuild:BatchGetBuilds"} <= actions(result.missing)
    assert result.verdict == "insufficient"


def test_no_grant_at_all_is_missing() -> None:
    result = diff(TEMPLATE)
    assert {"codebuild:StartBuild", "codebuild:BatchGetBuilds"} <= actions(result.missing)


def test_optional_permissions_are_reported_apart_and_do_not_decide() -> None:
    result = diff(TEMPLATE, build_grant("arn:aws:codebuild:*:*:project/*"))
    optional = actions(result.optional)
    assert {"s3:GetBucketAcl", "s3:GetBucketLocation", "s3:PutObjectAcl"} <= optional
    assert all(o.reason for o in result.optional)
    assert not optional & actions(result.missing)
    assert result.verdict == "sufficient"


def test_a_pipeline_without_an_s3_source_is_not_asked_for_tagging() -> None:
    result = diff(TEMPLATE, build_grant("arn:aws:codebuild:*:*:project/*"))
    every = actions(result.missing) | actions(result.optional) | actions(result.unverifiable)
    assert not {a for a in every if "Tagging" in a}


def test_an_artifact_key_left_to_the_key_policy_is_unverifiable() -> None:
    keyed = TEMPLATE.replace(
        "ArtifactStore: {Type: S3, Location: artifacts}",
        "ArtifactStore: {Type: S3, Location: artifacts, EncryptionKey: {Type: KMS, "
        "Id: arn:aws:kms:eu-west-1:111122223333:key/k1}}",
    )
    result = diff(keyed, build_grant("arn:aws:codebuild:*:*:project/*"))
    kms = {
        o.requirement.action for o in result.unverifiable if o.requirement.action.startswith("kms:")
    }
    assert kms == {"kms:Decrypt", "kms:GenerateDataKey"}
    assert all("key policy" in (o.reason or "") for o in result.unverifiable)
    assert result.verdict == "unverified"


def test_an_explicit_deny_of_a_shape_is_missing_not_unverifiable() -> None:
    deny = {
        "Effect": "Deny",
        "Action": "codebuild:StartBuild",
        "Resource": "arn:aws:codebuild:*:*:project/*",
    }
    result = diff(TEMPLATE, build_grant("arn:aws:codebuild:*:*:project/x"), deny)
    assert "codebuild:StartBuild" in actions(result.missing)


S3_SOURCE = TEMPLATE.replace(
    'ActionTypeId: {Category: Source, Owner: AWS, Provider: CodeCommit, Version: "1"}\n'
    "              Configuration: {RepositoryName: repo, BranchName: main}",
    'ActionTypeId: {Category: Source, Owner: AWS, Provider: S3, Version: "1"}\n'
    "              Configuration: {S3Bucket: source-bucket, S3ObjectKey: app.zip}",
)


@pytest.mark.parametrize(
    ("account", "expected"),
    [("111122223333", "granted"), ("999988887777", "unverifiable"), (None, "granted")],
)
def test_a_source_bucket_in_another_account_is_credited_not_missing(
    account: str | None, expected: str
) -> None:
    grant: dict[str, Any] = {
        "Effect": "Allow",
        "Action": [
            "s3:GetObject",
            "s3:GetObjectVersion",
            "s3:GetBucketVersioning",
            "s3:GetBucketAcl",
            "s3:GetBucketLocation",
            "s3:GetObjectTagging",
            "s3:GetObjectVersionTagging",
        ],
        "Resource": ["arn:aws:s3:::source-bucket", "arn:aws:s3:::source-bucket/*"],
    }
    if account:
        grant["Condition"] = {"StringEquals": {"aws:ResourceAccount": account}}
    result = diff(S3_SOURCE, build_grant("arn:aws:codebuild:*:*:project/*"), grant)
    source = {
        o.requirement.action
        for o in [*result.missing, *result.unverifiable]
        if "source-bucket" in o.requirement.resource
    }
    if expected == "granted":
        assert not source
    else:
        assert "s3:GetObject" in actions(result.unverifiable)
        assert not [o for o in result.missing if "source-bucket" in o.requirement.resource]
        reasons = {
            o.reason for o in result.unverifiable if "source-bucket" in o.requirement.resource
        }
        assert all("pipeline's account" in (r or "") for r in reasons)
