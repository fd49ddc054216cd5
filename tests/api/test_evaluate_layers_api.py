"""POST /v1/policies/evaluate with the whole authorization context: the rows of the engine's
layer tables asked through the API, the answer's pointers and findings, the located 422s of bad
layer input, and the work budget."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.engine.authorization import AccountPolicies, Principal
from tests.unit.engine.authorization.cases import (
    BUCKET,
    OBJECT,
    ROLE_R,
    SESS,
    USER_U,
    A,
    B,
    Case,
    allow,
    attached,
    aws,
    deny,
    doc,
)
from tests.unit.engine.authorization.test_layer_tables import TABLES

PATH = "/v1/policies/evaluate"


def _principal(p: Principal) -> dict[str, Any]:
    out: dict[str, Any] = {"arn": p.arn, "type": p.kind, "tags": dict(p.tags)}
    if p.account:
        out["account"] = p.account
    if p.org_id:
        out["org_id"] = p.org_id
    return out


def _account(policies: AccountPolicies) -> dict[str, Any]:
    def levels(given: Any) -> Any:
        return None if given is None else [list(level) for level in given]

    return {
        "scp_levels": levels(policies.scp_levels),
        "rcp_levels": levels(policies.rcp_levels),
        "management": policies.management,
    }


def body_of(case: Case) -> dict[str, Any] | None:
    """The row as an evaluate request, or None where the API does not take what it needs (a
    request's own policy or SSE-KMS key, a session's role path…)."""
    ctx, req, p = case.context, case.request, case.context.principal
    if (
        req.resource_policy is not None
        or req.sse_kms_key
        or p.role_arn
        or p.federated_by
        or p.unique_id
        or p.org_paths
        or any(isinstance(v, str) and not v for v in req.context.values())
    ):
        return None
    request: dict[str, Any] = {"action": req.action, "resource": req.resource}
    if req.context:
        request["context"] = {
            k: v if isinstance(v, str) else list(v) for k, v in req.context.items()
        }
    if req.resource_account:
        request["resource_account"] = req.resource_account
    body: dict[str, Any] = {"principal": _principal(p), "requests": [request]}
    if ctx.identity_policies:
        body["policy"] = {"documents": list(ctx.identity_policies)}
    if ctx.permission_boundary is not None:
        body["permissions_boundary"] = ctx.permission_boundary
    if ctx.session_policies is not None:
        body["session_policies"] = list(ctx.session_policies)
    if ctx.resource_policies:
        body["resource_policies"] = dict(ctx.resource_policies)
    if ctx.accounts:
        body["accounts"] = {a: _account(policies) for a, policies in ctx.accounts.items()}
    return body


ROWS = [
    (layer, case, body)
    for layer, table in TABLES.items()
    for case in table
    if (body := body_of(case)) is not None
]


def test_every_layer_has_rows_through_the_api() -> None:
    assert {layer for layer, _, _ in ROWS} == set(TABLES)


@pytest.mark.parametrize(
    ("layer", "case", "body"), ROWS, ids=[f"{t}: {c.name}" for t, c, _ in ROWS]
)
def test_layer_table_through_the_api(
    client: TestClient, layer: str, case: Case, body: dict[str, Any]
) -> None:
    response = client.post(PATH, json=body)
    assert response.status_code == 200, response.text
    (result,) = response.json()["results"]
    assert (result["decision"], result["layer"]) == (case.decision, case.layer), (
        str(case),
        result["reason"],
    )


def _layered(client: TestClient, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(PATH, json=body)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def test_the_deciding_statement_points_into_the_request(client: TestClient) -> None:
    boundary = deny("s3:GetObject", sid="NoReads")
    bucket_policy = allow("s3:GetObject", f"{BUCKET}/*", principal=aws(f"arn:aws:iam::{B}:root"))
    answer = _layered(
        client,
        {
            "policy": {"documents": [allow("s3:*")]},
            "principal": {"arn": USER_U, "type": "user"},
            "permissions_boundary": boundary,
            "resource_policies": {BUCKET: bucket_policy},
            "requests": [{"action": "s3:GetObject", "resource": OBJECT, "resource_account": A}],
        },
    )
    (result,) = answer["results"]
    assert (result["decision"], result["layer"]) == ("explicitly_denied", "boundary")
    assert result["statement"] == {
        "layer": "boundary",
        "level": None,
        "document": 0,
        "statement": 0,
        "sid": "NoReads",
        "path": "/permissions_boundary/Statement/0",
    }
    layers = {o["layer"]: o for o in result["layers"]}
    assert layers["identity"]["decision"] == "allowed"
    assert layers["identity"]["statements"][0]["path"] == "/policy/documents/0/Statement/0"
    assert layers["boundary"]["decision"] == "explicitly_denied"


def test_cross_account_needs_both_sides_and_names_the_bucket_policy(client: TestClient) -> None:
    bucket_b = "arn:aws:s3:::bucket-b"
    grant = allow("s3:GetObject", f"{bucket_b}/*", principal=aws(ROLE_R), sid="FromA")
    body = {
        "policy": {"documents": [allow("s3:GetObject")]},
        "principal": {"arn": SESS, "type": "assumed_role"},
        "resource_policies": {bucket_b: grant},
        "requests": [
            {"action": "s3:GetObject", "resource": f"{bucket_b}/k", "resource_account": B},
            {"action": "s3:PutObject", "resource": f"{bucket_b}/k", "resource_account": B},
        ],
    }
    read, write = _layered(client, body)["results"]
    assert read["decision"] == "allowed"
    resource = next(o for o in read["layers"] if o["layer"] == "resource")
    assert resource["statements"][0]["path"] == (
        "/resource_policies/arn:aws:s3:::bucket-b/Statement/0"
    )
    assert resource["statements"][0]["sid"] == "FromA"
    assert write["decision"] == "implicitly_denied"


def test_an_encrypted_object_needs_the_key_too(client: TestClient) -> None:
    """`sse_kms_key`: S3 calls KMS as the caller for an SSE-KMS object; without the key the
    read is denied by the key's side, with it allowed [R4.10, §10 case 41]."""
    key = f"arn:aws:kms:us-east-1:{A}:key/k1"
    key_policy = allow("kms:*", principal=aws(f"arn:aws:iam::{A}:root"))
    body = {
        "policy": {"documents": [allow("s3:GetObject")]},
        "principal": {"arn": SESS, "type": "assumed_role"},
        "resource_policies": {key: key_policy},
        "requests": [
            {"action": "s3:GetObject", "resource": OBJECT, "resource_account": A},
            {
                "action": "s3:GetObject",
                "resource": OBJECT,
                "resource_account": A,
                "sse_kms_key": key,
            },
        ],
    }
    plain, encrypted = _layered(client, body)["results"]
    assert plain["decision"] == "allowed"
    assert encrypted["decision"] == "implicitly_denied"
    assert "KMS" in encrypted["reason"]
    body["policy"] = {"documents": [allow("s3:GetObject"), allow("kms:Decrypt")]}
    _, encrypted = _layered(client, body)["results"]
    assert encrypted["decision"] == "allowed"


