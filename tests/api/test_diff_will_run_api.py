"""POST /v1/policies/diff with `current.authorization`: will the pipelines run."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ..template_sources import CLOUDFORMATION_SOURCE_AND_BUILD, TERRAFORM_SOURCE_AND_BUILD
from ..unit.engine.companions.scenario import (
    BUCKET_AWAY,
    KEY_AWAY,
    ROLE_B,
    ROLE_C,
    SERVICE_ROLE,
    STACK_ROLE_C,
    A,
    B,
    C,
    cross_account_pipeline,
)


def _computed(client: TestClient, pipelines: list[dict[str, Any]]) -> dict[str, Any]:
    response = client.post("/v1/policies/compute", json={"pipelines": pipelines})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _will_run(client: TestClient, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/v1/policies/diff", json=body)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def _everything(computed: dict[str, Any]) -> dict[str, Any]:
    """The current context made of every document compute gives."""
    companions = [
        {"kind": d["kind"], "target": d["target"], "document": d["policy"]}
        for d in computed["companions"]["documents"]
        if d["kind"] in ("trust-policy", "bucket-policy", "key-policy")
    ]
    others = {
        d["target"]: d["policy"]
        for d in computed["companions"]["documents"]
        if d["kind"] not in ("trust-policy", "bucket-policy", "key-policy")
    }
    return {
        "documents": [computed["policy"]],
        "companions": companions,
        "authorization": {
            "resource_policies": others,
            "action_roles": [
                {"role_arn": r["role_arn"], "documents": [r["policy"]]}
                for r in computed["action_roles"]
            ],
        },
    }


def _checks(run: dict[str, Any], role: str, action: str) -> list[dict[str, Any]]:
    found = [c for c in run["checks"] if c["role"] == role and c["action"] == action]
    assert found, (role, action)
    return found


def _setup(client: TestClient) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    pipelines = [cross_account_pipeline()]
    return pipelines, _everything(_computed(client, pipelines))


def _run(client: TestClient, pipelines: list[dict[str, Any]], current: dict[str, Any]) -> Any:
    body = {"current": current, "required": {"pipelines": pipelines}}
    return _will_run(client, body)["will_run"]


def test_every_document_compute_gives_lets_the_pipeline_run(client: TestClient) -> None:
    """The cross-account, cross-Region pipeline with every document compute gives (service-role
    and action-role policies, trust, bucket, key and function policies): every permission it
    needs for sure is allowed, each by the layer that must allow it."""
    pipelines, current = _setup(client)
    run = _run(client, pipelines, current)
    assert run["verdict"] == "runs"
    needed = [c for c in run["checks"] if c["necessity"] == "required"]
    assert needed
    assert all(c["decision"] == "allowed" and c["definite"] for c in needed)
    assert {c["role"] for c in needed} == {
        SERVICE_ROLE,
        ROLE_B,
        ROLE_C,
        "codepipeline.amazonaws.com",
        "cloudformation.amazonaws.com",
    }
    # The trust policies given let the services assume their roles.
    (pipeline_trust,) = _checks(run, "codepipeline.amazonaws.com", "sts:AssumeRole")
    assert (pipeline_trust["resource"], pipeline_trust["layer"]) == (SERVICE_ROLE, "resource")
    (stack_trust,) = _checks(run, "cloudformation.amazonaws.com", "sts:AssumeRole")
    assert (stack_trust["resource"], stack_trust["layer"]) == (STACK_ROLE_C, "resource")
    # Across accounts both sides allow: the trust policy names the service role.
    (assume,) = [c for c in _checks(run, SERVICE_ROLE, "sts:AssumeRole") if c["resource"] == ROLE_B]
    assert assume["layer"] == "resource"
    assert assume["statement"]["path"].startswith("/current/companions/")
    assert {layer["layer"] for layer in assume["layers"]} == {"resource", "identity"}
    # The action role reads artifacts in A's bucket, encrypted with A's key: the bucket policy
    # lets it in, and the key policy lets S3 decrypt for it.
    read = _checks(run, ROLE_B, "s3:GetObject")
    assert {c["layer"] for c in read} == {"resource"}
    # Its own deployments are in its own account.
    deploy = _checks(run, ROLE_B, "codedeploy:CreateDeployment")
    assert {c["resource"].split(":")[4] for c in deploy} == {B}
    assert {
        c["resource"].split(":")[4] for c in _checks(run, ROLE_C, "cloudformation:CreateStack")
    } == {C}


def _without(current: dict[str, Any], kind: str, target: str) -> dict[str, Any]:
    kept = [c for c in current["companions"] if not (c["kind"] == kind and c["target"] == target)]
    return {**current, "companions": kept}


def test_a_trust_policy_that_leaves_out_the_service_role_fails_the_run(
    client: TestClient,
) -> None:
    pipelines, current = _setup(client)
    not_given = _run(client, pipelines, _without(current, "trust-policy", ROLE_B))
    (assume,) = [
        c for c in _checks(not_given, SERVICE_ROLE, "sts:AssumeRole") if c["resource"] == ROLE_B
    ]
    assert assume["decision"] == "implicitly_denied"
    assert assume["definite"] is False
    assert "was not given" in assume["note"]
    assert not_given["verdict"] == "undecided"

    codedeploy_only = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "codedeploy.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    wrong = _without(current, "trust-policy", ROLE_B)
    wrong["companions"] = [
        *wrong["companions"],
        {"kind": "trust-policy", "target": ROLE_B, "document": codedeploy_only},
    ]
    run = _run(client, pipelines, wrong)
    assert run["verdict"] == "fails"
    (assume,) = [c for c in _checks(run, SERVICE_ROLE, "sts:AssumeRole") if c["resource"] == ROLE_B]
    assert (assume["decision"], assume["definite"], assume["layer"]) == (
        "implicitly_denied",
        True,
        "resource",
    )
    assert "AssumeRole" in assume["impact"]["message"]


def test_a_resource_policy_over_a_companion_of_the_same_resource_is_a_warning(
    client: TestClient,
) -> None:
    """A trust companion that denies assuming the role fails the run; a resource policy given
    for the same role stands over it where the run is decided: a WARNING at that resource
    policy says the companion is overridden (it was silent)."""
    pipelines, current = _setup(client)
    (trust,) = [
        c for c in current["companions"] if c["kind"] == "trust-policy" and c["target"] == ROLE_B
    ]
    allowing = trust["document"]
    refuse = {"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole"}
    trust["document"] = {**allowing, "Statement": [*allowing["Statement"], refuse]}
    body = {"current": current, "required": {"pipelines": pipelines}}
    denied = _will_run(client, body)
    assert denied["will_run"]["verdict"] == "fails"
    assert "COMPANION_OVERRIDDEN" not in {f["code"] for f in denied["findings"]}

    current["authorization"]["resource_policies"][ROLE_B] = allowing
    answer = _will_run(client, body)
    assert answer["will_run"]["verdict"] == "runs"
    (overridden,) = [f for f in answer["findings"] if f["code"] == "COMPANION_OVERRIDDEN"]
    at = f"/current/authorization/resource_policies/{ROLE_B.replace('/', '~1')}"
    assert (overridden["finding_type"], overridden["path"]) == ("WARNING", at)
    index = current["companions"].index(trust)
    assert f"/current/companions/{index}/document" in overridden["message"]


def test_an_organisation_deny_is_named_with_its_level(client: TestClient) -> None:
    pipelines, current = _setup(client)
    full = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
    }
    no_codecommit = {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "NoCodeCommit", "Effect": "Deny", "Action": "codecommit:*", "Resource": "*"}
        ],
    }
    current["authorization"]["accounts"] = {A: {"scp_levels": [[full], [full, no_codecommit]]}}
    run = _run(client, pipelines, current)
    assert run["verdict"] == "fails"
    for check in _checks(run, SERVICE_ROLE, "codecommit:GetBranch"):
        assert (check["decision"], check["layer"], check["level"]) == (
            "explicitly_denied",
            "scp",
            1,
        )
        assert check["statement"]["sid"] == "NoCodeCommit"
        assert (
            check["statement"]["path"]
            == "/current/authorization/accounts/111111111111/scp_levels/1/1/Statement/0"
        )
    assert run["summary"]["denied"] >= 1


def test_a_key_policy_grant_counts_for_the_role(client: TestClient) -> None:
    """Without KMS statements in the service role's own policy, the key policy of each Region's
    artifact key, which names the role, lets it use the key: the key policy decides."""
    pipelines, current = _setup(client)
    policy = current["documents"][0]
    policy["Statement"] = [
        s
        for s in policy["Statement"]
        if not any(str(a).startswith("kms:") for a in _list(s["Action"]))
    ]
    keys = {
        c["target"]: i for i, c in enumerate(current["companions"]) if c["kind"] == "key-policy"
    }
    assert len(keys) == 2  # a key per Region
    body = {"current": current, "required": {"pipelines": pipelines}}
    answer = _will_run(client, body)
    # The diff itself credits the key policies' grants: nothing on the keys is left unverified.
    kms = [g for g in answer["unverifiable"] if any(a.startswith("kms:") for a in g["actions"])]
    assert kms == []
    assert answer["verdict"] == "sufficient"
    run = answer["will_run"]
    decrypt = _checks(run, SERVICE_ROLE, "kms:Decrypt")
    assert {(c["decision"], c["definite"], c["layer"]) for c in decrypt} == {
        ("allowed", True, "resource")
    }
    assert {c["statement"]["path"].split("/")[3] for c in decrypt} == {
        str(keys[c["resource"]]) for c in decrypt
    }
    # Without the key policies' word, the role's own policy no longer allows it.
    current["companions"] = [c for c in current["companions"] if c["kind"] != "key-policy"]
    answer = _will_run(client, {"current": current, "required": {"pipelines": pipelines}})
    assert answer["verdict"] == "unverified"
    assert any(
        "key policy" in g["reason"] for g in answer["unverifiable"] if "kms:Decrypt" in g["actions"]
    )
    run = answer["will_run"]
    assert run["verdict"] == "undecided"
    assert {(c["decision"], c["definite"]) for c in _checks(run, SERVICE_ROLE, "kms:Decrypt")} == {
        ("implicitly_denied", False)
    }


def test_the_action_role_without_its_kms_statement_cannot_read_artifacts(
    client: TestClient,
) -> None:
    """S3 decrypts an SSE-KMS artifact as the caller: the role needs the key too [§10 case 41]."""
    pipelines, current = _setup(client)
    for role in current["authorization"]["action_roles"]:
        if role["role_arn"] == ROLE_B:
            statements = role["documents"][0]["Statement"]
            role["documents"][0]["Statement"] = [
                s
                for s in statements
                if not any(str(a).startswith("kms:") for a in _list(s["Action"]))
            ]
    run = _run(client, pipelines, current)
    assert run["verdict"] == "fails"
    (read, *_) = _checks(run, ROLE_B, "s3:GetObject")
    assert (read["decision"], read["definite"]) == ("implicitly_denied", True)
    assert "KMS" in read["reason"]


def test_a_service_role_that_does_not_trust_codepipeline_fails(client: TestClient) -> None:
    pipelines, current = _setup(client)
    for companion in current["companions"]:
        if companion["target"] == SERVICE_ROLE:
            companion["document"]["Statement"][0]["Principal"] = {
                "Service": "codebuild.amazonaws.com"
            }
    run = _run(client, pipelines, current)
    assert run["verdict"] == "fails"
    (check,) = _checks(run, "codepipeline.amazonaws.com", "sts:AssumeRole")
    assert (check["decision"], check["definite"], check["layer"]) == (
        "implicitly_denied",
        True,
        "resource",
    )


def test_roles_whose_policies_are_not_given_are_undecided(client: TestClient) -> None:
    pipelines, current = _setup(client)
    current["authorization"]["action_roles"] = []
    run = _run(client, pipelines, current)
    assert run["verdict"] == "undecided"
    action_role_checks = [c for c in run["checks"] if c["role"] in (ROLE_B, ROLE_C)]
    assert action_role_checks
    for check in action_role_checks:
        assert check["decision"] is None
        assert check["note"] == "the role's own policies were not given"


def test_a_permissions_boundary_limits_the_service_role(client: TestClient) -> None:
    pipelines, current = _setup(client)
    current["authorization"]["permissions_boundary"] = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["s3:*", "kms:*", "sts:*"], "Resource": "*"}],
    }
    run = _run(client, pipelines, current)
    assert run["verdict"] == "fails"
    for check in _checks(run, SERVICE_ROLE, "codecommit:GetBranch"):
        assert (check["decision"], check["layer"]) == ("implicitly_denied", "boundary")


def test_an_empty_list_of_session_policies_is_none_passed(client: TestClient) -> None:
    """AWS takes no session policy from an empty list: the run is not refused by a layer that
    would allow nothing."""
    pipelines, current = _setup(client)
    current["authorization"]["session_policies"] = []
    run = _run(client, pipelines, current)
    assert run["verdict"] == "runs"
    assert all(o["layer"] != "session" for c in run["checks"] for o in c["layers"])


def test_the_service_role_must_be_known(client: TestClient) -> None:
    pipelines = [cross_account_pipeline(roleArn="arn:aws:iam::111111111111:role/${Role}")]
    body = {
        "current": {"documents": [{"Version": "2012-10-17", "Statement": []}], "authorization": {}},
        "required": {"pipelines": pipelines},
    }
    response = client.post("/v1/policies/diff", json=body)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert [e["pointer"] for e in problem["errors"]] == ["/current/authorization/principal"]


def test_the_principal_s_arn_is_of_its_kind(client: TestClient) -> None:
    """A session ARN naming no role was a 500 where its role was read from it."""
    pipelines, current = _setup(client)
    current["authorization"]["principal"] = {"arn": "x", "type": "assumed_role"}
    body = {"current": current, "required": {"pipelines": pipelines}}
    response = client.post("/v1/policies/diff", json=body)
    assert response.status_code == 422, response.text
    pointers = [e["pointer"] for e in response.json()["errors"]]
    assert pointers == ["/current/authorization/principal/arn"]


ANYTHING = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}
LISTED = json.dumps([ANYTHING])


def _not_one_document(current: dict[str, Any], place: str) -> str:
    """`current` with the document at `place` made JSON text of a list (or text that is not
    JSON); where it is."""
    authorization = current["authorization"]
    base = "/current/authorization"
    if place == "companion":
        current["companions"][0]["document"] = "{not json"
        return "/current/companions/0/document"
    if place == "resource_policy":
        arn = f"arn:aws:s3:::{BUCKET_AWAY}"
        authorization["resource_policies"][arn] = LISTED
        return f"{base}/resource_policies/{arn}"
    if place == "boundary":
        authorization["permissions_boundary"] = LISTED
        return f"{base}/permissions_boundary"
    if place == "session_policy":
        authorization["session_policies"] = [LISTED]
        return f"{base}/session_policies/0"
    authorization["action_roles"][0]["permissions_boundary"] = LISTED
    return f"{base}/action_roles/0/permissions_boundary"


@pytest.mark.parametrize(
    "place", ["companion", "resource_policy", "boundary", "session_policy", "action_role_boundary"]
)
def test_a_place_of_one_document_refuses_anything_else(client: TestClient, place: str) -> None:
    """Every place that holds one policy document takes an object or JSON text of one; JSON
    text of a list, or text that is not JSON, is a 422 at its place."""
    pipelines, current = _setup(client)
    pointer = _not_one_document(current, place)
    body = {"current": current, "required": {"pipelines": pipelines}}
    response = client.post("/v1/policies/diff", json=body)
    assert response.status_code == 422, response.text
    assert [e["pointer"] for e in response.json()["errors"]] == [pointer]


def test_authorization_needs_pipelines(client: TestClient) -> None:
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
    }
    body = {"current": {"documents": [policy], "authorization": {}}, "required": {"policy": policy}}
    response = client.post("/v1/policies/diff", json=body)
    assert response.status_code == 422, response.text
    assert [e["pointer"] for e in response.json()["errors"]] == ["/current/authorization"]


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


KEY_TEMPLATE = (
    """
