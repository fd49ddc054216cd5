"""POST /v1/policies/diff through the real app."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from .. import template_sources as template
from ..documents import console_key_policy, trust_policy
from ..unit.engine.companions.scenario import (
    KEY_HOME,
    ROLE_B,
    SERVICE_ROLE,
    A,
    cross_account_pipeline,
)
from ..unit.engine.test_compute_unknowns import pipeline_document

REPO = "arn:aws:codecommit:eu-west-2:111122223333:MyDemoRepo"
KEY = "arn:aws:kms:eu-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def _diff(client: TestClient, current: dict[str, Any], required: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/v1/policies/diff", json={"current": current, "required": required})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_legacy_policy_against_reference_pipeline(
    client: TestClient, reference: dict[str, Any], legacy: dict[str, Any]
) -> None:
    body = _diff(client, {"documents": [legacy]}, {"pipelines": [reference]})
    assert body["verdict"] == "insufficient"
    assert body["least_privilege"] is False
    missing = {(a, r): m for m in body["missing"] for a in m["actions"] for r in m["resources"]}
    repo = missing[("codecommit:GetRepository", REPO)]
    assert repo["status"] == "not_granted"
    assert {(r["stage"], r["action"]) for r in repo["required_by"]} == {("Source", "Source")}
    assert repo["impact"]["behaviour"] == "FAST"
    # The artifact key is the key policy's to grant (the documented route): not missing from
    # the role, but unverifiable without the key policy.
    unverifiable = {
        (a, r): u for u in body["unverifiable"] for a in u["actions"] for r in u["resources"]
    }
    assert ("kms:Decrypt", KEY) not in missing
    assert "key policy" in unverifiable[("kms:Decrypt", KEY)]["reason"]
    assert ("kms:GenerateDataKey", KEY) in unverifiable
    assert body["summary"]["unverifiable"] == len(
        [1 for u in body["unverifiable"] for _ in u["actions"] for _ in u["resources"]]
    )
    excess = body["excess"]
    assert excess["total_actions"] > 1000
    ec2 = next(s for s in excess["by_service"] if s["service"] == "ec2")
    assert ec2["total"] == sum(ec2["by_access_level"].values())
    assert {"Read", "Write", "List"} <= set(ec2["by_access_level"])
    assert {"ec2:*", "s3:*"} <= {w["pattern"] for w in excess["wildcards"]}
    assert "iam:PassRole" in excess["privilege_escalation"]
    broader = {b["action"]: b for b in excess["broader_resources"]}
    assert broader["codebuild:StartBuild"]["granted"] == ["*"]
    assert body["patched_verdict"] == "sufficient"
    again = _diff(client, {"documents": [body["patched_policy"]]}, {"pipelines": [reference]})
    assert again["verdict"] == "sufficient"
    assert again["least_privilege"] is True
    assert again["excess"]["total_actions"] == 0


def test_named_baseline_is_the_same_as_its_document(
    client: TestClient, reference: dict[str, Any], legacy: dict[str, Any]
) -> None:
    by_name = _diff(client, {"baseline": "legacy-2019"}, {"pipelines": [reference]})
    by_document = _diff(client, {"documents": [legacy]}, {"pipelines": [reference]})
    assert by_name["summary"] == by_document["summary"]


def test_computed_policy_diffs_against_itself_as_sufficient(
    client: TestClient, reference: dict[str, Any]
) -> None:
    computed = client.post("/v1/policies/compute", json={"pipelines": [reference]}).json()
    body = _diff(client, {"documents": [computed["policy"]]}, {"pipelines": [reference]})
    assert body["verdict"] == "sufficient"
    assert body["least_privilege"] is True
    assert body["missing"] == []


def test_explicit_deny_is_reported_with_its_statement(
    client: TestClient, reference: dict[str, Any]
) -> None:
    computed = client.post("/v1/policies/compute", json={"pipelines": [reference]}).json()
    deny = {"Sid": "NoSns", "Effect": "Deny", "Action": "sns:*", "Resource": "*"}
    current = {"Version": "2012-10-17", "Statement": [*computed["policy"]["Statement"], deny]}
    body = _diff(client, {"documents": [current]}, {"pipelines": [reference]})
    denied = [m for m in body["missing"] if m["status"] == "explicitly_denied"]
    assert [m["actions"] for m in denied] == [["sns:Publish"]]
    assert denied[0]["denied_by"][0]["sid"] == "NoSns"


def test_condition_on_an_unknown_key_is_conditional(client: TestClient) -> None:
    required = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}
        ],
    }
    current = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::b/*",
                "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
            }
        ],
    }
    body = _diff(client, {"documents": [current]}, {"policy": required})
    assert body["verdict"] == "conditional"
    assert body["conditional"][0]["deciding_conditions"] == [
        {"operator": "IpAddress", "key": "aws:SourceIp"}
    ]


def test_union_of_statements_covers_a_pattern(client: TestClient) -> None:
    required = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}
        ],
    }
    current = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/"},
            {"Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::b/?*"},
        ],
    }
    body = _diff(client, {"documents": [current]}, {"policy": required})
    assert body["verdict"] == "sufficient"


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        (
            {"current": {"baseline": "nope"}, "required": {"policy": {"Statement": []}}},
            "/current/baseline",
        ),
        (
            {"current": {"documents": ["{bad"]}, "required": {"policy": {"Statement": []}}},
            "/current/documents/0",
        ),
        ({"current": {}, "required": {"policy": {}}}, "/current"),
        ({"current": {"baseline": "legacy-2019"}, "required": {}}, "/required"),
    ],
)
def test_bad_diff_input_is_a_located_problem(
    client: TestClient, body: dict[str, Any], pointer: str
) -> None:
    response = client.post("/v1/policies/diff", json=body)
    assert response.status_code == 422, response.text
    assert pointer in [e["pointer"] for e in response.json()["errors"]]


def test_a_role_granting_exactly_the_artifact_key_actions_is_sufficient(
    client: TestClient, reference: dict[str, Any]
) -> None:
    """The artifact key needs kms:Decrypt and kms:GenerateDataKey (S3 server-side encryption);
    a role granting just those, not kms:GenerateDataKey* or kms:ReEncrypt*, lacks nothing."""
    computed = client.post("/v1/policies/compute", json={"pipelines": [reference]}).json()
    statements = [s for s in computed["policy"]["Statement"] if KEY not in _list(s["Resource"])]
    exact_key = {
        "Effect": "Allow",
        "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
        "Resource": KEY,
    }
    role = {"Version": "2012-10-17", "Statement": [*statements, exact_key]}
    body = _diff(client, {"documents": [role]}, {"pipelines": [reference]})
    assert body["verdict"] == "sufficient", body["missing"]
    without_generate = {**exact_key, "Action": ["kms:Decrypt"]}
    role = {"Version": "2012-10-17", "Statement": [*statements, without_generate]}
    body = _diff(client, {"documents": [role]}, {"pipelines": [reference]})
    # Not missing from the role: the key policy may grant it (the documented route).
    lacking = {(a, r) for u in body["unverifiable"] for a in u["actions"] for r in u["resources"]}
    assert lacking == {("kms:GenerateDataKey", KEY)}
    assert body["missing"] == []
    assert body["verdict"] == "unverified"


def _list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value


def test_diff_compares_the_companion_documents(client: TestClient) -> None:
    """The cross-account pipeline's own companion documents are sufficient; an action role
    whose trust policy leaves out the service role misses it, with the impact, and its other
    statement grants nothing the pipelines need; a malformed trust policy is an ERROR finding
    at its place, not compared."""
    pipelines = [cross_account_pipeline()]
    computed = client.post("/v1/policies/compute", json={"pipelines": pipelines}).json()
    documents = [
        {"kind": d["kind"], "target": d["target"], "document": d["policy"]}
        for d in computed["companions"]["documents"]
    ]
    body = {
        "current": {"documents": [computed["policy"]], "companions": documents},
        "required": {"pipelines": pipelines},
    }
    answer = client.post("/v1/policies/diff", json=body)
    assert answer.status_code == 200, answer.text
    diffs = answer.json()["companions"]
    assert len(diffs) == len(documents) >= 8
    assert {d["verdict"] for d in diffs} == {"sufficient"}, diffs

    codedeploy_only = trust_policy({"Service": "codedeploy.amazonaws.com"})
    body["current"]["companions"] = [
        {"kind": "trust-policy", "target": ROLE_B, "document": codedeploy_only},
        {"kind": "trust-policy", "target": ROLE_B, "document": json.dumps(
            {**codedeploy_only, "Statement": [{**codedeploy_only["Statement"][0], "Resource": "*"}]}
        )},
    ]  # fmt: skip
    answer = client.post("/v1/policies/diff", json=body)
    assert answer.status_code == 200, answer.text
    (diffed,) = answer.json()["companions"]
    assert diffed["verdict"] == "insufficient"
    (gap,) = diffed["missing"]
    assert gap["principal"] == SERVICE_ROLE
    assert gap["status"] == "not_granted"
    assert "AssumeRole" in gap["impact"]["message"]
    assert gap["reasons"][0]["stage"] == "Deploy"
    assert diffed["unneeded"] == [
        {"sid": None, "path": "/current/companions/0/document/Statement/0"}
    ]
    (error,) = [f for f in answer.json()["findings"] if f["code"] == "RESOURCE_IN_TRUST_POLICY"]
    assert error["path"] == "/current/companions/1/document/Statement/0/Resource"


@pytest.mark.parametrize("authorization", [False, True])
@pytest.mark.parametrize("listed", [True, False])
def test_a_companion_that_is_not_one_document_is_a_located_422(
    client: TestClient, authorization: bool, listed: bool
) -> None:
    """A companion holds one document: JSON text of a list of them (a 500 when its statements
    were compared), or text that is not JSON, is refused at the document, whether the run is
    decided or not."""
    pipelines = [cross_account_pipeline()]
    computed = client.post("/v1/policies/compute", json={"pipelines": pipelines}).json()
    (trust,) = [
        d for d in computed["companions"]["documents"]
        if d["kind"] == "trust-policy" and d["target"] == ROLE_B
    ]  # fmt: skip
    current: dict[str, Any] = {
        "documents": [computed["policy"]],
        "companions": [
            {
                "kind": "trust-policy",
                "target": ROLE_B,
                "document": json.dumps([trust["policy"]]) if listed else "{not json",
            }
        ],
    }
    if authorization:
        current["authorization"] = {}
    body = {"current": current, "required": {"pipelines": pipelines}}
    response = client.post("/v1/policies/diff", json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert [e["pointer"] for e in response.json()["errors"]] == ["/current/companions/0/document"]


@pytest.mark.parametrize("required", ["[]", "42", "{not json"])
def test_a_required_policy_that_is_not_one_document_is_a_located_422(
    client: TestClient, required: str
) -> None:
    allowed = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}  # fmt: skip
    body = {"current": {"documents": [allowed]}, "required": {"policy": required}}
    response = client.post("/v1/policies/diff", json=body)
    assert response.status_code == 422, response.text
    assert [e["pointer"] for e in response.json()["errors"]] == ["/required/policy"]


def test_a_key_policy_as_the_kms_console_writes_it_is_compared(client: TestClient) -> None:
    """The console's key policy names its statements with spaces, which a key policy may: it is
    compared (sufficient: its key users are the roles that need the key), no INVALID_SID."""
    pipelines = [cross_account_pipeline()]
    computed = client.post("/v1/policies/compute", json={"pipelines": pipelines}).json()
    key_policy = console_key_policy(A, [SERVICE_ROLE, ROLE_B])
    current = {
        "documents": [computed["policy"]],
        "companions": [{"kind": "key-policy", "target": KEY_HOME, "document": key_policy}],
    }
    body = _diff(client, current, {"pipelines": pipelines})
    assert "INVALID_SID" not in {f["code"] for f in body["findings"]}
    (compared,) = body["companions"]
    assert (compared["target"], compared["verdict"]) == (KEY_HOME, "sufficient")


@pytest.mark.parametrize(
    "given", [("companions",), ("authorization",), ("companions", "authorization")]
)
def test_companions_and_authorization_are_weighed_only_with_pipelines(
    client: TestClient, given: tuple[str, ...]
) -> None:
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}  # fmt: skip
    trust = {"kind": "trust-policy", "target": ROLE_B, "document": policy}
    parts = {"companions": [trust], "authorization": {}}
    current = {"documents": [policy], **{name: parts[name] for name in given}}
    body = {"current": current, "required": {"policy": policy}}
    response = client.post("/v1/policies/diff", json=body)
    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    assert [e["pointer"] for e in errors] == [f"/current/{name}" for name in given]
    assert all("not `required.policy`" in e["detail"] for e in errors)


def test_findings_of_a_policy_too_large_point_at_the_patched_policy(client: TestClient) -> None:
    pipelines = []
    for i in range(300):
        doc = pipeline_document(bucket=f"artifacts-{i:04d}-{'x' * 40}")
        doc["pipeline"]["name"] = f"web{i}"
        doc["pipeline"]["stages"][1]["actions"][0]["configuration"]["ProjectName"] = f"b-{i:04d}"
        pipelines.append(doc)
    request = {"current": {"baseline": "legacy-2019"}, "required": {"pipelines": pipelines}}
    response = client.post("/v1/policies/diff", json=request)
    assert response.status_code == 200, response.text
    body = response.json()
    codes = {f["code"]: f for f in body["findings"]}
    assert codes["TOO_MANY_MANAGED_POLICIES"]["path"] == "/patched_policy"
    assert codes["POLICY_SPLIT"]["path"] == "/patched_policy"
    assert "also given split" not in codes["POLICY_SPLIT"]["message"]
    for f in body["findings"]:
        field = f["path"].split("/")[1] if f["path"] else ""
        assert not field or field in body or field in request, (f["code"], f["path"])


def _policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


# Two current policies that leave, between them, something in every section of a diff: one
# grants S3 under a condition and CodeBuild on any project, the other almost nothing.
_CONDITIONAL = _policy(
    {
        "Effect": "Allow",
        "Action": "s3:*",
        "Resource": "*",
        "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
    },
    {
        "Effect": "Allow",
        "Action": "codebuild:*",
        "Resource": f"arn:aws:codebuild:{template.REGION}:{template.ACCOUNT}:project/*",
    },
)
_BARE = _policy({"Effect": "Allow", "Action": "sts:GetCallerIdentity", "Resource": "*"})


def test_the_reasons_of_a_template_point_at_places_of_it_in_every_section_of_a_diff(
    client: TestClient,
) -> None:
    owner = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{template.ACCOUNT}:root"}}
    companions = [
        {
            "kind": "trust-policy",
            "target": template.DEPLOY_ROLE,
            "document": trust_policy({"Service": "ec2.amazonaws.com"}),
        },
        {
            "kind": "key-policy",
            "target": template.KEY,
            "document": _policy({**owner, "Action": "kms:DescribeKey", "Resource": "*"}),
        },
    ]
    required = {
        "sources": [{"body": json.dumps(template.CLOUDFORMATION)}],
        "context": template.CONTEXT,
    }
    request = {"required": {"sources": [{"body": template.CLOUDFORMATION}]}}
    sections: set[str] = set()  # those with a reason in a stage
    every: set[str] = set()
    for current in (_CONDITIONAL, _BARE):
        given = {"documents": [current], "companions": companions, "authorization": {}}
        answer = _diff(client, given, required)
        paths = list(template.reason_paths(answer))
        assert [(s, p) for s, p in paths if not template.has_place(request, p)] == []
        sections.update(s for s, p in paths if "/Stages/" in p)
        every.update(s for s, _ in paths)
    assert sections >= {
        "missing/required_by",
        "conditional/required_by",
        "companions/missing/reasons",
        "will_run/checks/required_by",
    }
    assert every >= {"unverifiable/required_by", "optional/required_by"}