def test_an_scp_level_is_named_with_its_level(client: TestClient) -> None:
    answer = _layered(
        client,
        {
            "policy": {"documents": [allow("s3:*")]},
            "principal": {"arn": USER_U, "type": "user"},
            "accounts": {A: {"scp_levels": [[allow("*")], [deny("s3:*", sid="NoS3")]]}},
            "requests": [{"action": "s3:ListBucket", "resource": BUCKET, "resource_account": A}],
        },
    )
    (result,) = answer["results"]
    assert (result["decision"], result["layer"], result["level"]) == (
        "explicitly_denied",
        "scp",
        1,
    )
    assert result["statement"]["path"] == f"/accounts/{A}/scp_levels/1/0/Statement/0"


def test_findings_of_a_layer_are_located(client: TestClient) -> None:
    sloppy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*"}]}
    answer = _layered(
        client,
        {
            "policy": {"documents": [allow("s3:*")]},
            "principal": {"arn": USER_U, "type": "user"},
            "session_policies": [sloppy],
            "requests": [{"action": "s3:ListBucket", "resource": BUCKET, "resource_account": A}],
        },
    )
    paths = [f["path"] for f in answer["findings"]]
    assert paths
    assert all(p.startswith("/session_policies/0") for p in paths), paths


def test_without_layers_the_answer_is_the_identity_answer(client: TestClient) -> None:
    body = {
        "policy": {"documents": [allow("s3:*")]},
        "requests": [{"action": "s3:ListBucket", "resource": BUCKET}],
    }
    (result,) = _layered(client, body)["results"]
    assert "deciding" in result
    assert "layers" not in result


