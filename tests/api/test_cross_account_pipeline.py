"""A cross-account, cross-Region pipeline through the API, end to end: compute gives every
document it needs (shared/reference/iam-evaluation-layers.md §9), diff judges each of them
sufficient, validate accepts each as what it is, and evaluate, with the whole authorization
context, allows what the pipeline does under them and denies it without them.

The pipeline is in account A, us-east-1, with a KMS-encrypted artifact store per Region; it
builds in A, deploys a stack in account B (eu-west-1, a deploy role of B) and smoke-tests it
with a Lambda function of B, then deploys with CodeDeploy in account C (us-east-1)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.authorization_context import resource_policies, session
from tests.unit.engine.companions.scenario import action

A, B, C = "111111111111", "222222222222", "333333333333"
HOME, AWAY = "us-east-1", "eu-west-1"
SERVICE_ROLE = f"arn:aws:iam::{A}:role/service-role/CodePipeline_Service_Role"
STACK_ACTION_ROLE = f"arn:aws:iam::{B}:role/CrossAccountStackActionRole"
DEPLOY_ROLE = f"arn:aws:iam::{B}:role/CloudFormationDeployRole"
CODEDEPLOY_ROLE = f"arn:aws:iam::{C}:role/CrossAccount_Role"
BUCKET = {HOME: f"codepipeline-{HOME}-{A}", AWAY: f"codepipeline-{AWAY}-{A}"}
KEY = {
    HOME: f"arn:aws:kms:{HOME}:{A}:key/11111111-2222-3333-4444-555555555555",
    AWAY: f"arn:aws:kms:{AWAY}:{A}:key/66666666-7777-8888-9999-000000000000",
}
CONTEXT = {"account": A, "region": HOME}
# Each companion kind validate checks, by the policy type it checks it as.
POLICY_TYPE = {"trust-policy": "trust", "bucket-policy": "bucket", "key-policy": "key"}


def release_pipeline() -> dict[str, Any]:
    stack = action(
        "Stack",
        "Deploy",
        "CloudFormation",
        {
            "ActionMode": "CREATE_UPDATE",
            "StackName": "app",
            "TemplatePath": "built::template.yaml",
            "Capabilities": "CAPABILITY_IAM",
            "RoleArn": DEPLOY_ROLE,
            "OutputFileName": "outputs.json",
        },
        inputs=["built"],
        outputs=["stackout"],
        role=STACK_ACTION_ROLE,
        region=AWAY,
    )
    smoke = action(
        "Smoke",
        "Invoke",
        "Lambda",
        {"FunctionName": "smoke-test"},
        role=STACK_ACTION_ROLE,
        region=AWAY,
    )
    smoke["runOrder"] = 2
    deploy = action(
        "Deploy",
        "Deploy",
        "CodeDeploy",
        {"ApplicationName": "app", "DeploymentGroupName": "prod"},
        inputs=["built"],
        role=CODEDEPLOY_ROLE,
        region=HOME,
    )
    return {
        "pipeline": {
            "name": "release",
            "pipelineType": "V2",
            "executionMode": "QUEUED",
            "roleArn": SERVICE_ROLE,
            "artifactStores": {
                region: {
                    "type": "S3",
                    "location": BUCKET[region],
                    "encryptionKey": {"id": KEY[region], "type": "KMS"},
                }
                for region in (HOME, AWAY)
            },
            "stages": [
                {
                    "name": "Source",
                    "actions": [
                        action(
                            "Source",
                            "Source",
                            "CodeCommit",
                            {"RepositoryName": "app", "BranchName": "main"},
                            outputs=["src"],
                        )
                    ],
                },
                {
                    "name": "Build",
                    "actions": [
                        action(
                            "Build",
                            "Build",
                            "CodeBuild",
                            {"ProjectName": "app-build"},
                            inputs=["src"],
                            outputs=["built"],
                        )
                    ],
                },
                {"name": "DeployB", "actions": [stack, smoke]},
                {"name": "DeployC", "actions": [deploy]},
            ],
        }
    }


def _post(client: TestClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(path, json=body)
    assert response.status_code == 200, response.text[:2000]
    answer: dict[str, Any] = response.json()
    return answer


def _required() -> dict[str, Any]:
    return {"pipelines": [release_pipeline()], "context": CONTEXT}


def _computed(client: TestClient) -> dict[str, Any]:
    return _post(client, "/v1/policies/compute", _required())


def _documents(computed: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(d["kind"], d["target"]): d for d in computed["companions"]["documents"]}


def _principals(document: dict[str, Any], *actions: str) -> set[str]:
    """The AWS principals the Allow statements of a resource policy name for any of `actions`."""
    found: set[str] = set()
    for statement in document["Statement"]:
        granted = _list(statement["Action"])
        if statement["Effect"] != "Allow" or not set(actions) & set(granted):
            continue
        principal = statement["Principal"]
        found.update(_list(principal["AWS"]) if isinstance(principal, dict) else [principal])
    return found


def _list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value


def _resources(policy: dict[str, Any], action_name: str) -> set[str]:
    return {
        resource
        for statement in policy["Statement"]
        if statement["Effect"] == "Allow" and action_name in _list(statement["Action"])
        for resource in _list(statement["Resource"])
    }


# -- compute: every document §9 names, and no other ---------------------------------------------


def test_compute_gives_every_document_the_pipeline_needs(client: TestClient) -> None:
    computed = _computed(client)
    assert not [f for f in computed["findings"] if f["finding_type"] in ("ERROR", "WARNING")]
    documents = _documents(computed)
    assert {k: (d["account"], d["region"]) for k, d in documents.items()} == {
        ("trust-policy", SERVICE_ROLE): (A, None),
        ("trust-policy", STACK_ACTION_ROLE): (B, None),
        ("trust-policy", DEPLOY_ROLE): (B, None),
        ("trust-policy", CODEDEPLOY_ROLE): (C, None),
        ("bucket-policy", BUCKET[HOME]): (A, HOME),
        ("bucket-policy", BUCKET[AWAY]): (A, AWAY),
        ("key-policy", KEY[HOME]): (A, HOME),
        ("key-policy", KEY[AWAY]): (A, AWAY),
    }
    # D8: one artifact store per Region with actions, each let to the accounts acting there.
    stores = {s["region"]: s for s in computed["companions"]["artifact_stores"]}
    assert {r: (s["location"], s["kms_key"], s["other_accounts"]) for r, s in stores.items()} == {
        HOME: (BUCKET[HOME], KEY[HOME], [C]),
        AWAY: (BUCKET[AWAY], KEY[AWAY], [B]),
    }
    # D1, D2: each Region's bucket and key policy let in the role of another account that reads
    # (and, for the stack's outputs, writes) artifacts there, and no one else.
    home_bucket = documents[("bucket-policy", BUCKET[HOME])]["policy"]
    away_bucket = documents[("bucket-policy", BUCKET[AWAY])]["policy"]
    assert _principals(home_bucket, "s3:GetObject") == {CODEDEPLOY_ROLE}
    assert _principals(home_bucket, "s3:PutObject") == set()
    assert _principals(away_bucket, "s3:GetObject") == {STACK_ACTION_ROLE}
    assert _principals(away_bucket, "s3:PutObject") == {STACK_ACTION_ROLE}
    home_key = documents[("key-policy", KEY[HOME])]["policy"]
    away_key = documents[("key-policy", KEY[AWAY])]["policy"]
    assert _principals(home_key, "kms:Decrypt") == {SERVICE_ROLE, CODEDEPLOY_ROLE}
    assert _principals(away_key, "kms:Decrypt") == {SERVICE_ROLE, STACK_ACTION_ROLE}
    assert _principals(away_key, "kms:GenerateDataKey") == {SERVICE_ROLE, STACK_ACTION_ROLE}
    assert _principals(home_key, "kms:GenerateDataKey") == {SERVICE_ROLE}
    # D4: each action role trusts the service role by its ARN; D7: the deploy role trusts
    # CloudFormation; the service role, CodePipeline.
    for role in (STACK_ACTION_ROLE, CODEDEPLOY_ROLE):
        trust = documents[("trust-policy", role)]["policy"]
        assert [s["Principal"] for s in trust["Statement"]] == [{"AWS": SERVICE_ROLE}]
    trust = documents[("trust-policy", DEPLOY_ROLE)]["policy"]
    assert [s["Principal"] for s in trust["Statement"]] == [
        {"Service": "cloudformation.amazonaws.com"}
    ]
    trust = documents[("trust-policy", SERVICE_ROLE)]["policy"]
    assert [s["Principal"] for s in trust["Statement"]] == [
        {"Service": "codepipeline.amazonaws.com"}
    ]
    # D3: the service role assumes exactly the two action roles.
    assert _resources(computed["policy"], "sts:AssumeRole") == {STACK_ACTION_ROLE, CODEDEPLOY_ROLE}


def test_each_action_role_acts_in_its_own_account(client: TestClient) -> None:
    """An action that runs as a role of another account calls the services as that role, so
    the names it gives resolve in that account: the stack and the function in B, the CodeDeploy
    application in C; the artifacts stay the pipeline's, in A. The function being B's own, no
    function policy is needed."""
    computed = _computed(client)
    roles = {r["role_arn"]: r["policy"] for r in computed["action_roles"]}
    assert set(roles) == {STACK_ACTION_ROLE, CODEDEPLOY_ROLE}
    stack_role, codedeploy_role = roles[STACK_ACTION_ROLE], roles[CODEDEPLOY_ROLE]
    assert _resources(stack_role, "cloudformation:CreateStack") == {
        f"arn:aws:cloudformation:{AWAY}:{B}:stack/app/*"
    }
    assert _resources(stack_role, "lambda:InvokeFunction") == {
        f"arn:aws:lambda:{AWAY}:{B}:function:smoke-test"
    }
    assert _resources(stack_role, "iam:PassRole") == {DEPLOY_ROLE}
    assert _resources(stack_role, "s3:GetObject") == {f"arn:aws:s3:::{BUCKET[AWAY]}/*"}
    assert _resources(stack_role, "s3:PutObject") == {f"arn:aws:s3:::{BUCKET[AWAY]}/*"}
    assert _resources(stack_role, "kms:Decrypt") == {KEY[AWAY]}
    assert _resources(codedeploy_role, "codedeploy:CreateDeployment") == {
        f"arn:aws:codedeploy:{HOME}:{C}:deploymentgroup:app/prod"
    }
    assert _resources(codedeploy_role, "s3:GetObject") == {f"arn:aws:s3:::{BUCKET[HOME]}/*"}
    assert _resources(codedeploy_role, "kms:Decrypt") == {KEY[HOME]}
    for policy in (stack_role, codedeploy_role):
        for statement in policy["Statement"]:
            if statement.get("Condition", {}).get("StringEquals", {}).get("aws:ResourceAccount"):
                assert statement["Condition"]["StringEquals"]["aws:ResourceAccount"] == A
    assert not [d for d in computed["companions"]["documents"] if d["kind"] == "function-policy"]


# -- diff and validate: each document judged by our own checks ----------------------------------


def _companions(computed: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"kind": d["kind"], "target": d["target"], "document": d["policy"]}
        for d in computed["companions"]["documents"]
        if d["kind"] in POLICY_TYPE
    ]


def test_diff_judges_every_computed_document_sufficient(client: TestClient) -> None:
    computed = _computed(client)
    companions = _companions(computed)
    assert len(companions) == len(computed["companions"]["documents"]) == 8
    current = {"documents": computed["policies"] or [computed["policy"]], "companions": companions}
    diffed = _post(client, "/v1/policies/diff", {"current": current, "required": _required()})
    assert diffed["verdict"] == "sufficient", diffed["missing"][:3]
    assert diffed["missing"] == diffed["conditional"] == diffed["unverifiable"] == []
    assert diffed["excess"]["total_actions"] == 0
    judged = {(c["kind"], c["target"]): c for c in diffed["companions"]}
    assert set(judged) == {(c["kind"], c["target"]) for c in companions}
    for key, answer in judged.items():
        assert (answer["verdict"], answer["missing"], answer["unneeded"]) == (
            "sufficient",
            [],
            [],
        ), key


def test_diff_misses_the_reader_a_bucket_policy_leaves_out(client: TestClient) -> None:
    """The agreement is not vacuous: the eu-west-1 bucket policy without B's statements lacks
    B's role."""
    computed = _computed(client)
    companions = _companions(computed)
    for companion in companions:
        if companion["target"] == BUCKET[AWAY]:
            statements = companion["document"]["Statement"]
            companion["document"] = {
                **companion["document"],
                "Statement": [s for s in statements if s["Effect"] == "Deny"],
            }
    current = {"documents": [computed["policy"]], "companions": companions}
    diffed = _post(client, "/v1/policies/diff", {"current": current, "required": _required()})
    verdicts = {c["target"]: c for c in diffed["companions"]}
    away = verdicts.pop(BUCKET[AWAY])
    assert away["verdict"] == "insufficient"
    assert {m["principal"] for m in away["missing"]} == {STACK_ACTION_ROLE}
    assert {c["verdict"] for c in verdicts.values()} == {"sufficient"}
    assert diffed["verdict"] == "sufficient"


