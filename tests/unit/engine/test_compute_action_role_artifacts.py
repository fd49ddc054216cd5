"""An action that names its own role runs as that role, so compute gives that role the artifact
access of the action: its inputs read and its outputs written in the artifact store of the
action's Region, with the store's customer managed key (shared/reference/
iam-evaluation-layers.md §9 D5 and R4.10). The service role keeps its own artifact statements."""

from __future__ import annotations

from typing import Any

import pytest

from app.engine.compute import (
    ACTION_ROLE_INPUTS_KEY,
    ACTION_ROLE_OUTPUTS_KEY,
    ARTIFACT_STORE_KEY,
    ComputeContext,
    ComputeResult,
    compute_policy,
)
from app.engine.pipeline.api_json import parse_pipeline_json

from .computed_grants import Grants, grants_of
from .profile_fixtures import shipped_profiles

A = "111111111111"
B = "222222222222"
HOME = "eu-west-2"
AWAY = "us-east-1"
SERVICE_ROLE = f"arn:aws:iam::{A}:role/pipeline"
ROLE_B = f"arn:aws:iam::{B}:role/deployer"
BUCKET = "artifacts-home"
BUCKET_AWAY = "artifacts-away"
KEY = f"arn:aws:kms:{HOME}:{A}:key/home-key"
KEY_AWAY = f"arn:aws:kms:{AWAY}:{A}:key/away-key"


def _source(role: str | None = None) -> dict[str, Any]:
    action: dict[str, Any] = {
        "name": "Source",
        "actionTypeId": {
            "category": "Source",
            "owner": "AWS",
            "provider": "CodeCommit",
            "version": "1",
        },
        "configuration": {"RepositoryName": "web", "BranchName": "main"},
        "outputArtifacts": [{"name": "src"}],
    }
    if role:
        action["roleArn"] = role
    return action


def _deploy(role: str | None = ROLE_B, region: str | None = None) -> dict[str, Any]:
    action: dict[str, Any] = {
        "name": "Deploy",
        "actionTypeId": {
            "category": "Deploy",
            "owner": "AWS",
            "provider": "CodeDeploy",
            "version": "1",
        },
        "configuration": {"ApplicationName": "web", "DeploymentGroupName": "prod"},
        "inputArtifacts": [{"name": "src"}],
    }
    if role:
        action["roleArn"] = role
    if region:
        action["region"] = region
    return action


def _store(bucket: str, key: str | None) -> dict[str, Any]:
    store: dict[str, Any] = {"type": "S3", "location": bucket}
    if key:
        store["encryptionKey"] = {"type": "KMS", "id": key}
    return store


def _compute(
    source: dict[str, Any],
    deploy: dict[str, Any],
    *,
    key: str | None = KEY,
    regional: bool = False,
    region: str | None = HOME,
) -> ComputeResult:
    pipeline: dict[str, Any] = {
        "name": "web",
        "roleArn": SERVICE_ROLE,
        "stages": [
            {"name": "Source", "actions": [source]},
            {"name": "Deploy", "actions": [deploy]},
        ],
    }
    if regional:
        pipeline["artifactStores"] = {
            HOME: _store(BUCKET, key),
            AWAY: _store(BUCKET_AWAY, KEY_AWAY if key else None),
        }
    else:
        pipeline["artifactStore"] = _store(BUCKET, key)
    parsed, findings = parse_pipeline_json({"pipeline": pipeline}, "/pipelines/0")
    assert findings == []
    return compute_policy(
        [parsed], shipped_profiles(), context=ComputeContext(account=A, region=region)
    )


def _role(result: ComputeResult, arn: str) -> Grants:
    (policy,) = [r for r in result.action_roles if r.role_arn == arn]
    return grants_of(policy.statements)


def _artifactgrants_of(grants: Grants) -> set[tuple[str, str]]:
    keys = (ACTION_ROLE_INPUTS_KEY, ACTION_ROLE_OUTPUTS_KEY)
    return {g for g, reasons in grants.items() if any(r.action_type in keys for r in reasons)}


OBJECTS = f"arn:aws:s3:::{BUCKET}/*"
BUCKET_ARN = f"arn:aws:s3:::{BUCKET}"
READ = {
    ("s3:getobject", OBJECTS),
    ("s3:getobjectversion", OBJECTS),
    ("s3:listbucket", BUCKET_ARN),
}
WRITE = {
    ("s3:putobject", OBJECTS),
    ("s3:putobjectacl", OBJECTS),
    ("s3:getbucketversioning", BUCKET_ARN),
}

