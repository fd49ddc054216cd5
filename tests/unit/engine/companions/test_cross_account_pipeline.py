"""A cross-account, cross-Region pipeline (action roles in two other accounts, a KMS-encrypted
artifact store per Region) gets every document it needs besides its service-role policy, each
statement with its reasons and citations, and nothing it does not need."""

from __future__ import annotations

from app.engine.companions.documents import CompanionResult, DocumentKind

from .helpers import companions
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
    STACK_ROLE_C,
    A,
    B,
    C,
    cross_account_pipeline,
)


def result() -> CompanionResult:
    return companions(cross_account_pipeline())


def test_every_document_it_needs_and_no_other() -> None:
    documents = {(d.kind, d.target): (d.account, d.region) for d in result().documents}
    assert documents == {
        (DocumentKind.TRUST_POLICY, SERVICE_ROLE): (A, None),
        (DocumentKind.TRUST_POLICY, ROLE_B): (B, None),
        (DocumentKind.TRUST_POLICY, ROLE_C): (C, None),
        (DocumentKind.TRUST_POLICY, STACK_ROLE_C): (C, None),
        (DocumentKind.BUCKET_POLICY, BUCKET_HOME): (A, HOME),
        (DocumentKind.BUCKET_POLICY, BUCKET_AWAY): (A, AWAY),
        (DocumentKind.KEY_POLICY, KEY_HOME): (A, HOME),
        (DocumentKind.KEY_POLICY, KEY_AWAY): (A, AWAY),
    }
    assert result().findings == ()


def test_each_other_account_is_let_in_only_where_its_actions_run() -> None:
    by_target = {d.target: d for d in result().documents}
    home_principals = {p for s in by_target[BUCKET_HOME].statements for p in s.principals}
    away_principals = {p for s in by_target[BUCKET_AWAY].statements for p in s.principals}
    assert home_principals == {ROLE_B}
    assert away_principals == {ROLE_C}
    assert {p for s in by_target[KEY_HOME].statements for p in s.principals} == {
        SERVICE_ROLE,
        ROLE_B,
    }
    assert {p for s in by_target[KEY_AWAY].statements for p in s.principals} == {
        SERVICE_ROLE,
        ROLE_C,
    }


def test_every_statement_has_a_cited_reason_at_its_place() -> None:
    for doc in result().documents:
        for statement in doc.statements:
            assert statement.reasons, (doc.target, statement.sid)
            for reason in statement.reasons:
                assert reason.reason
                assert reason.citation.url.startswith("https://")
                assert reason.pointer.startswith("/pipeline")
                assert reason.pipeline == "release"


def test_the_documents_are_valid_policy_shapes_with_unique_sids() -> None:
    for doc in result().documents:
        sids = [s["Sid"] for s in doc.document["Statement"]]
        assert len(sids) == len(set(sids))
        assert all(sid.isalnum() for sid in sids)
        for statement in doc.document["Statement"]:
            assert "Principal" in statement
            # A trust policy has no Resource; every other resource policy names its resource.
            assert ("Resource" in statement) == (doc.kind is not DocumentKind.TRUST_POLICY)


def test_the_answer_is_deterministic() -> None:
    first, second = result(), companions(cross_account_pipeline())
    assert [d.document for d in first.documents] == [d.document for d in second.documents]
