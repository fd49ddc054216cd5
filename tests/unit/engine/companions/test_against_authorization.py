"""The companion documents of the cross-account, cross-Region pipeline, checked with the
layered authorization engine: under the computed trust, bucket and key policies, each role
reads and writes the artifacts of the Regions its actions run in, uses the keys, and is
assumed by whom it must be; take a companion statement away and the request is denied.

The service role's identity policy is compute's. An action role's own side (its identity
policy for the artifacts and keys, §9 D5) is written here, since compute's action-role
policies hold the provider's permissions only."""

from __future__ import annotations

from typing import Any

import pytest

from app.engine.authorization import (
    AuthorizationContext,
    AuthorizationRequest,
    Principal,
    authorize,
)
from app.engine.companions.documents import CompanionResult, DocumentKind
from app.engine.compute import compute_policy
from app.engine.pipeline.api_json import parse_pipeline_json
from tests.unit.engine.profile_fixtures import shipped_profiles

from .helpers import companions
from .scenario import (
    BUCKET_AWAY,
    BUCKET_HOME,
    KEY_AWAY,
    KEY_HOME,
    ROLE_B,
    ROLE_C,
    SERVICE_ROLE,
    STACK_ROLE_C,
    A,
    cross_account_pipeline,
)

TLS = {"aws:SecureTransport": "true"}
SSE_KMS = {**TLS, "s3:x-amz-server-side-encryption": "aws:kms"}


def result() -> CompanionResult:
    return companions(cross_account_pipeline())


def resource_policies(
    found: CompanionResult, *, trust_resource: bool = True
) -> dict[str, dict[str, Any]]:
    """The documents by the resource ARN the authorization context keys them by.

    A trust policy has no Resource element (IAM refuses one there), and the authorization
    engine matches a statement's Resource as an identity policy's: without one it applies to
    nothing. With `trust_resource`, each trust statement is given its role as Resource, which
    is what that engine's own tables write; the test that gives the documents as they are
    expects the engine's refusal until it reads trust policies so."""
    out: dict[str, dict[str, Any]] = {}
    for doc in found.documents:
        arn = f"arn:aws:s3:::{doc.target}" if doc.kind is DocumentKind.BUCKET_POLICY else doc.target
        document = doc.document
        if trust_resource and doc.kind is DocumentKind.TRUST_POLICY:
            document = {
                **document,
                "Statement": [{**s, "Resource": doc.target} for s in document["Statement"]],
            }
        out[arn] = document
    return out


def session(role: str) -> Principal:
    name = role.rsplit("/", 1)[-1]
    account = role.split(":")[4]
    return Principal(
        arn=f"arn:aws:sts::{account}:assumed-role/{name}/run", kind="assumed_role", role_arn=role
    )