def test_a_resource_policy_names_principals_without_a_finding(client: TestClient) -> None:
    grant = allow("s3:GetObject", f"{BUCKET}/*", principal=aws(ROLE_R))
    grant["Statement"][0]["Notes"] = "kept for the audit"
    answer = _layered(
        client,
        {
            "principal": {"arn": SESS, "type": "assumed_role"},
            "resource_policies": {BUCKET: grant},
            "requests": [{"action": "s3:GetObject", "resource": OBJECT, "resource_account": A}],
        },
    )
    assert [(f["code"], f["path"]) for f in answer["findings"]] == [
        ("UNKNOWN_ELEMENT", "/resource_policies/arn:aws:s3:::bucket-a/Statement/0/Notes")
    ]
    assert answer["results"][0]["decision"] == "allowed"


def test_a_trust_policy_has_no_resource_without_a_finding(client: TestClient) -> None:
    """A role's trust policy has no Resource (its resource is the role): no MISSING_RESOURCE
    there, as validate with `policy_type` trust says; the same statement as a bucket's policy
    still lacks its Resource."""
    role_b = f"arn:aws:iam::{B}:role/Deploy"
    trust = doc(attached("Allow", "sts:AssumeRole", principal=aws(ROLE_R)))
    answer = _layered(
        client,
        {
            "policy": {"documents": [allow("sts:AssumeRole", role_b)]},
            "principal": {"arn": SESS, "type": "assumed_role"},
            "resource_policies": {role_b: trust, BUCKET: trust},
            "requests": [{"action": "sts:AssumeRole", "resource": role_b}],
        },
    )
    assert [(f["code"], f["path"]) for f in answer["findings"]] == [
        ("MISSING_RESOURCE", "/resource_policies/arn:aws:s3:::bucket-a/Statement/0")
    ]
    (result,) = answer["results"]
    assert (result["decision"], result["layer"]) == ("allowed", "resource")


def test_a_resource_policy_given_as_json_text_is_weighed(client: TestClient) -> None:
    body = {
        "policy": {"documents": [allow("*")]},
        "principal": {"arn": ROLE_R, "type": "role"},
        "resource_policies": {BUCKET: json.dumps(deny("*", principal="*"))},
        "requests": [{"action": "s3:GetObject", "resource": OBJECT, "resource_account": A}],
    }
    (result,) = _layered(client, body)["results"]
    assert (result["decision"], result["layer"], result["definite"]) == (
        "explicitly_denied",
        "resource",
        True,
    )
    assert result["statement"]["path"] == f"/resource_policies/{BUCKET}/Statement/0"


BASE: dict[str, Any] = {
    "policy": {"documents": [allow("s3:*")]},
    "principal": {"arn": USER_U, "type": "user"},
    "requests": [{"action": "s3:GetObject", "resource": OBJECT, "resource_account": A}],
}


