"""The templates' companion policies as a diff's current companion documents."""

from __future__ import annotations

import pytest

from app.engine.companions.documents import CompanionDocument, DocumentKind
from app.engine.findings import Finding, FindingType
from app.engine.pipeline.template_values import CompanionPolicies, CompanionPolicy
from app.service.diff import CurrentCompanion, RequiredPermissions
from app.service.template_companions import template_companions, with_template_companions

TRUST, KEY = DocumentKind.TRUST_POLICY, DocumentKind.KEY_POLICY
ROLE = "arn:aws:iam::111122223333:role/pipeline"
GENERATED = "arn:aws:iam::111122223333:role/*"
DOCUMENT = {"Version": "2012-10-17", "Statement": []}
BODY = "/required/sources/0/body/Resources"


def defined(kind: DocumentKind, target: str, resource: str) -> CompanionPolicy:
    return CompanionPolicy(kind, target, DOCUMENT, f"{BODY}/{resource}/Properties/Document")


def required(
    *policies: CompanionPolicy, needed: tuple[tuple[DocumentKind, str], ...] = ()
) -> RequiredPermissions:
    not_read = Finding("COMPANION_POLICY_NOT_READ", FindingType.WARNING, "x", f"{BODY}/P")
    return RequiredPermissions(
        requirements=[],
        statements=[],
        findings=[],
        companions=tuple(CompanionDocument(k, t, None, None, ()) for k, t in needed),
        companion_policies=(
            CompanionPolicies("/p/0", policies, (not_read,)),
            CompanionPolicies("/p/1", policies, (not_read,)),  # another pipeline of the template
        ),
    )


def test_each_policy_is_given_once_at_its_place() -> None:
    found = template_companions(required(defined(TRUST, ROLE, "Role"), defined(KEY, "*", "Key")))
    assert found == [
        CurrentCompanion(TRUST, ROLE, DOCUMENT, f"{BODY}/Role/Properties/Document"),
        CurrentCompanion(KEY, "*", DOCUMENT, f"{BODY}/Key/Properties/Document"),
    ]


GIVEN = CurrentCompanion(TRUST, ROLE, DOCUMENT, "/current/companions/0/document")


@pytest.mark.parametrize(
    ("given", "permissions", "compared", "not_compared"),
    [
        pytest.param(
            [], required(defined(TRUST, ROLE, "Role")), [f"{BODY}/Role"], [], id="known-target"
        ),
        pytest.param(
            [GIVEN],
            required(defined(TRUST, ROLE, "Role")),
            ["/current/companions/0/document"],
            [],
            id="the-given-one-wins",
        ),
        pytest.param(
            [],
            required(defined(TRUST, GENERATED, "Role"), needed=((TRUST, GENERATED),)),
            [f"{BODY}/Role"],
            [],
            id="unknown-part-needed",
        ),
        pytest.param(
            [], required(defined(TRUST, GENERATED, "Role")), [], [f"{BODY}/Role"], id="not-needed"
        ),
        pytest.param(
            [],
            required(
                defined(TRUST, GENERATED, "First"),
                defined(TRUST, GENERATED, "Second"),
                needed=((TRUST, GENERATED),),
            ),
            [],
            [f"{BODY}/First", f"{BODY}/Second"],
            id="two-of-one-unknown-name",
        ),
    ],
)
def test_what_is_compared(
    given: list[CurrentCompanion],
    permissions: RequiredPermissions,
    compared: list[str],
    not_compared: list[str],
) -> None:
    companions, findings = with_template_companions(given, permissions)
    assert [c.pointer.removesuffix("/Properties/Document") for c in companions] == compared
    codes = [(f.code, f.path.removesuffix("/Properties/Document")) for f in findings]
    assert codes == [
        ("COMPANION_POLICY_NOT_READ", f"{BODY}/P"),
        *(("COMPANION_POLICY_NOT_COMPARED", p) for p in not_compared),
    ]