Resources:
  Pipeline:
    Type: AWS::CodePipeline::Pipeline
    Properties:
      RoleArn: !GetAtt PipelineRole.Arn
      ArtifactStore:
        Type: S3
        Location: artifacts-111122223333
        EncryptionKey: {Type: KMS, Id: !GetAtt Key.Arn}
      Stages:
"""
    + CLOUDFORMATION_SOURCE_AND_BUILD
    + """  PipelineRole:
    Type: AWS::IAM::Role
    Properties:
      RoleName: pipeline-role
      AssumeRolePolicyDocument:
        Version: 2012-10-17
        Statement:
          - Effect: Allow
            Principal: {Service: codepipeline.amazonaws.com}
            Action: sts:AssumeRole
      Policies:
        - PolicyName: pipeline
          PolicyDocument:
            Version: 2012-10-17
            Statement:
              - {Effect: Allow, Action: ["codecommit:*", "codebuild:*", "s3:*"], Resource: "*"}
  Key:
    Type: AWS::KMS::Key
    Properties:
      KeyPolicy:
        Version: 2012-10-17
        Statement:
          - Sid: PipelineUsesKey
            Effect: Allow
            Principal: {AWS: !GetAtt PipelineRole.Arn}
            Action: ["kms:Decrypt", "kms:GenerateDataKey", "kms:Encrypt", "kms:DescribeKey"]
            Resource: "*"
