"""What the IAM catalogue says about a profile's grants, table-driven: unknown actions (with the
action meant), action patterns, Resource "*" on scopable actions, privilege escalation."""

from __future__ import annotations

from typing import Any

import pytest

from app.engine.iam.catalog import Catalog
from app.engine.profile_grants import GrantIssue, GrantKind, grant_issues
from app.engine.profile_schema import validate_document
from app.service.catalog_import import default_catalog


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return default_catalog()


def document(*statements: dict[str, Any]) -> dict[str, Any]:
    return {
        "action_type": {"category": "Invoke", "owner": "Custom", "provider": "X", "version": "1"},
        "title": "t",
        "supported_since": None,
        "effective_date": "2026-01-01",
        "sources": {"s": {"title": "t", "url": "https://s.example"}},
        "statements": [
            {"id": f"S{i}", "description": "d", "source": "s", **s}
            for i, s in enumerate(statements)
        ],
    }


def issues(catalog: Catalog, *statements: dict[str, Any]) -> list[GrantIssue]:
    return grant_issues(validate_document(document(*statements)), catalog)


REPO = "arn:${partition}:codecommit:${region}:${account}:repo"


@pytest.mark.parametrize(
    ("statement", "pointer", "kind", "says"),
    [
        (
            {"actions": ["codecommit:GetRepo"], "resources": [REPO]},
            "/statements/0/actions/0",
            GrantKind.UNKNOWN_ACTION,
            "did you mean `codecommit:GetRepository`",
        ),
        (
            {"actions": ["codecommit:GetBranch", "codecomit:GetBranch"], "resources": [REPO]},
            "/statements/0/actions/1",
            GrantKind.UNKNOWN_ACTION,
            "did you mean `codecommit:GetBranch`",
        ),
        (
            {"actions": ["codecommit:getbranch"], "resources": [REPO]},
            "/statements/0/actions/0",
            GrantKind.UNKNOWN_ACTION,
            "spelt `codecommit:GetBranch`",
        ),
        (
            {"actions": ["nosuchservice:Get*"], "resources": ["*"]},
            "/statements/0/actions/0",
            GrantKind.UNKNOWN_ACTION,
            "no known service",
        ),
        (
            {"actions": ["iam:*"], "resources": ["*"]},
            "/statements/0/actions/0",
            GrantKind.ACTION_PATTERN,
            "every iam action",
        ),
        (
            {"actions": ["*"], "resources": ["*"]},
            "/statements/0/actions/0",
            GrantKind.ACTION_PATTERN,
            "every action of every service",
        ),
        (
            {"actions": ["kms:Decrypt", "kms:GenerateDataKey*"], "resources": ["*"]},
            "/statements/0/actions/1",
            GrantKind.ACTION_PATTERN,
            "`kms:GenerateDataKeyPair`",
        ),
        (
            {"actions": ["iam:Put*Policy"], "resources": ["*"]},
            "/statements/0/actions/0",
            GrantKind.ACTION_PATTERN,
            "privilege-escalation actions",
        ),
        (
            {"actions": ["rds:DescribeDBInstances"], "resources": ["*"]},
            "/statements/0/resources/0",
            GrantKind.RESOURCE_STAR,
            "`rds:DescribeDBInstances` (db)",
        ),
        (
            {
                "actions": ["ecs:DescribeTaskDefinition", "ecs:TagResource"],
                "resources": ["${hint.t}"],
                "hints": {"t": {"description": "d", "fallback": "*"}},
            },
            "/statements/0/hints/t/fallback",
            GrantKind.RESOURCE_STAR,
            "`ecs:TagResource`",
        ),
        (
            {
                "actions": ["iam:PassRole"],
                "resources": ["arn:${partition}:iam::${account}:role/task"],
            },
            "/statements/0/actions/0",
            GrantKind.PRIVILEGE_ESCALATION,
            "`iam:PassRole` is a privilege-escalation action",
        ),
        (
            {"actions": ["ecs:RegisterTaskDefinition"], "resources": ["*"]},
            "/statements/0/actions/0",
            GrantKind.PRIVILEGE_ESCALATION,
            "privilege-escalation",
        ),
    ],
)
def test_each_grant_is_named_at_its_pointer(
    catalog: Catalog, statement: dict[str, Any], pointer: str, kind: GrantKind, says: str
) -> None:
    found = issues(catalog, statement)
    assert any(i.pointer == pointer and i.kind is kind and says in i.message for i in found), found


@pytest.mark.parametrize(
    "statement",
    [
        {"actions": ["codecommit:GetBranch"], "resources": [REPO]},
        {
            "actions": ["lambda:ListFunctions", "cloudformation:ValidateTemplate"],
            "resources": ["*"],
        },
        {"actions": ["ecs:DescribeTaskDefinition"], "resources": ["*"]},
    ],
)
def test_exact_actions_scoped_or_unscopable_need_nothing(
    catalog: Catalog, statement: dict[str, Any]
) -> None:
    assert issues(catalog, statement) == []


def test_a_stated_reason_marks_the_grants_of_its_statement_only(catalog: Catalog) -> None:
    found = issues(
        catalog,
        {"actions": ["iam:*"], "resources": ["*"], "risk_reason": "an operator tool"},
        {"actions": ["sts:AssumeRole"], "resources": ["arn:${partition}:iam::${account}:role/x"]},
        {"actions": ["codecommit:GetRepo"], "resources": [REPO], "risk_reason": "no excuse"},
    )
    by_pointer = {i.pointer: i for i in found}
    assert by_pointer["/statements/0/actions/0"].reasoned
    assert by_pointer["/statements/0/actions/0"].needs_reason
    assert not by_pointer["/statements/1/actions/0"].reasoned
    # A reason never excuses an action the catalogue does not know.
    assert not by_pointer["/statements/2/actions/0"].needs_reason


def test_resource_star_and_escalation_of_one_statement_are_both_named(catalog: Catalog) -> None:
    found = issues(catalog, {"actions": ["ecs:RegisterTaskDefinition"], "resources": ["*"]})
    assert {(i.pointer, i.kind) for i in found} == {
        ("/statements/0/actions/0", GrantKind.PRIVILEGE_ESCALATION),
        ("/statements/0/resources/0", GrantKind.RESOURCE_STAR),
    }
