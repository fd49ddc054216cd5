"""POST /v1/policies/evaluate."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.api.schemas.examples import ACCOUNT, COMPUTE_REQUEST

from ..amplifiers import wildcard_condition_evaluation
from ..documents import EVALUATE_POLICY as POLICY


def _evaluate(
    client: TestClient, requests: list[dict[str, Any]], **extra: Any
) -> list[dict[str, Any]]:
    response = client.post(
        "/v1/policies/evaluate",
        json={"policy": {"documents": [POLICY]}, "requests": requests, **extra},
    )
    assert response.status_code == 200, response.text
    results: list[dict[str, Any]] = response.json()["results"]
    return results


def test_decisions_with_the_deciding_statements(client: TestClient) -> None:
    build, prod, passed, refused = _evaluate(
        client,
        [
            {
                "action": "codebuild:StartBuild",
                "resource": "arn:aws:codebuild:eu-west-2:111122223333:project/my-build",
            },
            {
                "action": "codebuild:StartBuild",
                "resource": "arn:aws:codebuild:eu-west-2:111122223333:project/my-prod",
            },
            {
                "action": "iam:PassRole",
                "resource": "arn:aws:iam::111122223333:role/task",
                "context": {"iam:PassedToService": "ecs-tasks.amazonaws.com"},
            },
            {"action": "iam:PassRole", "resource": "arn:aws:iam::111122223333:role/task"},
        ],
    )
    assert build["decision"] == "allowed"
    assert [d["statement"]["sid"] for d in build["deciding"]] == ["Build"]
    assert prod["decision"] == "explicitly_denied"
    assert [d["statement"]["sid"] for d in prod["deciding"]] == ["NoProd"]
    assert passed["decision"] == "allowed"
    assert refused["decision"] == "implicitly_denied"
    assert refused["missing_keys"] == ["iam:PassedToService"]
    why = {o["statement"]["sid"]: o for o in refused["not_applied"]}
    assert why["Build"]["reason"] == "action"
    assert why["Pass"]["reason"] == "condition"
    assert why["Pass"]["failed_conditions"] == [
        {"operator": "StringEquals", "key": "iam:PassedToService"}
    ]


def test_unknown_action_is_a_finding_not_a_silent_deny(client: TestClient) -> None:
    (result,) = _evaluate(client, [{"action": "codebuild:StartBuilds", "resource": "*"}])
    assert result["decision"] == "implicitly_denied"
    (finding,) = result["findings"]
    assert finding["code"] == "UNKNOWN_ACTION"
    assert finding["path"] == "/requests/0/action"
    assert "codebuild:StartBuild" in finding["message"]


def test_batch_without_explanations(client: TestClient) -> None:
    requests = [
        {
            "action": "codebuild:StartBuild",
            "resource": f"arn:aws:codebuild:eu-west-2:111122223333:project/my-{i}",
        }
        for i in range(500)
    ]
    results = _evaluate(client, requests, explain=False)
    assert len(results) == 500
    assert all(r["decision"] == "allowed" and r["not_applied"] == [] for r in results)


def test_baseline_by_name(client: TestClient) -> None:
    response = client.post(
        "/v1/policies/evaluate",
        json={
            "policy": {"baseline": "legacy-2019"},
            "requests": [{"action": "ec2:TerminateInstances", "resource": "*"}],
        },
    )
    assert response.json()["results"][0]["decision"] == "allowed"


def test_too_many_requests_is_a_problem(client: TestClient) -> None:
    response = client.post(
        "/v1/policies/evaluate",
        json={"policy": {"documents": [POLICY]}, "requests": [{"action": "s3:GetObject"}] * 10_001},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "/requests"


def test_the_resource_account_is_read_from_the_arn(client: TestClient) -> None:
    project = "arn:aws:codebuild:eu-west-2:111122223333:project/my-build"
    derived, given = _evaluate(
        client,
        [
            {"action": "codebuild:StartBuild", "resource": project},
            {
                "action": "codebuild:StartBuild",
                "resource": project,
                "context": {"aws:ResourceAccount": "444455556666"},
            },
        ],
    )
    assert derived["derived_context"] == [
        {
            "key": "aws:ResourceAccount",
            "value": "111122223333",
            "source": "resource",
            "detail": "the account field of the resource ARN",
        }
    ]
    assert derived["not_derived"] == []
    assert given["derived_context"] == given["not_derived"] == []  # the caller's value wins


def _statement_requests(statement: dict[str, Any]) -> list[tuple[str, str]]:
    resources = statement["Resource"]
    return [
        (action, resource.replace("*", "MyApp/build.zip"))
        for action in statement["Action"]
        for resource in ([resources] if isinstance(resources, str) else resources)
    ]


def test_evaluate_allows_what_compute_names(client: TestClient) -> None:
    """Each (action, resource) a computed statement names is allowed by the computed policy,
    outright where the ARN names its account; on S3, whose ARNs name none, only once the
    caller gives the account, and until then the answer is undecided and says why."""
    computed = client.post("/v1/policies/compute", json=COMPUTE_REQUEST).json()["policy"]
    asked = [pair for s in computed["Statement"] for pair in _statement_requests(s)]
    owned = [(a, r) for a, r in asked if not r.startswith("arn:aws:s3:")]
    on_s3 = [(a, r) for a, r in asked if r.startswith("arn:aws:s3:")]
    assert owned
    assert on_s3

    def ask(pairs: list[tuple[str, str]], context: dict[str, str]) -> list[dict[str, Any]]:
        response = client.post(
            "/v1/policies/evaluate",
            json={
                "policy": {"documents": [computed]},
                "requests": [{"action": a, "resource": r, "context": context} for a, r in pairs],
            },
        )
        assert response.status_code == 200, response.text
        results: list[dict[str, Any]] = response.json()["results"]
        return results

    for result in ask(owned, {}):
        assert (result["decision"], result["definite"]) == ("allowed", True), result
        assert [d["value"] for d in result["derived_context"]] == [ACCOUNT]
    for result in ask(on_s3, {}):
        assert (result["decision"], result["definite"]) == ("implicitly_denied", False), result
        assert [u["key"] for u in result["not_derived"]] == ["aws:ResourceAccount"]
        assert "names no account" in result["not_derived"][0]["reason"]
        assert result["undecided"]
        assert result["missing_keys"] == []
    for result in ask(on_s3, {"aws:ResourceAccount": ACCOUNT}):
        assert (result["decision"], result["definite"]) == ("allowed", True), result
        assert result["not_derived"] == []
    for result in ask(on_s3, {"aws:ResourceAccount": "444455556666"}):
        assert (result["decision"], result["definite"]) == ("implicitly_denied", True), result


@pytest.mark.slow  # seconds of work to reach the budget: with the whole suite
def test_wildcard_conditions_are_matched_within_the_requests_budget(client: TestClient) -> None:
    """Each condition value matched against each request value is charged: many long wildcard
    matches are refused at the statement that asks for them, not left to run; a few answer."""
    response = client.post("/v1/policies/evaluate", json=wildcard_condition_evaluation(5))
    assert response.status_code == 422, response.text[:500]
    problem = response.json()
    assert problem["type"].endswith("/work-limit"), problem
    pointers = [e["pointer"] for e in problem["errors"]]
    assert pointers == ["/policy/documents/0/Statement/0"], problem
    few = client.post(
        "/v1/policies/evaluate", json=wildcard_condition_evaluation(5, keys=2, patterns=50)
    )
    assert few.status_code == 200, few.text[:500]
    assert [r["decision"] for r in few.json()["results"]] == ["implicitly_denied"] * 5