"""
)


KEY_TERRAFORM = (
    """
data "aws_iam_policy_document" "pipeline" {
  statement {
    actions   = ["codecommit:*", "codebuild:*", "s3:*"]
    resources = ["*"]
  }
}

resource "aws_iam_role" "pipeline" {
  name = "pipeline-role"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect = "Allow", Principal = { Service = "codepipeline.amazonaws.com" },
      Action = "sts:AssumeRole"
    }]
  })
  inline_policy {
    name   = "pipeline"
    policy = data.aws_iam_policy_document.pipeline.json
  }
}

data "aws_iam_policy_document" "key" {
  statement {
    sid       = "PipelineUsesKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey", "kms:Encrypt", "kms:DescribeKey"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = [aws_iam_role.pipeline.arn]
    }
  }
}

resource "aws_kms_key" "artifacts" {
  policy = data.aws_iam_policy_document.key.json
}

resource "aws_codepipeline" "main" {
  name     = "main"
  role_arn = aws_iam_role.pipeline.arn
  artifact_store {
    location = "artifacts-111122223333"
    type     = "S3"
    encryption_key {
      id   = aws_kms_key.artifacts.arn
      type = "KMS"
    }
  }
"""
    + TERRAFORM_SOURCE_AND_BUILD
    + """}
