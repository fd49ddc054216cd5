"""CodePipeline-aware policy checks: hanging Elastic Beanstalk deploys, roles older than their
providers, PassRole without iam:PassedToService, and baseline recognition."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from app.engine.compute import ComputeContext
from app.engine.findings import Finding, FindingType
from app.engine.iam.analysis.coverage import PolicyStatement
from app.engine.iam.catalog import Catalog
from app.engine.iam.policy.parse import parse_policy
from app.engine.iam.policy.view import read_policies
from app.engine.pipeline.api_json import parse_pipeline_json
from app.engine.pipeline.model import Pipeline
from app.engine.pipeline_checks import pipeline_checks, recognise_baseline
from app.service.catalog_import import default_catalog
from app.service.profile_files import baseline_files

from ...rule_examples import WEB_APP
from .profile_fixtures import shipped_profiles

ACCOUNT = "111122223333"
ACTION_POINTER = "/pipelines/0/pipeline/stages/1/actions/0"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return default_catalog()


def action(category: str, provider: str, configuration: dict[str, str]) -> dict[str, Any]:
    return {
        "name": provider,
        "actionTypeId": {
            "category": category,
            "owner": "AWS",
            "provider": provider,
            "version": "1",
        },
        "configuration": configuration,
        "inputArtifacts": [{"name": "Src"}],
    }


def pipeline(*actions: dict[str, Any]) -> Pipeline:
    document = {
        "pipeline": {
            "name": "Demo",
            "roleArn": f"arn:aws:iam::{ACCOUNT}:role/service-role/Demo",
            "artifactStore": {"type": "S3", "location": f"codepipeline-eu-west-1-{ACCOUNT}"},
            "stages": [
                {
                    "name": "Source",
                    "actions": [
                        {
                            "name": "Source",
                            "actionTypeId": {
                                "category": "Source",
                                "owner": "AWS",
                                "provider": "S3",
                                "version": "1",
                            },
                            "configuration": {"S3Bucket": "sources", "S3ObjectKey": "app.zip"},
                            "outputArtifacts": [{"name": "Src"}],
                        }
                    ],
                },
                {"name": "Deploy", "actions": list(actions)},
            ],
        }
    }
    parsed, findings = parse_pipeline_json(document, "/pipelines/0")
    assert findings == []
    return parsed


EB = action(
    "Deploy", "ElasticBeanstalk", {"ApplicationName": "shop", "EnvironmentName": "shop-prod"}
)
STEP_FUNCTIONS = action(
    "Invoke",
    "StepFunctions",
    {"StateMachineArn": f"arn:aws:states:eu-west-1:{ACCOUNT}:stateMachine:release"},
)
CLOUDFORMATION = action(
    "Deploy",
    "CloudFormation",
    {
        "ActionMode": "CREATE_UPDATE",
        "StackName": "shop",
        "TemplatePath": "Src::template.yaml",
        "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/cfn-deploy",
    },
)


def statements(*stmts: dict[str, Any]) -> tuple[PolicyStatement, ...]:
    return read_policies(
        [{"Version": "2012-10-17", "Statement": list(stmts)}], pointer=""
    ).statements


def allow(actions: list[str], resource: str = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": actions, "Resource": resource, **extra}


def checks(
    catalog: Catalog,
    policy: tuple[PolicyStatement, ...],
    pipe: Pipeline,
    role_created: dt.date | None = None,
) -> list[Finding]:
    return pipeline_checks(policy, [pipe], shipped_profiles(), catalog, role_created=role_created)


def codes(found: list[Finding]) -> list[str]:
    return [f.code for f in found]


# --- Elastic Beanstalk: without DescribeEvents the deploy hangs -----------------------------------


def test_eb_deploy_without_describe_events_is_an_error(catalog: Catalog) -> None:
    policy = statements(allow(["elasticbeanstalk:UpdateEnvironment", "s3:*"]))
    (hit,) = [
        f for f in checks(catalog, policy, pipeline(EB)) if f.code != "ROLE_PREDATES_PROVIDER"
    ]
    assert hit.code == "EB_DESCRIBE_EVENTS_MISSING"
    assert hit.finding_type is FindingType.ERROR
    assert hit.path == ACTION_POINTER
    assert hit.detail["action_pointer"] == ACTION_POINTER
    assert "hangs" in hit.message
    assert "times out" in hit.message
    assert hit.detail["permission"] == "elasticbeanstalk:DescribeEvents"


def test_eb_deploy_with_describe_events_is_not_flagged(catalog: Catalog) -> None:
    policy = statements(allow(["elasticbeanstalk:DescribeEvents", "elasticbeanstalk:Update*"]))
    assert "EB_DESCRIBE_EVENTS_MISSING" not in codes(checks(catalog, policy, pipeline(EB)))


def test_eb_deploy_with_describe_events_via_wildcard_is_not_flagged(catalog: Catalog) -> None:
    policy = statements(allow(["elasticbeanstalk:Describe*"]))
    assert "EB_DESCRIBE_EVENTS_MISSING" not in codes(checks(catalog, policy, pipeline(EB)))


def test_eb_deploy_with_describe_events_denied_is_flagged(catalog: Catalog) -> None:
    policy = statements(
        allow(["elasticbeanstalk:*"]),
        {"Effect": "Deny", "Action": "elasticbeanstalk:DescribeEvents", "Resource": "*"},
    )
    found = [
        f for f in checks(catalog, policy, pipeline(EB)) if f.code == "EB_DESCRIBE_EVENTS_MISSING"
    ]
    assert len(found) == 1
    assert "explicitly denies" in found[0].message


def test_the_context_region_names_what_the_deploy_needs(catalog: Catalog) -> None:
    """The pipeline says no Region; the one the caller gives scopes the requirement, so a policy
    scoped to that Region is enough and the finding names resources there."""
    in_region = statements(
        allow(
            ["elasticbeanstalk:DescribeEvents"], f"arn:aws:elasticbeanstalk:eu-west-2:{ACCOUNT}:*"
        )
    )
    given = ComputeContext(region="eu-west-2")
    found = pipeline_checks(in_region, [pipeline(EB)], shipped_profiles(), catalog, context=given)
    assert "EB_DESCRIBE_EVENTS_MISSING" not in codes(found)
    elsewhere = ComputeContext(region="us-east-1")
    found = pipeline_checks(
        in_region, [pipeline(EB)], shipped_profiles(), catalog, context=elsewhere
    )
    (hit,) = [f for f in found if f.code == "EB_DESCRIBE_EVENTS_MISSING"]
    assert hit.detail["resources"]
    assert all(":elasticbeanstalk:us-east-1:" in r for r in hit.detail["resources"])


def test_eb_deploy_with_its_own_role_needs_nothing_of_this_policy(catalog: Catalog) -> None:
    with_role = {**EB, "roleArn": f"arn:aws:iam::{ACCOUNT}:role/eb-deploy"}
    policy = statements(allow(["s3:GetObject"]))
    assert "EB_DESCRIBE_EVENTS_MISSING" not in codes(checks(catalog, policy, pipeline(with_role)))


def test_legacy_policy_grants_describe_events(catalog: Catalog, legacy: dict[str, Any]) -> None:
    policy = read_policies([legacy], pointer="").statements
    assert "EB_DESCRIBE_EVENTS_MISSING" not in codes(checks(catalog, policy, pipeline(EB)))


# --- roles created before a provider was supported ------------------------------------------------


def test_2017_role_with_2019_legacy_policy_lacks_step_functions(
    catalog: Catalog, legacy: dict[str, Any]
) -> None:
    policy = read_policies([legacy], pointer="").statements
    found = checks(catalog, policy, pipeline(STEP_FUNCTIONS), role_created=dt.date(2017, 3, 1))
    (hit,) = [f for f in found if f.code == "ROLE_PREDATES_PROVIDER"]
    assert hit.finding_type is FindingType.WARNING
    assert hit.path == ACTION_POINTER
    assert hit.detail["provider"] == "StepFunctions"
    assert hit.detail["supported_since"] == "2020-05-27"
    assert hit.detail["role_created"] == "2017-03-01"
    missing = {m["action"] for m in hit.detail["missing"]}
    assert {"states:StartExecution", "states:DescribeExecution"} <= missing
    assert "2020-05-27" in hit.message
    assert "Step Functions" in hit.message
    assert "states:StartExecution" in hit.message


def test_role_created_after_the_support_date_is_not_flagged(
    catalog: Catalog, legacy: dict[str, Any]
) -> None:
    policy = read_policies([legacy], pointer="").statements
    found = checks(catalog, policy, pipeline(STEP_FUNCTIONS), role_created=dt.date(2021, 1, 1))
    assert "ROLE_PREDATES_PROVIDER" not in codes(found)


def test_old_role_that_has_the_permissions_is_not_flagged(catalog: Catalog) -> None:
    policy = statements(allow(["states:*", "s3:*"]))
    found = checks(catalog, policy, pipeline(STEP_FUNCTIONS), role_created=dt.date(2017, 3, 1))
    assert "ROLE_PREDATES_PROVIDER" not in codes(found)


def test_statement_since_date_counts_for_batch_builds(catalog: Catalog) -> None:
    build = action("Build", "CodeBuild", {"ProjectName": "shop", "BatchEnabled": "true"})
    policy = statements(allow(["codebuild:StartBuild", "codebuild:BatchGetBuilds", "s3:*"]))
    found = checks(catalog, policy, pipeline(build), role_created=dt.date(2019, 6, 1))
    (hit,) = [f for f in found if f.code == "ROLE_PREDATES_PROVIDER"]
    assert hit.detail["supported_since"] == "2020-07-30"
    assert {m["action"] for m in hit.detail["missing"]} == {
        "codebuild:StartBuildBatch",
        "codebuild:BatchGetBuildBatches",
    }


def test_a_role_older_than_a_rule_type_lacks_the_rules_permission(catalog: Catalog) -> None:
    pipe, _ = parse_pipeline_json(WEB_APP, "/pipelines/0")
    policy = statements(
        allow(["s3:*", "codebuild:*", "codestar-connections:*", "codeconnections:*"]),
        allow(["lambda:InvokeFunction", "logs:*", "sts:AssumeRole"]),
    )
    found = checks(catalog, policy, pipe, role_created=dt.date(2023, 5, 1))
    (hit,) = [f for f in found if f.code == "ROLE_PREDATES_PROVIDER"]
    assert hit.path == "/pipelines/0/pipeline/stages/2/onSuccess/conditions/0/rules/0"
    assert (hit.detail["stage"], hit.detail["rule"]) == ("Deploy", "No5xx")
    assert hit.detail["supported_since"] == "2024-07-30"
    assert "`Deploy/No5xx` lacks `cloudwatch:DescribeAlarms`" in hit.message


def test_no_role_date_no_age_check(catalog: Catalog, legacy: dict[str, Any]) -> None:
    policy = read_policies([legacy], pointer="").statements
    assert "ROLE_PREDATES_PROVIDER" not in codes(checks(catalog, policy, pipeline(STEP_FUNCTIONS)))


# --- PassRole when the pipelines pass roles -----------------------------------------------------


def test_passrole_without_passed_to_service_when_pipelines_pass_roles(catalog: Catalog) -> None:
    policy = statements(allow(["cloudformation:*", "s3:*"]), allow(["iam:PassRole"]))
    found = [
        f for f in checks(catalog, policy, pipeline(CLOUDFORMATION)) if f.code.startswith("PIPE")
    ]
    (hit,) = found
    assert hit.code == "PIPELINE_PASSROLE_UNSCOPED"
    assert hit.finding_type is FindingType.SECURITY_WARNING
    assert hit.path == "/0/Statement/1"
    assert hit.detail["services"] == ["cloudformation.amazonaws.com"]
    assert hit.detail["roles"] == [f"arn:aws:iam::{ACCOUNT}:role/cfn-deploy"]


def test_passrole_scoped_to_the_service_is_not_flagged(catalog: Catalog) -> None:
    scoped = allow(
        ["iam:PassRole"],
        Condition={"StringEquals": {"iam:PassedToService": "cloudformation.amazonaws.com"}},
    )
    policy = statements(allow(["cloudformation:*", "s3:*"]), scoped)
    assert "PIPELINE_PASSROLE_UNSCOPED" not in codes(
        checks(catalog, policy, pipeline(CLOUDFORMATION))
    )


def test_passrole_is_not_a_concern_when_no_role_is_passed(catalog: Catalog) -> None:
    policy = statements(allow(["iam:PassRole", "states:*", "s3:*"]))
    assert "PIPELINE_PASSROLE_UNSCOPED" not in codes(
        checks(catalog, policy, pipeline(STEP_FUNCTIONS))
    )


def test_no_pipelines_no_findings(catalog: Catalog) -> None:
    assert pipeline_checks(statements(allow(["s3:*"])), [], shipped_profiles(), catalog) == []


# --- baselines -----------------------------------------------------------------------------------


def test_recognise_baseline_is_order_insensitive(legacy: dict[str, Any]) -> None:
    baselines = {f.document["name"]: f.document for f in baseline_files()}
    shuffled = dict(legacy, Statement=list(reversed(legacy["Statement"])))
    assert recognise_baseline(parse_policy(shuffled), baselines) == "legacy-2019"
    changed = dict(legacy, Statement=legacy["Statement"][1:])
    assert recognise_baseline(parse_policy(changed), baselines) is None
    assert recognise_baseline(parse_policy(legacy), None) is None
