"""Artifact stores per Region, and the bucket and key policy statements of the roles that read
and write artifacts there (cross-account ones in the bucket policy, every one as a key user)."""

from __future__ import annotations

from typing import Any

import pytest

from app.engine.companions.documents import DocumentKind, RegionStore
from app.engine.compute import ComputeContext

from .helpers import codes, companions, document, statements_by_sid
from .scenario import (
    AWAY,
    BUCKET_AWAY,
    BUCKET_HOME,
    HOME,
    KEY_AWAY,
    KEY_HOME,
    ROLE_B,
    ROLE_C,
    SERVICE_ROLE,
    A,
    B,
    cross_account_pipeline,
)

BUCKET = DocumentKind.BUCKET_POLICY
KEY = DocumentKind.KEY_POLICY


def with_deploy(**changes: Any) -> dict[str, Any]:
    """The scenario with only the account-B deploy after the source."""
    doc = cross_account_pipeline()
    deploy = doc["pipeline"]["stages"][1]["actions"][0]
    deploy.update(changes)
    doc["pipeline"]["stages"][1]["actions"] = [deploy]
    return doc


@pytest.mark.parametrize(
    ("inputs", "outputs", "sids"),
    [
        (["src"], [], {"ReadArtifacts", "ListArtifactBucket"}),
        ([], ["out"], {"WriteArtifacts"}),
        (["src"], ["out"], {"ReadArtifacts", "ListArtifactBucket", "WriteArtifacts"}),
    ],
)
def test_a_cross_account_role_gets_what_its_artifacts_need(
    inputs: list[str], outputs: list[str], sids: set[str]
) -> None:
    doc = with_deploy(
        inputArtifacts=[{"name": n} for n in inputs],
        outputArtifacts=[{"name": n} for n in outputs],
    )
    bucket = statements_by_sid(document(companions(doc), BUCKET, BUCKET_HOME))
    guards = {"DenyInsecureConnections", "DenyUnEncryptedObjectUploads"}
    assert set(bucket) == sids | guards
    for sid in sids:
        assert bucket[sid]["Principal"] == {"AWS": ROLE_B}
        assert bucket[sid]["Effect"] == "Allow"
    objects = f"arn:aws:s3:::{BUCKET_HOME}/*"
    if "ReadArtifacts" in sids:
        assert bucket["ReadArtifacts"]["Resource"] == objects
        assert bucket["ListArtifactBucket"]["Resource"] == f"arn:aws:s3:::{BUCKET_HOME}"
    if "WriteArtifacts" in sids:
        assert bucket["WriteArtifacts"]["Action"] == ["s3:PutObject", "s3:PutObjectAcl"]
    key = statements_by_sid(document(companions(doc), KEY, KEY_HOME))
    read_users = key["KeyUseReadArtifacts"]["Principal"]["AWS"]
    write_users = key["KeyUseWriteArtifacts"]["Principal"]["AWS"]
    assert (ROLE_B in read_users) == bool(inputs)
    assert (ROLE_B in write_users) == bool(outputs)


