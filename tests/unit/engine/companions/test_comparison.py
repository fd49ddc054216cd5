"""A current trust, bucket or key policy against the companion document the pipelines need:
what each is missing (with the profile's impact where known), what it grants for nothing, and
that each document compute emits is sufficient against itself."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from app.engine.companions.comparison import compare_companion
from app.engine.companions.documents import DocumentKind
from app.engine.iam.analysis.coverage import Coverage
from app.service.catalog_import import default_catalog
from tests.unit.engine.profile_fixtures import shipped_profiles

from .helpers import companions, document
from .scenario import (
    BUCKET_AWAY,
    BUCKET_HOME,
    KEY_AWAY,
    KEY_HOME,
    ROLE_B,
    ROLE_C,
    SERVICE_ROLE,
    cross_account_pipeline,
)

TRUST = DocumentKind.TRUST_POLICY
BUCKET = DocumentKind.BUCKET_POLICY
KEY = DocumentKind.KEY_POLICY
CATALOG = default_catalog()


def _compare(kind: DocumentKind, target: str, current: dict[str, Any]) -> Any:
    result = companions(cross_account_pipeline())
    return compare_companion(
        result.get(kind, target),
        current,
        kind=kind,
        target=target,
        pointer="/current/companions/0/document",
        catalog=CATALOG,
        profiles=shipped_profiles(),
    )


def test_every_document_compute_emits_is_sufficient_against_itself() -> None:
    result = companions(cross_account_pipeline())
    assert result.documents
    for doc in result.documents:
        compared = _compare(doc.kind, doc.target, doc.document)
        assert compared.verdict == "sufficient", (doc.kind, doc.target, compared.missing)
        assert compared.unneeded == ()


def test_an_action_role_that_does_not_trust_the_service_role_misses_it_with_its_impact() -> None:
    current = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "OnlyCodeDeploy",
                "Effect": "Allow",
                "Principal": {"Service": "codedeploy.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    compared = _compare(TRUST, ROLE_B, current)
    assert compared.verdict == "insufficient"
    (gap,) = compared.missing
    assert gap.principal == SERVICE_ROLE
    assert gap.coverage is Coverage.NOT_GRANTED
    assert gap.impact is not None
    assert "not authorized to perform AssumeRole" in gap.impact.message
    assert [u.pointer for u in compared.unneeded] == ["/current/companions/0/document/Statement/0"]


def test_the_account_root_as_principal_grants_its_roles() -> None:
    needed = document(companions(cross_account_pipeline()), TRUST, ROLE_B).document
    current = copy.deepcopy(needed)
    for stmt in current["Statement"]:
        stmt["Principal"] = {"AWS": "arn:aws:iam::111111111111:root"}
    assert _compare(TRUST, ROLE_B, current).verdict == "sufficient"


@pytest.mark.parametrize(("kind", "target"), [(BUCKET, BUCKET_HOME), (KEY, KEY_HOME)])
def test_a_policy_without_the_other_accounts_is_insufficient(
    kind: DocumentKind, target: str
) -> None:
    needed = document(companions(cross_account_pipeline()), kind, target).document
    owner_only = {
        "Version": "2012-10-17",
        "Statement": [s for s in needed["Statement"] if s["Effect"] == "Deny"]
        or [{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
             "Condition": {"Bool": {"aws:SecureTransport": "false"}}}],
    }  # fmt: skip
    compared = _compare(kind, target, owner_only)
    assert compared.verdict == "insufficient"
    assert all(g.effect == "Allow" for g in compared.missing)


def test_a_document_the_pipelines_do_not_need_grants_all_for_nothing() -> None:
    current = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "123456789012"}, "Action": "sts:AssumeRole"}
        ],
    }
    compared = compare_companion(
        None, current, kind=TRUST, target="arn:aws:iam::123456789012:role/Other",
        pointer="", catalog=CATALOG,
    )  # fmt: skip
    assert compared.verdict == "not_required"
    assert len(compared.unneeded) == 1


_OTHER_KEY = "arn:aws:kms:eu-west-1:111111111111:key/9999ffff-9999-9999-9999-999999999999"


def _upload_deny(operator: str, condition: dict[str, str]) -> dict[str, Any]:
    return {
        "Sid": "ExtraDeny",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:PutObject",
        "Resource": f"arn:aws:s3:::{BUCKET_AWAY}/*",
        "Condition": {operator: condition},
    }


_KEY_ID = "s3:x-amz-server-side-encryption-aws-kms-key-id"
_SSE = "s3:x-amz-server-side-encryption"


@pytest.mark.parametrize(
    ("extra", "verdict", "coverage"),
    [
        pytest.param(None, "sufficient", None, id="as-computed"),
        pytest.param(
            _upload_deny("StringNotEquals", {_KEY_ID: _OTHER_KEY}),
            "insufficient",
            Coverage.DENIED,
            id="another-key-only",
        ),
        pytest.param(
            _upload_deny("StringNotEquals", {_KEY_ID: KEY_AWAY}), "sufficient", None, id="our-key"
        ),
        pytest.param(
            _upload_deny("StringNotEquals", {_SSE: "AES256"}),
            "insufficient",
            Coverage.DENIED,
            id="s3-managed-keys-only",
        ),
        pytest.param(
            _upload_deny("StringEquals", {"aws:PrincipalTag/team": "web"}),
            "conditional",
            Coverage.CONDITIONAL,
            id="may-apply",
        ),
        pytest.param(
            _upload_deny("Bool", {"aws:SecureTransport": "false"}), "sufficient", None, id="tls"
        ),
    ],
)
def test_a_deny_of_the_bucket_policy_is_checked_against_the_uploads_the_pipelines_make(
    extra: dict[str, Any] | None, verdict: str, coverage: Coverage | None
) -> None:
    """The cross-account action role's uploads are encrypted with the store's key and made over
    TLS: the walkthrough's refusals (unencrypted uploads, plain HTTP) do not apply to them, a
    Deny of uploads with any other key does, and one that may apply makes them conditional."""
    current = document(companions(cross_account_pipeline()), BUCKET, BUCKET_AWAY).document
    if extra is not None:
        current = {**current, "Statement": [*current["Statement"], extra]}
    compared = _compare(BUCKET, BUCKET_AWAY, current)
    assert compared.verdict == verdict
    gaps = [*compared.missing, *compared.conditional]
    assert [(g.sid, g.principal, g.coverage) for g in gaps] == (
        [("WriteArtifacts", ROLE_C, coverage)] if coverage else []
    )


def test_a_deny_that_holds_the_walkthrough_s_refusal_still_counts_against_reads() -> None:
    """A Deny of every S3 request without SSE-KMS refuses what the walkthrough refuses, and the
    role's reads too (a read carries no encryption header): not sufficient."""
    needed = document(companions(cross_account_pipeline()), BUCKET, BUCKET_AWAY).document
    statements = [s for s in needed["Statement"] if s["Sid"] != "DenyUnEncryptedObjectUploads"]
    wide = {**_upload_deny("StringNotEquals", {_SSE: "aws:kms"}), "Action": "s3:*"}
    compared = _compare(BUCKET, BUCKET_AWAY, {**needed, "Statement": [*statements, wide]})
    assert compared.verdict != "sufficient"
    assert "ReadArtifacts" in {g.sid for g in [*compared.missing, *compared.conditional]}