def test_validate_accepts_every_computed_document_as_what_it_is(client: TestClient) -> None:
    computed = _computed(client)
    checked: list[tuple[str, dict[str, Any]]] = [
        ("managed", d) for d in computed["policies"] or [computed["policy"]]
    ]
    checked += [("managed", r["policy"]) for r in computed["action_roles"]]
    checked += [(POLICY_TYPE[c["kind"]], c["document"]) for c in _companions(computed)]
    assert len(checked) == 1 + 2 + 8
    for policy_type, document in checked:
        body = {"policy": {"documents": [document]}, "policy_type": policy_type}
        findings = _post(client, "/v1/policies/validate", body)["findings"]
        bad = [
            (f["code"], f["path"])
            for f in findings
            if f["finding_type"] in ("ERROR", "SECURITY_WARNING")
        ]
        assert not bad, (policy_type, document.get("Statement", [{}])[0].get("Sid"), bad)


# -- evaluate: the whole authorization context --------------------------------------------------

TLS = {"aws:SecureTransport": "true"}
SSE_KMS = {**TLS, "s3:x-amz-server-side-encryption": "aws:kms"}
# S3 decrypts and encrypts an SSE-KMS object by calling KMS as the caller [FAS, R4.10].
VIA_S3 = {
    "aws:ViaAWSService": "true",
    "aws:CalledVia": ["s3.amazonaws.com"],
    "kms:ViaService": "s3.{region}.amazonaws.com",
}