def action_role_own_side(buckets: list[str], keys: list[str]) -> dict[str, Any]:
    """What the action role's own policy grants for artifacts (§9 D5, with the KMS actions
    R4.10 adds)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:ListBucket"],
                "Resource": [f"arn:aws:s3:::{b}{suffix}" for b in buckets for suffix in ("", "/*")],
            },
            {"Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": keys},
        ],
    }


def service_role_policy() -> dict[str, Any]:
    pipeline, _ = parse_pipeline_json(cross_account_pipeline())
    return dict(compute_policy([pipeline], shipped_profiles()).document)


def get(bucket: str, key: str) -> AuthorizationRequest:
    return AuthorizationRequest(
        "s3:GetObject", f"arn:aws:s3:::{bucket}/release/src/a.zip", TLS, A, sse_kms_key=key
    )


def put(bucket: str, key: str, context: dict[str, str] = SSE_KMS) -> AuthorizationRequest:
    return AuthorizationRequest(
        "s3:PutObject", f"arn:aws:s3:::{bucket}/release/out/b.zip", context, A, sse_kms_key=key
    )


def decide(
    principal: Principal,
    identity: list[dict[str, Any]],
    policies: dict[str, dict[str, Any]],
    request: AuthorizationRequest,
) -> str:
    context = AuthorizationContext(principal, identity, resource_policies=policies)
    return authorize(context, [request])[0].decision


EVERYTHING = action_role_own_side([BUCKET_HOME, BUCKET_AWAY], [KEY_HOME, KEY_AWAY])

CASES = [
    # (who, request, expected): role B deploys in us-east-1 from its input artifact only.
    ("B", get(BUCKET_HOME, KEY_HOME), "allowed"),
    ("B", AuthorizationRequest("s3:ListBucket", f"arn:aws:s3:::{BUCKET_HOME}", TLS, A), "allowed"),
    ("B", put(BUCKET_HOME, KEY_HOME), "implicitly_denied"),
    ("B", get(BUCKET_AWAY, KEY_AWAY), "implicitly_denied"),
    # Role C runs the eu-west-1 actions: it reads the copied input and writes the stack output.
    ("C", get(BUCKET_AWAY, KEY_AWAY), "allowed"),
    ("C", put(BUCKET_AWAY, KEY_AWAY), "allowed"),
    ("C", put(BUCKET_AWAY, KEY_AWAY, TLS), "explicitly_denied"),
    ("C", get(BUCKET_HOME, KEY_HOME), "implicitly_denied"),
]


@pytest.mark.parametrize(("who", "request_", "expected"), CASES)
def test_the_other_accounts_roles_reach_their_artifacts_and_keys(
    who: str, request_: AuthorizationRequest, expected: str
) -> None:
    role = {"B": ROLE_B, "C": ROLE_C}[who]
    got = decide(session(role), [EVERYTHING], resource_policies(result()), request_)
    assert got == expected


@pytest.mark.parametrize(
    ("role", "bucket", "key"), [(ROLE_B, BUCKET_HOME, KEY_HOME), (ROLE_C, BUCKET_AWAY, KEY_AWAY)]
)
@pytest.mark.parametrize("without", ["bucket", "key"])
def test_without_the_bucket_or_key_policy_the_read_is_denied(
    role: str, bucket: str, key: str, without: str
) -> None:
    policies = resource_policies(result())
    del policies[f"arn:aws:s3:::{bucket}" if without == "bucket" else key]
    assert decide(session(role), [EVERYTHING], policies, get(bucket, key)) == "implicitly_denied"


@pytest.mark.parametrize(("bucket", "key"), [(BUCKET_HOME, KEY_HOME), (BUCKET_AWAY, KEY_AWAY)])
def test_the_service_role_uses_every_store_under_its_computed_policy(bucket: str, key: str) -> None:
    policies = resource_policies(result())
    identity = [service_role_policy()]
    assert decide(session(SERVICE_ROLE), identity, policies, get(bucket, key)) == "allowed"
    assert decide(session(SERVICE_ROLE), identity, policies, put(bucket, key)) == "allowed"


@pytest.mark.parametrize("role", [ROLE_B, ROLE_C])
def test_the_service_role_assumes_each_action_role(role: str) -> None:
    policies = resource_policies(result())
    request = AuthorizationRequest("sts:AssumeRole", role)
    identity = [service_role_policy()]
    assert decide(session(SERVICE_ROLE), identity, policies, request) == "allowed"
    # Another role of the pipeline's account, allowed by its own policy, is not trusted.
    other = session(f"arn:aws:iam::{A}:role/Other")
    assert decide(other, identity, policies, request) == "implicitly_denied"
    # Without the trust policy, the service role's grant alone does not do.
    del policies[role]
    assert decide(session(SERVICE_ROLE), identity, policies, request) == "implicitly_denied"


def test_cloudformation_assumes_the_stack_role_and_no_one_else_does() -> None:
    policies = resource_policies(result())
    request = AuthorizationRequest("sts:AssumeRole", STACK_ROLE_C)
    cloudformation = Principal(arn="cloudformation.amazonaws.com", kind="service")
    assert decide(cloudformation, [], policies, request) == "allowed"
    codebuild = Principal(arn="codebuild.amazonaws.com", kind="service")
    assert decide(codebuild, [], policies, request) == "implicitly_denied"


def test_the_pipeline_service_trusts_only_codepipeline() -> None:
    policies = resource_policies(result())
    request = AuthorizationRequest("sts:AssumeRole", SERVICE_ROLE)
    codepipeline = Principal(arn="codepipeline.amazonaws.com", kind="service")
    assert decide(codepipeline, [], policies, request) == "allowed"
    assert decide(session(ROLE_B), [EVERYTHING], policies, request) == "implicitly_denied"


def test_a_trust_policy_as_iam_takes_it_lets_the_service_role_in() -> None:
    policies = resource_policies(result(), trust_resource=False)
    request = AuthorizationRequest("sts:AssumeRole", ROLE_B)
    assert decide(session(SERVICE_ROLE), [service_role_policy()], policies, request) == "allowed"