@pytest.mark.parametrize(
    ("change", "pointer"),
    [
        ({"principal": None, "permissions_boundary": allow("s3:*")}, "/principal"),
        ({"principal": {"type": "superuser", "arn": USER_U}}, "/principal/type"),
        ({"principal": {"type": "user"}}, "/principal"),
        ({"principal": {"type": "user", "arn": USER_U, "account": "12"}}, "/principal/account"),
        ({"resource_policies": {"bucket-a": allow("s3:*")}}, "/resource_policies/bucket-a"),
        ({"accounts": {"A": {}}}, "/accounts/A"),
        ({"accounts": {A: {"scp_levels": [allow("*")]}}}, f"/accounts/{A}/scp_levels/0"),
        ({"session_policies": [42]}, "/session_policies/0"),
        (
            {"requests": [{"action": "s3:GetObject", "resource": OBJECT, "resource_account": "x"}]},
            "/requests/0/resource_account",
        ),
        (
            {"requests": [{"action": "s3:GetObject", "resource": OBJECT}]},
            "/requests/0/resource_account",
        ),
        ({"permissions_boundary": "{not json"}, "/permissions_boundary"),
        # One document is an object or JSON text of one: a list's Deny was left unread, and
        # the request allowed for sure.
        (
            {"resource_policies": {BUCKET: json.dumps([deny("*", principal="*")])}},
            f"/resource_policies/{BUCKET}",
        ),
        ({"resource_policies": {BUCKET: "42"}}, f"/resource_policies/{BUCKET}"),
        ({"permissions_boundary": json.dumps([allow("*")])}, "/permissions_boundary"),
        ({"session_policies": [json.dumps([allow("*")])]}, "/session_policies/0"),
        (
            {"accounts": {A: {"scp_levels": [[json.dumps([allow("*")])]]}}},
            f"/accounts/{A}/scp_levels/0/0",
        ),
        (
            {"requests": [{**BASE["requests"][0], "sse_kms_key": "alias/artifacts"}]},
            "/requests/0/sse_kms_key",
        ),
        (
            {
                "principal": None,
                "policy": None,
                "requests": [{"action": "s3:GetObject", "resource": OBJECT}],
            },
            "/policy",
        ),
    ],
)
def test_bad_layer_input_is_a_located_422(
    client: TestClient, change: dict[str, Any], pointer: str
) -> None:
    body = {**BASE, **change}
    body = {k: v for k, v in body.items() if v is not None}
    response = client.post(PATH, json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    pointers = [e["pointer"] for e in problem["errors"]]
    assert pointers, problem
    assert all(p.startswith(pointer) for p in pointers), problem


# Each kind of caller with an ARN of another kind, or of no kind: the session ARN `x` was a
# 500 (the role of the session was read from the ARN's resource without looking).
WRONG_ARNS = [
    ("assumed_role", "x"),
    ("assumed_role", "arn:aws:sts::111111111111:assumed-role/R"),
    ("assumed_role", ROLE_R),
    ("role", SESS),
    ("role", "arn:aws:iam::111111111111:role/"),
    ("user", ROLE_R),
    ("root", USER_U),
    ("federated_user", "arn:aws:sts::111111111111:federated-user/"),
    ("service", "codepipeline"),
    ("service", ROLE_R),
    ("anonymous", USER_U),
]


@pytest.mark.parametrize(("kind", "arn"), WRONG_ARNS)
def test_a_caller_s_arn_is_of_its_kind(client: TestClient, kind: str, arn: str) -> None:
    body = {**BASE, "principal": {"arn": arn, "type": kind}}
    response = client.post(PATH, json=body)
    assert response.status_code == 422, response.text
    assert [e["pointer"] for e in response.json()["errors"]] == ["/principal/arn"]


RIGHT_ARNS = [
    ("assumed_role", "arn:aws-us-gov:sts::111111111111:assumed-role/R/s@example.com"),
    ("role", "arn:aws:iam::111111111111:role/service-role/team/R"),
    ("user", "arn:aws:iam::111111111111:user/u+1=2,3.4@5-6_7"),
    ("root", "arn:aws:iam::111111111111:root"),
    ("federated_user", "arn:aws:sts::111111111111:federated-user/u"),
    ("service", "states.eu-west-2.amazonaws.com"),
    ("service", "codepipeline.amazonaws.com.cn"),
    ("anonymous", ""),
]


@pytest.mark.parametrize(("kind", "arn"), RIGHT_ARNS)
def test_each_kind_of_caller_is_taken(client: TestClient, kind: str, arn: str) -> None:
    body = {**BASE, "principal": {"arn": arn, "type": kind}}
    response = client.post(PATH, json=body)
    assert response.status_code == 200, response.text


@pytest.mark.slow  # seconds of work to reach the budget: with the whole suite
def test_a_large_layered_request_is_refused_past_its_budget(client: TestClient) -> None:
    """Each layer's statements weighed for each request are charged to the request's budget,
    as identity statements are without layers."""
    statements = [
        {"Effect": "Allow", "Action": f"s3:Get{i}*", "Resource": f"{BUCKET}/{i}/*"}
        for i in range(300)
    ]
    big = {"Version": "2012-10-17", "Statement": statements}
    body = {
        **BASE,
        "policy": {"documents": [big]},
        "permissions_boundary": big,
        "session_policies": [big],
        "principal": {"arn": SESS, "type": "assumed_role"},
        "resource_policies": {BUCKET: allow("s3:GetObject", f"{BUCKET}/*", principal="*")},
        "requests": [
            {"action": "s3:GetObject", "resource": f"{OBJECT}{i}", "resource_account": A}
            for i in range(10_000)
        ],
    }
    response = client.post(PATH, json=body)
    assert response.status_code == 422, response.text[:500]
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["type"].endswith("/work-limit"), problem
    assert problem["errors"][0]["pointer"].startswith("/requests/"), problem
    smaller = {**body, "requests": body["requests"][:10]}
    assert client.post(PATH, json=smaller).status_code == 200