def _object(region: str) -> str:
    return f"arn:aws:s3:::{BUCKET[region]}/release/built/artifact.zip"


def _read(region: str) -> list[dict[str, Any]]:
    via = {**VIA_S3, "kms:ViaService": VIA_S3["kms:ViaService"].format(region=region)}
    return [
        {"action": "s3:GetObject", "resource": _object(region), "context": TLS,
         "resource_account": A},
        {"action": "kms:Decrypt", "resource": KEY[region], "context": via},
    ]  # fmt: skip


def _write(region: str) -> list[dict[str, Any]]:
    via = {**VIA_S3, "kms:ViaService": VIA_S3["kms:ViaService"].format(region=region)}
    return [
        {"action": "s3:PutObject", "resource": _object(region), "context": SSE_KMS,
         "resource_account": A},
        {"action": "kms:GenerateDataKey", "resource": KEY[region], "context": via},
    ]  # fmt: skip


def _evaluate(
    client: TestClient,
    principal: dict[str, str],
    identity: list[dict[str, Any]],
    resource_policies: dict[str, dict[str, Any]],
    requests: list[dict[str, Any]],
) -> list[tuple[str, str]]:
    body: dict[str, Any] = {
        "principal": principal,
        "resource_policies": resource_policies,
        "requests": requests,
    }
    if identity:
        body["policy"] = {"documents": identity}
    answer = _post(client, "/v1/policies/evaluate", body)
    assert not [f for f in answer["findings"] if f["finding_type"] == "ERROR"], answer["findings"]
    return [(r["decision"], r["layer"]) for r in answer["results"]]


