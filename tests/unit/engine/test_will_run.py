"""Will the pipelines run: how each requirement's decision counts, and what is left undecided
rather than guessed."""

from __future__ import annotations

from typing import Any

import pytest

from app.engine.authorization import AccountPolicies
from app.engine.compute import RequiredBy
from app.engine.iam.analysis.diff import Necessity, Requirement
from app.engine.iam.conditions.facts import KeyFact
from app.engine.pipeline.model import ActionTypeKey
from app.engine.profiles import Citation
from app.engine.will_run import RoleUnderTest, SharedLayers, will_it_run

A, B = "111111111111", "222222222222"
ROLE = f"arn:aws:iam::{A}:role/PipelineRole"
OBJECTS = "arn:aws:s3:::b/*"
PROJECT = f"arn:aws:codebuild:us-east-1:{A}:project/*"
FUNCTION = f"arn:aws:lambda:us-east-1:{B}:function:f"
KEY = f"arn:aws:kms:us-east-1:{A}:key/k1"
ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
NOTHING: dict[str, Any] = {"Version": "2012-10-17", "Statement": []}


def _reason(**flags: str) -> RequiredBy:
    return RequiredBy(
        pipeline="p",
        stage="s",
        action="a",
        action_type=ActionTypeKey("Source", "AWS", "S3", "1"),
        profile_revision=1,
        profile_statement="x",
        reason="r",
        inferred=False,
        citation=Citation("c", "t", "https://docs.aws.amazon.com/"),
        impact=None,
        pointer="/pipelines/0",
        **flags,  # type: ignore[arg-type]
    )


def _requirement(
    action: str,
    resource: str,
    necessity: Necessity = "required",
    *,
    name_unknown: bool = False,
    reason: RequiredBy | None = None,
    account: str | None = None,
) -> Requirement:
    facts = {}
    if account:
        facts["aws:resourceaccount"] = KeyFact(frozenset({account}), may_be_absent=False)
    return Requirement(
        action,
        resource,
        facts=facts,
        sources=(reason or _reason(),),
        necessity=necessity,
        name_unknown=name_unknown,
    )


def _run(policy: dict[str, Any] | None, *requirements: Requirement, **shared: Any) -> Any:
    role = RoleUnderTest(ROLE, requirements, None if policy is None else [policy], "/current")
    return will_it_run([role], SharedLayers(**shared))


CASES = [
    # (policy, requirement, verdict, decision, definite, note contains)
    (ALL, _requirement("s3:GetObject", OBJECTS, account=A), "runs", "allowed", True, None),
    (
        NOTHING,
        _requirement("s3:GetObject", OBJECTS, account=A),
        "fails",
        "implicitly_denied",
        True,
        None,
    ),
    # Optional permissions do not count.
    (
        NOTHING,
        _requirement("s3:GetObject", OBJECTS, "optional", account=A),
        "runs",
        "implicitly_denied",
        True,
        None,
    ),
    # Needed only depending on a run-time value: not a sure failure.
    (
        NOTHING,
        _requirement(
            "s3:GetObject", OBJECTS, "unverifiable", reason=_reason(undetermined="x"), account=A
        ),
        "undecided",
        "implicitly_denied",
        True,
        None,
    ),
    # A bucket whose owner is not known is taken to be the role's, and said so.
    (ALL, _requirement("s3:GetObject", OBJECTS), "undecided", "allowed", False, "own account"),
    # The resource's name is not known: a denial may not stand.
    (
        NOTHING,
        _requirement("codebuild:StartBuild", PROJECT, name_unknown=True),
        "undecided",
        "implicitly_denied",
        False,
        "name is not known",
    ),
    # An account that is not known is not guessed.
    (
        ALL,
        _requirement("codebuild:StartBuild", "arn:aws:codebuild:us-east-1:*:project/p"),
        "undecided",
        None,
        False,
        "account",
    ),
    # A key whose policy must allow, not given: not decided for sure.
    (
        ALL,
        _requirement("kms:Decrypt", KEY),
        "undecided",
        "implicitly_denied",
        False,
        "was not given",
    ),
    # Across accounts, the other side's policy is needed.
    (
        ALL,
        _requirement("lambda:InvokeFunction", FUNCTION),
        "undecided",
        "implicitly_denied",
        False,
        "was not given",
    ),
    # A bucket in another account, its policy not given: not a sure denial.
    (
        ALL,
        _requirement("s3:GetObject", OBJECTS, account=B),
        "undecided",
        "implicitly_denied",
        False,
        "was not given",
    ),
    # The role's own policies not given.
    (None, _requirement("s3:GetObject", OBJECTS, account=A), "undecided", None, False, "not given"),
]


@pytest.mark.parametrize(
    ("policy", "requirement", "verdict", "decision", "definite", "note"), CASES
)
def test_each_requirement_counts_as_it_should(
    policy: dict[str, Any] | None,
    requirement: Requirement,
    verdict: str,
    decision: str | None,
    definite: bool,
    note: str | None,
) -> None:
    answer = _run(policy, requirement)
    (check,) = answer.checks
    assert answer.verdict == verdict
    assert (check.decision.decision if check.decision else None) == decision
    assert check.definite is definite
    if note is None:
        assert check.note is None
    else:
        assert check.note is not None
        assert note in check.note


def test_a_key_policy_that_names_the_role_allows_it() -> None:
    key_policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": ROLE},
                "Action": "kms:Decrypt",
                "Resource": "*",
            }
        ],
    }
    answer = _run(
        NOTHING,
        _requirement("kms:Decrypt", KEY),
        resource_policies={KEY: key_policy},
        resource_pointers={KEY: "/current/companions/0/document"},
    )
    (check,) = answer.checks
    assert answer.verdict == "runs"
    assert check.decision.layer == "resource"
    assert check.decision.statement.pointer == "/current/companions/0/document/Statement/0"