"""
)


BODY = "/required/sources/0/body"


@pytest.mark.parametrize(
    ("source", "language", "key_policy", "own_grant", "without_key_policy"),
    [
        pytest.param(
            KEY_TEMPLATE,
            "cloudformation",
            f"{BODY}/Resources/Key/Properties/KeyPolicy/Statement/0",
            f"{BODY}/Resources/PipelineRole/Properties/Policies/0/PolicyDocument/Statement/0",
            KEY_TEMPLATE[: KEY_TEMPLATE.index("      KeyPolicy:")] + "      Description: k\n",
            id="cloudformation",
        ),
        pytest.param(
            KEY_TERRAFORM,
            "terraform",
            f"{BODY}/data/aws_iam_policy_document/key/Statement/0",
            f"{BODY}/data/aws_iam_policy_document/pipeline/Statement/0",
            KEY_TERRAFORM.replace("  policy = data.aws_iam_policy_document.key.json\n", ""),
            id="terraform",
        ),
    ],
)
def test_a_key_policy_the_source_defines_grants_the_role(
    client: TestClient,
    source: str,
    language: str,
    key_policy: str,
    own_grant: str,
    without_key_policy: str,
) -> None:
    """The role's own policy grants no KMS action; the source's key policy names the role: from
    the source, the key policy decides, at its place in the source."""
    body: dict[str, Any] = {
        "current": {"from_sources": True, "authorization": {}},
        "required": {
            "sources": [{"body": source, "format": language}],
            "context": {"account": "111122223333", "region": "eu-west-1"},
        },
    }
    run = _will_run(client, body)["will_run"]
    role = "arn:aws:iam::111122223333:role/pipeline-role"
    decrypt = _checks(run, role, "kms:Decrypt")
    assert {(c["decision"], c["layer"]) for c in decrypt} == {("allowed", "resource")}
    assert {c["statement"]["path"] for c in decrypt} == {key_policy}
    # The role's own grants are at their places in the source too.
    (start,) = _checks(run, role, "codebuild:StartBuild")
    assert start["statement"]["path"] == own_grant
    assert run["verdict"] == "runs", [
        (c["action"], c["decision"], c["note"]) for c in run["checks"] if not c["definite"]
    ]

    # Without the key policy the source defines, the role's own policy does not allow it.
    body["required"]["sources"] = [{"body": without_key_policy, "format": language}]
    run = _will_run(client, body)["will_run"]
    assert {(c["decision"], c["definite"]) for c in _checks(run, role, "kms:Decrypt")} == {
        ("implicitly_denied", False)
    }


def test_the_context_documents_are_read_and_validated_in_place(client: TestClient) -> None:
    """An SCP whose Effect IAM would refuse, a boundary naming a Principal and an action role
    policy with an unknown action: each a finding at its place, as evaluate and validate say."""
    pipelines, current = _setup(client)
    allowed = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allowed", "Action": "*", "Resource": "*"}]}  # fmt: skip
    boundary = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}  # fmt: skip
    authorization = current["authorization"]
    authorization["accounts"] = {A: {"scp_levels": [[allowed]]}}
    authorization["permissions_boundary"] = boundary
    authorization["action_roles"][0]["documents"][0]["Statement"][0]["Action"] = "s3:GetObjekt"
    body = {"current": current, "required": {"pipelines": pipelines}}
    findings = {(f["code"], f["path"]) for f in _will_run(client, body)["findings"]}
    base = "/current/authorization"
    assert ("INVALID_EFFECT", f"{base}/accounts/{A}/scp_levels/0/0/Statement/0/Effect") in findings
    assert any(
        code == "PRINCIPAL_PRESENT" and path.startswith(f"{base}/permissions_boundary/")
        for code, path in findings
    ), findings
    assert any(
        path.startswith(f"{base}/action_roles/0/documents/0/Statement/0/Action")
        for _, path in findings
    ), findings

    evaluated = client.post(
        "/v1/policies/evaluate",
        json={
            "principal": {"arn": SERVICE_ROLE, "type": "role"},
            "policy": {"documents": current["documents"]},
            "accounts": {A: {"scp_levels": [[allowed]]}},
            "requests": [{"action": "codecommit:GetBranch", "resource": "*"}],
        },
    ).json()
    assert ("INVALID_EFFECT", f"/accounts/{A}/scp_levels/0/0/Statement/0/Effect") in {
        (f["code"], f["path"]) for f in evaluated["findings"]
    }


def test_what_the_pipelines_do_not_use_is_a_warning_at_its_place(client: TestClient) -> None:
    pipelines, current = _setup(client)
    first = current["companions"][0]
    current["companions"] += [
        {**first, "target": "arn:aws:iam::111111111111:role/Mistyped"},
        first,
    ]
    roles = current["authorization"]["action_roles"]
    roles += [{**roles[0], "role_arn": "arn:aws:iam::444444444444:role/Nobody"}, roles[0]]
    current["authorization"]["principal"] = {
        "arn": "arn:aws:iam::111111111111:role/OtherRole",
        "type": "role",
    }
    body = {"current": current, "required": {"pipelines": pipelines}}
    found = {(f["code"], f["path"]) for f in _will_run(client, body)["findings"]}
    n, r = len(current["companions"]), len(roles)
    assert ("COMPANION_NOT_NAMED", f"/current/companions/{n - 2}/document") in found
    assert ("COMPANION_GIVEN_TWICE", f"/current/companions/{n - 1}/document") in found
    base = "/current/authorization"
    assert ("ACTION_ROLE_NOT_DECLARED", f"{base}/action_roles/{r - 2}/role_arn") in found
    assert ("ACTION_ROLE_GIVEN_TWICE", f"{base}/action_roles/{r - 1}/role_arn") in found
    assert ("PRINCIPAL_NOT_SERVICE_ROLE", f"{base}/principal") in found

    # A session of the service role is the service role, its path or not.
    pipelines, current = _setup(client)
    current["authorization"]["principal"] = {
        "arn": "arn:aws:sts::111111111111:assumed-role/PipelineRole/run",
        "type": "assumed_role",
    }
    body = {"current": current, "required": {"pipelines": pipelines}}
    answer = _will_run(client, body)
    assert not [f for f in answer["findings"] if f["code"] == "PRINCIPAL_NOT_SERVICE_ROLE"]
    assert answer["will_run"]["verdict"] == "runs"


def test_a_bucket_policy_refusing_the_store_s_key_fails_the_run_and_its_comparison(
    client: TestClient,
) -> None:
    """A Deny of uploads not encrypted with another key than the store's refuses the action
    role's uploads: the run fails on them, and the bucket policy's comparison says so too,
    where the policy compute gives is sufficient."""
    pipelines, current = _setup(client)
    (bucket,) = [
        c for c in current["companions"]
        if c["kind"] == "bucket-policy" and c["target"] == BUCKET_AWAY
    ]  # fmt: skip
    body = {"current": current, "required": {"pipelines": pipelines}}

    def verdicts() -> tuple[str, str, list[dict[str, Any]]]:
        answer = _will_run(client, body)
        (compared,) = [c for c in answer["companions"] if c["target"] == BUCKET_AWAY]
        return answer["will_run"]["verdict"], compared["verdict"], compared["missing"]

    assert verdicts() == ("runs", "sufficient", [])
    other_key = KEY_AWAY.replace("2222bbbb", "9999ffff")
    bucket["document"]["Statement"].append({
        "Sid": "OnlyTheOtherKey", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
        "Resource": f"arn:aws:s3:::{BUCKET_AWAY}/*",
        "Condition": {"StringNotEquals": {
            "s3:x-amz-server-side-encryption-aws-kms-key-id": other_key}}})  # fmt: skip
    run, compared, missing = verdicts()
    assert (run, compared) == ("fails", "insufficient")
    assert [(m["sid"], m["principal"], m["status"]) for m in missing] == [
        ("WriteArtifacts", ROLE_C, "explicitly_denied")
    ]


def _template_run(client: TestClient, template: dict[str, Any]) -> Any:
    body = {
        "current": {"from_sources": True, "authorization": {}},
        "required": {
            "sources": [{"body": json.dumps(template), "format": "cloudformation"}],
            "context": {"account": "111122223333", "region": "eu-west-1"},
        },
    }
    return _will_run(client, body)["will_run"]


def _template(bucket: Any, key_principal: Any) -> dict[str, Any]:
    role = {"Fn::GetAtt": ["PipelineRole", "Arn"]}
    everything = [{"Effect": "Allow", "Action": ["codecommit:*", "codebuild:*", "s3:*"],
                   "Resource": "*"}]  # fmt: skip
    source = {"Name": "Source", "ActionTypeId": {"Category": "Source", "Owner": "AWS",
              "Provider": "CodeCommit", "Version": "1"},
              "Configuration": {"RepositoryName": "repo", "BranchName": "main"},
              "OutputArtifacts": [{"Name": "src"}]}  # fmt: skip
    return {
        "Parameters": {"Env": {"Type": "String"}},
        "Resources": {
            "Pipeline": {"Type": "AWS::CodePipeline::Pipeline", "Properties": {
                "RoleArn": role,
                "ArtifactStore": {"Type": "S3", "Location": bucket, "EncryptionKey": {
                    "Type": "KMS", "Id": {"Fn::GetAtt": ["Key", "Arn"]}}},
                "Stages": [{"Name": "Source", "Actions": [source]}]}},
            "PipelineRole": {"Type": "AWS::IAM::Role", "Properties": {
                "RoleName": "pipeline-role",
                "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
                    "Effect": "Allow", "Principal": {"Service": "codepipeline.amazonaws.com"},
                    "Action": "sts:AssumeRole"}]},
                "Policies": [{"PolicyName": "p", "PolicyDocument": {
                    "Version": "2012-10-17", "Statement": everything}}]}},
            "Key": {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": {
                "Version": "2012-10-17", "Statement": [{
                    "Sid": "PipelineUsesKey", "Effect": "Allow",
                    "Principal": {"AWS": key_principal},
                    "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": "*"}]}}},
            "Bucket": {"Type": "AWS::S3::Bucket"},
            "BucketPolicy": {"Type": "AWS::S3::BucketPolicy", "Properties": {
                "Bucket": {"Ref": "Bucket"},
                "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
                    "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                    "Resource": [{"Fn::Sub": "arn:aws:s3:::${Bucket}"},
                                 {"Fn::Sub": "arn:aws:s3:::${Bucket}/*"}]}]}}},
        },
    }  # fmt: skip


def test_a_template_policy_the_run_cannot_place_leaves_it_undecided(client: TestClient) -> None:
    """The artifact bucket's name is generated (`!Ref Bucket`): its Deny-all bucket policy
    cannot be placed on the requests, which are then not decided for sure; the same bucket
    named in full fails for sure."""
    role = "arn:aws:iam::111122223333:role/pipeline-role"
    principal = {"Fn::GetAtt": ["PipelineRole", "Arn"]}
    run = _template_run(client, _template({"Ref": "Bucket"}, principal))
    assert run["verdict"] == "undecided"
    reads = _checks(run, role, "s3:GetObject")
    assert reads
    assert all(not c["definite"] and "may be the resource" in c["note"] for c in reads), reads
    named = _template({"Ref": "Bucket"}, principal)
    named["Resources"]["Bucket"]["Properties"] = {"BucketName": "artifacts-111122223333"}
    run = _template_run(client, named)
    assert run["verdict"] == "fails"
    assert {(c["decision"], c["layer"]) for c in _checks(run, role, "s3:GetObject")} == {
        ("explicitly_denied", "resource")
    }


def test_a_principal_the_template_does_not_determine_decides_nothing_for_sure(
    client: TestClient,
) -> None:
    """The key policy's principal is a parameter with no value: read as `*` it would let
    everyone in; the KMS checks it decides are not definite, and say why."""
    role = "arn:aws:iam::111122223333:role/pipeline-role"
    template = _template("artifacts-111122223333", {"Ref": "Env"})
    del template["Resources"]["BucketPolicy"], template["Resources"]["Bucket"]
    run = _template_run(client, template)
    decrypt = _checks(run, role, "kms:Decrypt")
    assert all(not c["definite"] for c in decrypt)
    assert all("does not determine" in (c["note"] or "") for c in decrypt), decrypt
    assert run["verdict"] == "undecided"


def test_a_statement_under_an_undecided_condition_decides_nothing_for_sure(
    client: TestClient,
) -> None:
    """A key-policy Deny kept only when `IsProd`, which the template cannot decide (no value for
    Env): neither branch is certain, so the KMS checks are not definite; with Env given they
    are."""
    role = "arn:aws:iam::111122223333:role/pipeline-role"
    template = _template("artifacts-111122223333", {"Fn::GetAtt": ["PipelineRole", "Arn"]})
    del template["Resources"]["BucketPolicy"], template["Resources"]["Bucket"]
    template["Conditions"] = {"IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]}}
    statements = template["Resources"]["Key"]["Properties"]["KeyPolicy"]["Statement"]
    statements.append({"Fn::If": ["IsProd", {"Sid": "DenyAll", "Effect": "Deny",
                       "Principal": "*", "Action": "kms:*", "Resource": "*"},
                       {"Ref": "AWS::NoValue"}]})  # fmt: skip
    run = _template_run(client, template)
    decrypt = _checks(run, role, "kms:Decrypt")
    assert all(not c["definite"] for c in decrypt), decrypt
    assert run["verdict"] == "undecided"
    template["Parameters"]["Env"]["Default"] = "dev"
    run = _template_run(client, template)
    assert {(c["decision"], c["definite"]) for c in _checks(run, role, "kms:Decrypt")} == {
        ("allowed", True)
    }