ALLOWED_ACROSS = ("allowed", "resource")  # both sides allow; the resource side is the decider


def test_the_service_role_assumes_each_action_role_across_accounts(client: TestClient) -> None:
    computed = _computed(client)
    policies = resource_policies(computed)
    identity = computed["policies"] or [computed["policy"]]
    requests = [
        {"action": "sts:AssumeRole", "resource": role}
        for role in (STACK_ACTION_ROLE, CODEDEPLOY_ROLE, DEPLOY_ROLE)
    ]
    assert _evaluate(client, session(SERVICE_ROLE), identity, policies, requests) == [
        ALLOWED_ACROSS,
        ALLOWED_ACROSS,
        # The deploy role trusts CloudFormation only, and the service role may not assume it.
        ("implicitly_denied", "identity"),
    ]
    # Without the action role's trust policy, the service role's own grant does not do.
    del policies[STACK_ACTION_ROLE]
    assert _evaluate(client, session(SERVICE_ROLE), identity, policies, requests[:1]) == [
        ("implicitly_denied", "resource")
    ]


def test_cloudformation_assumes_the_deploy_role(client: TestClient) -> None:
    policies = resource_policies(_computed(client))
    request = [{"action": "sts:AssumeRole", "resource": DEPLOY_ROLE}]
    cloudformation = {"arn": "cloudformation.amazonaws.com", "type": "service"}
    assert _evaluate(client, cloudformation, [], policies, request) == [("allowed", "resource")]
    codebuild = {"arn": "codebuild.amazonaws.com", "type": "service"}
    assert _evaluate(client, codebuild, [], policies, request) == [
        ("implicitly_denied", "resource")
    ]