CASES = [
    pytest.param(
        _source(),
        _deploy(),
        {},
        ROLE_B,
        READ | {("kms:decrypt", KEY)},
        id="an input read with the store's key",
    ),
    pytest.param(
        _source(),
        _deploy(),
        {"key": None},
        ROLE_B,
        READ,
        id="no customer managed key: no KMS statement",
    ),
    pytest.param(
        _source(ROLE_B),
        _deploy(role=None),
        {},
        ROLE_B,
        WRITE | {("kms:generatedatakey", KEY)},
        id="an output written with the store's key",
    ),
    pytest.param(
        _source(ROLE_B),
        _deploy(),
        {},
        ROLE_B,
        READ | WRITE | {("kms:decrypt", KEY), ("kms:generatedatakey", KEY)},
        id="one role reading and writing has both",
    ),
    pytest.param(
        _source(),
        _deploy(region=AWAY),
        {"regional": True},
        ROLE_B,
        {
            ("s3:getobject", f"arn:aws:s3:::{BUCKET_AWAY}/*"),
            ("s3:getobjectversion", f"arn:aws:s3:::{BUCKET_AWAY}/*"),
            ("s3:listbucket", f"arn:aws:s3:::{BUCKET_AWAY}"),
            ("kms:decrypt", KEY_AWAY),
        },
        id="a cross-Region action uses its Region's store only",
    ),
    pytest.param(
        _source(),
        _deploy(),
        {"regional": True, "region": None},
        ROLE_B,
        READ
        | {("kms:decrypt", KEY), ("kms:decrypt", KEY_AWAY)}
        | {
            ("s3:getobject", f"arn:aws:s3:::{BUCKET_AWAY}/*"),
            ("s3:getobjectversion", f"arn:aws:s3:::{BUCKET_AWAY}/*"),
            ("s3:listbucket", f"arn:aws:s3:::{BUCKET_AWAY}"),
        },
        id="the Region unknown: every store may be the action's, never *",
    ),
]


@pytest.mark.parametrize(("source", "deploy", "options", "role", "expected"), CASES)
def test_the_action_role_gets_its_artifact_access(
    source: dict[str, Any],
    deploy: dict[str, Any],
    options: dict[str, Any],
    role: str,
    expected: set[tuple[str, str]],
) -> None:
    result = _compute(source, deploy, **options)
    assert _artifactgrants_of(_role(result, role)) == expected


def test_the_statements_are_conditioned_on_the_store_account_and_cited() -> None:
    result = _compute(_source(), _deploy())
    (policy,) = result.action_roles
    for stmt in policy.statements:
        reasons = [r for r in stmt.required_by if r.action_type == ACTION_ROLE_INPUTS_KEY]
        if not reasons or not stmt.actions[0].startswith("s3:"):
            continue
        # The bucket is the pipeline's (account A), not the role's account.
        assert stmt.condition == {"StringEquals": {"aws:ResourceAccount": A}}
        for reason in reasons:
            assert reason.citation.url.startswith("https://")
            assert reason.reason
            assert (reason.stage, reason.action) == ("Deploy", "Deploy")
    assert all(
        "*" not in resource
        for _, resource in _artifactgrants_of(_role(result, ROLE_B))
        if not resource.endswith("/*")
    )


def test_the_key_statements_name_the_key_policy_as_the_alternative() -> None:
    grants = _role(_compute(_source(), _deploy()), ROLE_B)
    (reason,) = grants[("kms:decrypt", KEY)]
    assert reason.alternative is not None
    assert not reason.certain


def test_an_action_in_a_region_without_a_store_gets_none() -> None:
    result = _compute(_source(), _deploy(region=AWAY))
    assert _artifactgrants_of(_role(result, ROLE_B)) == set()


def test_the_service_role_keeps_its_artifact_statements() -> None:
    result = _compute(_source(ROLE_B), _deploy())
    on_service_role = grants_of(result.statements)
    for needed in (("s3:getobject", OBJECTS), ("s3:putobject", OBJECTS), ("kms:decrypt", KEY)):
        assert any(r.action_type == ARTIFACT_STORE_KEY for r in on_service_role[needed])
    assert ("sts:assumerole", ROLE_B) in on_service_role
    assert not _artifactgrants_of(on_service_role)


def test_an_action_without_a_role_adds_nothing_to_any_role() -> None:
    result = _compute(_source(), _deploy(role=None))
    assert result.action_roles == ()
    assert not _artifactgrants_of(grants_of(result.statements))
