"""POST /v1/policies/validate: the done criteria of the IAM engine, over HTTP."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient

from ..documents import console_key_policy, trust_policy

STATE_MACHINE = "arn:aws:states:eu-west-1:111122223333:stateMachine:notify"


def _validate(client: TestClient, policy: dict[str, Any], **extra: Any) -> dict[str, Any]:
    response = client.post(
        "/v1/policies/validate", json={"policy": {"documents": [policy]}, **extra}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _codes(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["code"]: f for f in body["findings"]}


def test_mistyped_action_has_a_suggestion(client: TestClient) -> None:
    body = _validate(
        client,
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:GetObjekt", "Resource": "*"}],
        },
    )
    finding = _codes(body)["UNKNOWN_ACTION"]
    assert finding["finding_type"] == "ERROR"
    assert finding["path"] == "/policy/documents/0/Statement/0/Action"
    assert "s3:GetObject" in finding["message"]
    assert body["valid"] is False


def test_policy_over_the_managed_quota(client: TestClient) -> None:
    resources = [f"arn:aws:s3:::bucket-{i:04d}/*" for i in range(300)]
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": resources}],
    }
    body = _validate(client, policy)
    assert body["size"]["total"] > 6144
    assert body["size"]["fits"] is False
    assert _codes(body)["POLICY_SIZE_EXCEEDED"]["finding_type"] == "ERROR"
    inline = _validate(client, policy, policy_type="inline")
    assert inline["size"]["quota"] == 10240


def test_pass_role_on_star_without_condition(client: TestClient) -> None:
    body = _validate(
        client,
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}],
        },
    )
    assert _codes(body)["PASSROLE_WITHOUT_PASSED_TO_SERVICE"]["finding_type"] == "SECURITY_WARNING"


def _beanstalk_pipeline() -> dict[str, Any]:
    def action(
        name: str,
        category: str,
        provider: str,
        config: dict[str, str],
        inputs: list[str],
        outputs: list[str],
    ) -> dict[str, Any]:
        return {
            "name": name,
            "actionTypeId": {
                "category": category,
                "owner": "AWS",
                "provider": provider,
                "version": "1",
            },
            "configuration": config,
            "inputArtifacts": [{"name": n} for n in inputs],
            "outputArtifacts": [{"name": n} for n in outputs],
        }

    return {
        "pipeline": {
            "name": "eb",
            "roleArn": "arn:aws:iam::111122223333:role/eb-pipeline",
            "artifactStore": {"type": "S3", "location": "eb-artifacts"},
            "stages": [
                {
                    "name": "Source",
                    "actions": [
                        action(
                            "Src",
                            "Source",
                            "S3",
                            {"S3Bucket": "src", "S3ObjectKey": "app.zip"},
                            [],
                            ["App"],
                        )
                    ],
                },
                {
                    "name": "Deploy",
                    "actions": [
                        action(
                            "Deploy",
                            "Deploy",
                            "ElasticBeanstalk",
                            {"ApplicationName": "web", "EnvironmentName": "web-prod"},
                            ["App"],
                            [],
                        )
                    ],
                },
            ],
        },
        "metadata": {"pipelineArn": "arn:aws:codepipeline:eu-west-1:111122223333:eb"},
    }


def test_beanstalk_pipeline_without_describe_events(client: TestClient) -> None:
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": [
                    "elasticbeanstalk:CreateApplicationVersion",
                    "elasticbeanstalk:UpdateEnvironment",
                ],
                "Resource": "*",
            }
        ],
    }
    body = _validate(client, policy, pipelines=[_beanstalk_pipeline()])
    finding = _codes(body)["EB_DESCRIBE_EVENTS_MISSING"]
    assert finding["finding_type"] == "ERROR"
    assert "hang" in finding["message"]
    fixed = {
        "Version": "2012-10-17",
        "Statement": [
            *policy["Statement"],
            {"Effect": "Allow", "Action": "elasticbeanstalk:DescribeEvents", "Resource": "*"},
        ],
    }
    assert "EB_DESCRIBE_EVENTS_MISSING" not in _codes(
        _validate(client, fixed, pipelines=[_beanstalk_pipeline()])
    )


def test_the_context_region_scopes_what_the_pipelines_need(client: TestClient) -> None:
    pipeline = _beanstalk_pipeline()
    del pipeline["metadata"]  # the pipeline itself no longer says its Region
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "elasticbeanstalk:DescribeEvents",
                "Resource": "arn:aws:elasticbeanstalk:eu-west-2:111122223333:*",
            }
        ],
    }
    scoped = _validate(client, policy, pipelines=[pipeline], context={"region": "eu-west-2"})
    assert "EB_DESCRIBE_EVENTS_MISSING" not in _codes(scoped)
    elsewhere = _validate(client, policy, pipelines=[pipeline], context={"region": "us-east-1"})
    resources = _codes(elsewhere)["EB_DESCRIBE_EVENTS_MISSING"]["detail"]["resources"]
    assert resources
    assert all(":elasticbeanstalk:us-east-1:111122223333:" in r for r in resources)


def test_legacy_baseline_is_recognised(client: TestClient) -> None:
    response = client.post("/v1/policies/validate", json={"policy": {"baseline": "legacy-2019"}})
    body = response.json()
    assert body["recognised_baseline"] == "legacy-2019"
    codes = _codes(body)
    assert "SERVICE_WIDE_WILDCARD" in codes
    assert "BASELINE_RECOGNISED" in codes


def test_role_created_before_a_provider(client: TestClient) -> None:
    legacy = client.get("/v1/baselines/legacy-2019").json()["policy"]
    pipeline = _beanstalk_pipeline()
    pipeline["pipeline"]["stages"].append(
        {
            "name": "Notify",
            "actions": [
                {
                    "name": "Flow",
                    "actionTypeId": {
                        "category": "Invoke",
                        "owner": "AWS",
                        "provider": "StepFunctions",
                        "version": "1",
                    },
                    "configuration": {"StateMachineArn": STATE_MACHINE},
                }
            ],
        }
    )
    body = _validate(client, legacy, pipelines=[pipeline], role={"created": "2017-03-01"})
    predates = [f for f in body["findings"] if f["code"] == "ROLE_PREDATES_PROVIDER"]
    assert any("Step Functions" in f["message"] and "Notify/Flow" in f["message"] for f in predates)


def test_unreadable_policy_is_a_finding(client: TestClient) -> None:
    response = client.post("/v1/policies/validate", json={"policy": {"documents": ["{not json"]}})
    assert response.status_code == 200
    body = response.json()
    assert body["valid"] is False
    assert body["findings"][0]["code"] == "INVALID_JSON"


def test_a_trust_policy_is_validated_as_one(client: TestClient) -> None:
    trust = trust_policy({"Service": "codepipeline.amazonaws.com"}, Resource="*")
    body = _validate(client, trust, policy_type="trust")
    codes = _codes(body)
    assert codes["RESOURCE_IN_TRUST_POLICY"]["path"] == "/policy/documents/0/Statement/0/Resource"
    assert "PRINCIPAL_PRESENT" not in codes
    assert body["size"]["policy_type"] == "trust"
    del trust["Statement"][0]["Resource"]
    assert _validate(client, trust, policy_type="trust")["valid"]
    assert "PRINCIPAL_PRESENT" in _codes(_validate(client, trust))


def test_pipelines_check_only_a_service_role_policy(client: TestClient) -> None:
    bucket = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*",
              "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]}  # fmt: skip
    response = client.post(
        "/v1/policies/validate",
        json={"policy": {"documents": [bucket]}, "policy_type": "bucket", "pipelines": [{}]},
    )
    assert response.status_code == 422, response.text


def _validate_documents(client: TestClient, documents: list[Any], **extra: Any) -> dict[str, Any]:
    response = client.post(
        "/v1/policies/validate", json={"policy": {"documents": documents}, **extra}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _checked(body: dict[str, Any]) -> tuple[Any, ...]:
    return body["valid"], body["size"], sorted((f["code"], f["path"]) for f in body["findings"])


def test_every_document_given_as_json_text_is_read(client: TestClient) -> None:
    def allow(action: str) -> dict[str, Any]:
        statement = {"Effect": "Allow", "Action": action, "Resource": "*"}
        return {"Version": "2012-10-17", "Statement": [statement]}

    wide, mistyped = allow("iam:PassRole"), allow("s3:GetObjekt")
    as_objects = _validate_documents(client, [wide, mistyped])
    paths = {f["code"]: f["path"] for f in as_objects["findings"]}
    assert paths["PASSROLE_WITHOUT_PASSED_TO_SERVICE"].startswith("/policy/documents/0/")
    assert paths["UNKNOWN_ACTION"] == "/policy/documents/1/Statement/0/Action"
    for documents in (
        [json.dumps(wide), json.dumps(mistyped)],
        [wide, json.dumps(mistyped)],
        [json.dumps(wide), mistyped],
    ):
        body = _validate_documents(client, documents)
        assert "NOT_A_POLICY" not in _codes(body)
        assert _checked(body) == _checked(as_objects)


def test_findings_of_a_json_text_are_located_in_it_among_others(client: TestClient) -> None:
    repeated = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Effect": "Allow", ' \
        '"Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]}'  # fmt: skip
    alone = _validate_documents(client, [repeated])
    (duplicate,) = [f for f in alone["findings"] if "more than once" in f["message"]]
    assert duplicate["path"] == "/policy/documents/0/Statement/0/Effect"
    wide = {"Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}  # fmt: skip
    body = _validate_documents(client, [json.dumps(wide), repeated])
    located = [f for f in body["findings"] if f["code"] == duplicate["code"]]
    assert [f["path"] for f in located] == ["/policy/documents/1/Statement/0/Effect"]
    assert body["valid"] is False
    broken = _validate_documents(client, [json.dumps(wide), "{not json"])
    assert [(f["code"], f["path"]) for f in broken["findings"]] == [
        ("INVALID_JSON", "/policy/documents/1")
    ]


def test_resource_policies_given_as_json_text_are_read(client: TestClient) -> None:
    trust = trust_policy({"Service": "codepipeline.amazonaws.com"})
    misplaced = trust_policy({"Service": "codebuild.amazonaws.com"}, Resource="*")
    body = _validate_documents(
        client, [json.dumps(trust), json.dumps(misplaced)], policy_type="trust"
    )
    assert _codes(body)["RESOURCE_IN_TRUST_POLICY"]["path"] == (
        "/policy/documents/1/Statement/0/Resource"
    )
    assert "NOT_A_POLICY" not in _codes(body)
    for kind, resource in (("bucket", "arn:aws:s3:::b/*"), ("key", "*")):
        policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                  "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                  "Action": "s3:GetObject" if kind == "bucket" else "kms:Decrypt",
                  "Resource": resource}]}  # fmt: skip
        as_objects = _validate_documents(client, [policy, policy], policy_type=kind)
        as_text = _validate_documents(
            client, [json.dumps(policy), json.dumps(policy)], policy_type=kind
        )
        assert _checked(as_text) == _checked(as_objects)
        assert as_text["size"]["policy_type"] == kind


def test_a_sid_with_spaces_is_an_error_only_where_iam_stores_the_policy(client: TestClient) -> None:
    """KMS's own key policy is a valid key policy; the same Sid in a role's policy is not."""
    key_policy = console_key_policy("111111111111", ["arn:aws:iam::111111111111:role/x"])
    body = _validate(client, key_policy, policy_type="key")
    assert body["valid"], body["findings"]
    assert "INVALID_SID" not in _codes(body)
    bucket_policy = {"Version": "2012-10-17", "Statement": [{
        "Sid": "Allow get requests originating from www.example.com and example.com.",
        "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::examplebucket/*",
        "Condition": {"StringLike": {"aws:Referer": ["http://www.example.com/*"]}}}]}  # fmt: skip
    assert "INVALID_SID" not in _codes(_validate(client, bucket_policy, policy_type="bucket"))
    key_use = {k: v for k, v in key_policy["Statement"][1].items() if k != "Principal"}
    identity = {"Version": "2012-10-17", "Statement": [key_use]}
    assert _codes(_validate(client, identity))["INVALID_SID"]["path"] == (
        "/policy/documents/0/Statement/0/Sid"
    )


def test_a_key_user_statement_is_not_redundant_with_the_root_statement(client: TestClient) -> None:
    """The root statement enables IAM policies; it does not grant the key users the key."""
    users = ["arn:aws:iam::111111111111:role/x", "arn:aws:iam::222222222222:root"]
    key_policy = console_key_policy("111111111111", users)
    assert "REDUNDANT_STATEMENT" not in _codes(_validate(client, key_policy, policy_type="key"))
    key_policy["Statement"][0]["Principal"] = {"AWS": users}
    redundant = _codes(_validate(client, key_policy, policy_type="key"))["REDUNDANT_STATEMENT"]
    assert redundant["path"] == "/policy/documents/0/Statement/1"