@pytest.mark.parametrize(
    ("role", "requests", "expected"),
    [
        # B's role reads the built artifact and writes the stack's outputs in eu-west-1.
        (STACK_ACTION_ROLE, _read(AWAY) + _write(AWAY), [ALLOWED_ACROSS] * 4),
        # C's role reads the built artifact in us-east-1 and writes nothing.
        (CODEDEPLOY_ROLE, _read(HOME), [ALLOWED_ACROSS] * 2),
        (CODEDEPLOY_ROLE, _write(HOME)[:1], [("implicitly_denied", "identity")]),
        # Neither reaches the other Region's store.
        (STACK_ACTION_ROLE, _read(HOME)[:1], [("implicitly_denied", "identity")]),
        (CODEDEPLOY_ROLE, _read(AWAY)[:1], [("implicitly_denied", "identity")]),
    ],
)
def test_each_action_role_uses_the_artifacts_of_its_region(
    client: TestClient, role: str, requests: list[dict[str, Any]], expected: list[Any]
) -> None:
    computed = _computed(client)
    identity = [r["policy"] for r in computed["action_roles"] if r["role_arn"] == role]
    got = _evaluate(client, session(role), identity, resource_policies(computed), requests)
    assert got == expected


@pytest.mark.parametrize(
    ("role", "request_"),
    [
        (STACK_ACTION_ROLE, {"action": "cloudformation:CreateStack",
                             "resource": f"arn:aws:cloudformation:{AWAY}:{B}:stack/app/id"}),
        (STACK_ACTION_ROLE, {"action": "iam:PassRole", "resource": DEPLOY_ROLE,
                             "context": {"iam:PassedToService": "cloudformation.amazonaws.com"}}),
        (STACK_ACTION_ROLE, {"action": "lambda:InvokeFunction",
                             "resource": f"arn:aws:lambda:{AWAY}:{B}:function:smoke-test"}),
        (CODEDEPLOY_ROLE, {"action": "codedeploy:CreateDeployment",
                           "resource": f"arn:aws:codedeploy:{HOME}:{C}:deploymentgroup:app/prod"}),
    ],
)  # fmt: skip
def test_each_action_role_calls_its_service_in_its_own_account(
    client: TestClient, role: str, request_: dict[str, Any]
) -> None:
    computed = _computed(client)
    identity = [r["policy"] for r in computed["action_roles"] if r["role_arn"] == role]
    policies = resource_policies(computed)
    got = _evaluate(client, session(role), identity, policies, [request_])
    assert got == [("allowed", "identity")]