def test_the_bucket_policy_guards_follow_the_walkthrough() -> None:
    bucket = statements_by_sid(document(companions(with_deploy()), BUCKET, BUCKET_HOME))
    assert bucket["DenyInsecureConnections"] == {
        "Sid": "DenyInsecureConnections",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": f"arn:aws:s3:::{BUCKET_HOME}/*",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    assert bucket["DenyUnEncryptedObjectUploads"]["Condition"] == {
        "StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}
    }


def test_a_same_account_role_needs_no_bucket_policy_but_is_a_key_user() -> None:
    same = f"arn:aws:iam::{A}:role/DeployRole"
    result = companions(with_deploy(roleArn=same))
    assert result.of_kind(BUCKET) == ()
    key = statements_by_sid(document(result, KEY, KEY_HOME))
    assert key["KeyUseReadArtifacts"]["Principal"] == {"AWS": sorted([SERVICE_ROLE, same])}


def test_the_service_role_is_a_key_user_of_every_stores_key() -> None:
    result = companions(cross_account_pipeline())
    for key in (KEY_HOME, KEY_AWAY):
        for statement in document(result, KEY, key).statements:
            assert SERVICE_ROLE in statement.principals
            assert statement.resources == ("*",)
    assert document(result, KEY, KEY_AWAY).region == AWAY


def test_an_action_that_touches_no_artifact_needs_no_store_policy() -> None:
    result = companions(with_deploy(inputArtifacts=[], outputArtifacts=[]))
    assert result.of_kind(BUCKET) == ()
    for statement in document(result, KEY, KEY_HOME).statements:
        assert statement.principals == (SERVICE_ROLE,)


def test_a_store_without_a_customer_key_cannot_serve_another_account() -> None:
    doc = with_deploy()
    del doc["pipeline"]["artifactStores"][HOME]["encryptionKey"]
    result = companions(doc)
    finding = next(f for f in result.findings if f.code == "CROSS_ACCOUNT_STORE_WITHOUT_KEY")
    assert finding.finding_type == "ERROR"
    assert finding.path == f"/pipeline/artifactStores/{HOME}/encryptionKey"
    assert result.get(KEY, KEY_HOME) is None
    assert "DenyUnEncryptedObjectUploads" not in statements_by_sid(
        document(result, BUCKET, BUCKET_HOME)
    )


@pytest.mark.parametrize(
    ("key_id", "target"),
    [
        ("alias/pipeline", "alias/pipeline"),
        (f"arn:aws:kms:{HOME}:{A}:alias/pipeline", f"arn:aws:kms:{HOME}:{A}:alias/pipeline"),
        ("1111aaaa-1111-1111-1111-111111111111", "1111aaaa-1111-1111-1111-111111111111"),
    ],
)
def test_a_key_not_named_by_key_arn_cannot_serve_another_account(key_id: str, target: str) -> None:
    doc = with_deploy()
    doc["pipeline"]["artifactStores"][HOME]["encryptionKey"]["id"] = key_id
    result = companions(doc)
    finding = next(f for f in result.findings if f.code == "CROSS_ACCOUNT_KEY_NOT_ARN")
    assert finding.path == f"/pipeline/artifactStores/{HOME}/encryptionKey/id"
    # The key policy is still given, for the key as the pipeline names it.
    assert document(result, KEY, target).statements


def test_the_same_key_named_otherwise_in_the_same_account_is_no_finding() -> None:
    same = f"arn:aws:iam::{A}:role/DeployRole"
    doc = with_deploy(roleArn=same)
    doc["pipeline"]["artifactStores"][HOME]["encryptionKey"]["id"] = "alias/pipeline"
    assert "CROSS_ACCOUNT_KEY_NOT_ARN" not in codes(companions(doc))


def test_every_region_with_actions_has_its_store() -> None:
    result = companions(cross_account_pipeline())
    assert result.artifact_stores == (
        RegionStore("release", AWAY, BUCKET_AWAY, KEY_AWAY, ("333333333333",)),
        RegionStore("release", HOME, BUCKET_HOME, KEY_HOME, (B,)),
    )
    assert not any(f.code == "COMPANION_STORE_MISSING" for f in result.findings)


def test_a_region_without_a_store_is_a_finding() -> None:
    doc = cross_account_pipeline()
    del doc["pipeline"]["artifactStores"][AWAY]
    result = companions(doc)
    (finding,) = [f for f in result.findings if f.code == "COMPANION_STORE_MISSING"]
    assert finding.path == "/pipeline/artifactStores"
    assert finding.detail["region"] == AWAY
    assert result.get(BUCKET, BUCKET_AWAY) is None
    missing = [s for s in result.artifact_stores if s.region == AWAY]
    assert missing == [RegionStore("release", AWAY, None, None, ())]


def test_a_single_store_serves_only_the_pipelines_region() -> None:
    doc = cross_account_pipeline()
    store = doc["pipeline"].pop("artifactStores")[HOME]
    doc["pipeline"]["artifactStore"] = store
    result = companions(doc)
    (finding,) = [f for f in result.findings if f.code == "COMPANION_STORE_MISSING"]
    assert finding.path == "/pipeline/artifactStore"
    assert finding.detail["region"] == AWAY
    assert document(result, BUCKET, BUCKET_HOME).statements


def test_an_unknown_pipeline_account_leaves_other_accounts_out_with_a_finding() -> None:
    doc = cross_account_pipeline(roleArn="arn:aws:iam::*:role/PipelineRole")
    del doc["metadata"]
    result = companions(doc, context=ComputeContext(region=HOME))
    assert "COMPANION_ROLE_ACCOUNT_UNKNOWN" in codes(result)
    assert result.of_kind(BUCKET) == ()
    for doc_ in result.of_kind(KEY):
        for statement in doc_.statements:
            assert all("*" not in p for p in statement.principals)


def test_roles_shared_by_pipelines_have_one_document() -> None:
    second = cross_account_pipeline(name="hotfix")
    result = companions(cross_account_pipeline(), second)
    trust = document(result, DocumentKind.TRUST_POLICY, ROLE_C)
    assert {r.pipeline for r in trust.statements[0].reasons} == {"release", "hotfix"}
    assert len([d for d in result.documents if d.target == ROLE_C]) == 1


@pytest.mark.parametrize("single", [False, True])
def test_without_the_pipelines_region_its_store_is_not_guessed(single: bool) -> None:
    doc = cross_account_pipeline()
    del doc["metadata"]
    if single:
        store = doc["pipeline"].pop("artifactStores")[HOME]
        doc["pipeline"]["artifactStore"] = store
    result = companions(doc)
    found = codes(result)
    assert "COMPANION_STORE_REGION_UNKNOWN" in found
    assert "COMPANION_STORE_MISSING" not in found
    bucket = result.get(BUCKET, BUCKET_HOME)
    home_principals = {p for s in bucket.statements for p in s.principals} if bucket else set()
    # The deploy of account B runs in the pipeline's Region: a single `artifactStore` is that
    # Region's; which of `artifactStores` is, is not known.
    assert (ROLE_B in home_principals) == single
    # The eu-west-1 actions of account C: a single store may be theirs or not.
    assert result.get(BUCKET, BUCKET_AWAY) is None or not single