def test_an_artifact_upload_carries_the_encryption_the_bucket_policy_demands() -> None:
    bucket_policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:PutObject",
                "Resource": OBJECTS,
                "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}},
            }
        ],
    }
    requirement = _requirement("s3:PutObject", OBJECTS, account=A)
    shared = {"resource_policies": {"arn:aws:s3:::b": bucket_policy}}
    unencrypted = _run(ALL, requirement, **shared)
    assert unencrypted.checks[0].decision.definite is False  # the upload's encryption unknown
    key_policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{A}:root"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ],
    }
    shared["resource_policies"][KEY] = key_policy
    encrypted = _run(ALL, requirement, artifact_keys={"b": KEY}, **shared)
    (check,) = encrypted.checks
    assert (check.decision.decision, check.definite) == ("allowed", True)
    assert encrypted.verdict == "runs"


def test_a_kms_call_for_an_artifact_is_decided_on_what_is_known_as_the_key_is() -> None:
    """An RCP denying callers outside an organisation, the caller's organisation not known:
    neither the artifact read nor the key's own use is decided for sure, and each says which
    layer left it open (S3's call to KMS is decided as the key's request is)."""
    full = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
    }
    outside = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": ["s3:*", "kms:*"],
                "Resource": "*",
                "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-abcdefghij"}},
            }
        ],
    }
    key_policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{A}:root"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ],
    }
    answer = _run(
        ALL,
        _requirement("s3:GetObject", OBJECTS, account=A),
        _requirement("kms:Decrypt", KEY),
        resource_policies={KEY: key_policy},
        accounts={A: AccountPolicies(rcp_levels=[[full, outside]])},
        artifact_keys={"b": KEY},
    )
    read, decrypt = answer.checks
    assert answer.verdict == "undecided"
    for check in (read, decrypt):
        assert check.definite is False
        assert check.decision.decision != "explicitly_denied" or not check.decision.definite
        assert "rcp" in check.note


def test_a_policy_with_undetermined_values_or_not_placed_leaves_it_open() -> None:
    key_policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:Decrypt", "Resource": "*"}
        ],
    }
    at = "/required/sources/0/body/Resources/Key/Properties/KeyPolicy"
    undetermined = _run(
        NOTHING,
        _requirement("kms:Decrypt", KEY),
        resource_policies={KEY: key_policy},
        resource_pointers={KEY: at},
        undetermined={KEY: (f"{at}/Statement/0/Principal/AWS",)},
    )
    (check,) = undetermined.checks
    assert (check.decision.decision, check.definite) == ("allowed", False)
    assert "does not determine" in check.note
    assert undetermined.verdict == "undecided"

    for unplaced, open_ in (
        (("arn:aws:s3:::artifacts", "/policy/at"), True),
        (("arn:aws:kms:us-east-1:111111111111:key/*", "/policy/at"), False),
    ):
        answer = _run(
            ALL,
            _requirement("s3:GetObject", "arn:aws:s3:::*/*", account=A, name_unknown=True),
            unplaced=(unplaced,),
        )
        (check,) = answer.checks
        assert check.definite is not open_, unplaced


def _granting(effect: str, resource: str) -> dict[str, Any]:
    statement = {"Effect": effect, "Action": "s3:GetObject", "Resource": resource}
    return {"Version": "2012-10-17", "Statement": [statement]}


UNDETERMINED = "arn:aws:s3:::\x00/*"  # a bucket its template does not determine


@pytest.mark.parametrize(
    ("sure", "possible", "verdict", "decision", "definite"),
    [
        pytest.param(
            _granting("Allow", UNDETERMINED),
            _granting("Allow", "arn:aws:s3:::*/*"),
            "undecided",
            "implicitly_denied",
            False,
            id="allowed-only-through-the-value",
        ),
        pytest.param(
            [ALL, _granting("Deny", "arn:aws:s3:::*/*")],
            [ALL, _granting("Deny", UNDETERMINED)],
            "undecided",
            "explicitly_denied",
            False,
            id="denied-only-through-the-value",
        ),
        pytest.param(
            _granting("Allow", OBJECTS),
            _granting("Allow", OBJECTS),
            "runs",
            "allowed",
            True,
            id="allowed-whatever-the-value",
        ),
        pytest.param(
            _granting("Allow", "arn:aws:s3:::other/*"),
            _granting("Allow", "arn:aws:s3:::other/*"),
            "fails",
            "implicitly_denied",
            True,
            id="allowed-by-no-value",
        ),
    ],
)
def test_a_request_allowed_only_through_an_undetermined_value_is_not_definite(
    sure: Any, possible: Any, verdict: str, decision: str, definite: bool
) -> None:
    """The identity policies decide as they grant whatever the values are; a request their
    possible reading allows and that reading does not is not definite, and says why."""
    role = RoleUnderTest(
        ROLE,
        [_requirement("s3:GetObject", OBJECTS, account=A)],
        sure if isinstance(sure, list) else [sure],
        "/current",
        possible_identity_policies=possible if isinstance(possible, list) else [possible],
    )
    run = will_it_run([role], SharedLayers())
    (check,) = run.checks
    assert (run.verdict, check.decision.decision, check.definite) == (verdict, decision, definite)
    undetermined = check.note is not None and "values the template does not determine" in check.note
    assert undetermined is not definite