@pytest.mark.parametrize(("role", "region"), [(STACK_ACTION_ROLE, AWAY), (CODEDEPLOY_ROLE, HOME)])
@pytest.mark.parametrize(
    ("without", "expected"),
    [
        # The bucket policy's Deny statements only: the object read is not granted on the
        # bucket's side, though the role's own policy allows it [R3.1].
        ("bucket", [("implicitly_denied", "resource"), ALLOWED_ACROSS]),
        # The key policy no longer names the role: S3 cannot decrypt as it [R4.3, R4.10].
        ("key", [ALLOWED_ACROSS, ("implicitly_denied", "resource")]),
    ],
)
def test_without_the_bucket_or_key_policy_statement_the_read_is_denied(
    client: TestClient, role: str, region: str, without: str, expected: list[Any]
) -> None:
    computed = _computed(client)
    identity = [r["policy"] for r in computed["action_roles"] if r["role_arn"] == role]
    policies = resource_policies(computed)
    if without == "bucket":
        bucket = f"arn:aws:s3:::{BUCKET[region]}"
        statements = [s for s in policies[bucket]["Statement"] if s["Effect"] == "Deny"]
        policies[bucket] = {**policies[bucket], "Statement": statements}
    else:
        key = KEY[region]
        statements = [_without_principal(s, role) for s in policies[key]["Statement"]]
        policies[key] = {**policies[key], "Statement": statements}
    assert _evaluate(client, session(role), identity, policies, _read(region)) == expected


def _without_principal(statement: dict[str, Any], role: str) -> dict[str, Any]:
    named = [p for p in _list(statement["Principal"]["AWS"]) if p != role]
    assert named, statement  # the service role stays
    return {**statement, "Principal": {"AWS": named}}


def test_an_unencrypted_or_insecure_write_is_refused_by_the_bucket_policy(
    client: TestClient,
) -> None:
    computed = _computed(client)
    identity = [r["policy"] for r in computed["action_roles"] if r["role_arn"] == STACK_ACTION_ROLE]
    (put, _) = _write(AWAY)
    requests = [
        {**put, "context": TLS},
        {**put, "context": {**SSE_KMS, "aws:SecureTransport": "false"}},
    ]
    got = _evaluate(
        client, session(STACK_ACTION_ROLE), identity, resource_policies(computed), requests
    )
    assert got == [("explicitly_denied", "resource")] * 2


def test_the_service_role_uses_every_store_under_its_computed_policy(client: TestClient) -> None:
    computed = _computed(client)
    identity = computed["policies"] or [computed["policy"]]
    requests = [*_read(HOME), *_write(HOME), *_read(AWAY), *_write(AWAY)]
    got = _evaluate(client, session(SERVICE_ROLE), identity, resource_policies(computed), requests)
    # Same account: the bucket policy names other roles only, so the identity path allows;
    # the key policy must allow (it names the service role) [R4.1, R4.2].
    assert got == [("allowed", "identity"), ("allowed", "resource")] * 4
