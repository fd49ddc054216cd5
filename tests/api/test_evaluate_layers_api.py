"""POST /v1/policies/evaluate with the whole authorization context."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.unit.engine.authorization.cases import (
    BUCKET,
    OBJECT,
    ROLE_R,
    SESS,
    USER_U,
    A,
    B,
    allow,
    aws,
    deny,
)

PATH = "/v1/policies/evaluate"


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
