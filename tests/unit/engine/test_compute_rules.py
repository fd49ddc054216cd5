"""Stage-condition rules are computed like actions: the worked example of the rules reference §8,
each rule type, rule roles, unknown rule types, and a property over generated rules."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.engine.compute import (
    ComputeContext,
    ComputeResult,
    RequiredBy,
    compute_policy,
)
from app.engine.findings import FindingType
from app.engine.pipeline.api_json import parse_pipeline_json
from app.engine.pipeline.model import ActionTypeKey, Pipeline
from app.engine.triggers import trigger_holds
from tests.hypothesis_profiles import examples

from ...rule_examples import ACCOUNT, CONNECTION, DECIDER, REGION, RULE_ROLE, WEB_APP
from .computed_grants import Grants, grants_of
from .profile_fixtures import shipped_profiles

ARTIFACTS = "arn:aws:s3:::cp-artifacts-web-app"
SITE = "arn:aws:s3:::web-app-site"
BUILD_GATE = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:build-gate"
LOG_GROUP = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/codepipeline/web-app"
ALARM = f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:web-app-5xx"
RULES_AT = "/pipelines/0/pipeline/stages"


def _compute(document: dict[str, Any], region: str = REGION) -> tuple[Pipeline, ComputeResult]:
    pipeline, findings = parse_pipeline_json(document, "/pipelines/0")
    assert findings == []
    return pipeline, compute_policy(
        [pipeline], shipped_profiles(), context=ComputeContext(region=region)
    )


@pytest.fixture(scope="module")
def example() -> ComputeResult:
    return _compute(WEB_APP)[1]


def _of_rule(grants: Grants, rule: str) -> set[tuple[str, str]]:
    return {key for key, reasons in grants.items() if any(r.rule == rule for r in reasons)}


# --- the worked example (reference §8) --------------------------------------------------------


def test_baseline_and_action_rows_are_granted(example: ComputeResult) -> None:
    grants = grants_of(example.statements)
    rows = [
        # 1 and 2: the artifact bucket (the tagging actions are granted as well)
        *[(a, ARTIFACTS) for a in ("GetBucketVersioning", "GetBucketAcl", "GetBucketLocation")],
        *[(a, f"{ARTIFACTS}/*") for a in ("PutObject", "PutObjectAcl", "GetObject")],
        ("GetObjectVersion", f"{ARTIFACTS}/*"),
    ]
    for action, resource in rows:
        assert (f"s3:{action}".lower(), resource) in grants, (action, resource)
    # 3: the source connection, under both service prefixes; the triggers add nothing.
    for prefix in ("codestar-connections", "codeconnections"):
        assert (f"{prefix}:useconnection", CONNECTION) in grants
    # 4: the build action
    build = f"arn:aws:codebuild:{REGION}:{ACCOUNT}:project/web-app-build"
    assert {("codebuild:startbuild", build), ("codebuild:batchgetbuilds", build)} <= set(grants)
    # 5: the S3 deploy action. The table also lists s3:PutObjectAcl and s3:PutObjectVersionAcl;
    # the S3 deploy profile grants them only with a CannedACL, which this action does not set.
    assert ("s3:putobject", f"{SITE}/*") in grants
    for action in ("getbucketversioning", "getbucketacl", "getbucketlocation"):
        assert (f"s3:{action}", SITE) in grants
    assert ("s3:putobjectacl", f"{SITE}/*") not in grants


def _only(grants: Grants, rule: str) -> list[RequiredBy]:
    reasons = [r for rs in grants.values() for r in rs if r.rule == rule]
    assert reasons, rule
    return reasons


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        # 7: BuildGate (LambdaInvoke)
        ("BuildGate", {("lambda:invokefunction", BUILD_GATE)}),
        # 8: Lint (Commands), both log-group ARNs
        (
            "Lint",
            {
                (f"logs:{a}", arn)
                for a in ("createloggroup", "createlogstream", "putlogevents")
                for arn in (LOG_GROUP, f"{LOG_GROUP}:*")
            },
        ),
        # 10: IntegTests (CodeBuild rule). The build action (row 4) needs the same actions, so
        # both share one statement listing both projects.
        (
            "IntegTests",
            {
                (f"codebuild:{a}", f"arn:aws:codebuild:{REGION}:{ACCOUNT}:project/{project}")
                for a in ("startbuild", "batchgetbuilds")
                for project in ("web-app-integ", "web-app-build")
            },
        ),
        # 11: No5xx (CloudWatchAlarm)
        ("No5xx", {("cloudwatch:describealarms", ALARM)}),
        # 12: ShouldRollback assumes its role; its invoke is on that role (below)
        ("ShouldRollback", {("sts:assumerole", RULE_ROLE)}),
        # 6: OnlyMain (VariableCheck) and BusinessHours (DeploymentWindow) need nothing
        ("OnlyMain", set()),
        ("BusinessHours", set()),
    ],
)
def test_each_rule_row_is_granted_exactly(
    example: ComputeResult, rule: str, expected: set[tuple[str, str]]
) -> None:
    assert _of_rule(grants_of(example.statements), rule) == expected


def test_rule_statements_say_which_rule_needs_them(example: ComputeResult) -> None:
    grants = grants_of(example.statements)
    (reason,) = set(_only(grants, "No5xx"))
    assert reason.pipeline == "web-app"
    assert reason.stage == "Deploy"
    assert reason.action is None
    assert reason.pointer == f"{RULES_AT}/2/onSuccess/conditions/0/rules/0"
    assert reason.action_type == ActionTypeKey("Rule", "AWS", "CloudWatchAlarm", "1")
    assert reason.profile_revision == 1
    assert reason.reason == "Read the state of the alarm named in AlarmName"
    assert reason.inferred is True
    assert reason.citation.url.startswith("https://docs.aws.amazon.com/codepipeline/")
    assert reason.impact is not None
    gate = {r.pointer for r in _only(grants, "BuildGate")}
    assert gate == {f"{RULES_AT}/1/beforeEntry/conditions/0/rules/1"}


def test_the_rule_role_holds_the_rules_permissions(example: ComputeResult) -> None:
    (role,) = example.action_roles
    assert role.role_arn == RULE_ROLE
    on_role = grants_of(role.statements)
    assert set(on_role) == {("lambda:invokefunction", DECIDER)}
    (reason,) = on_role[("lambda:invokefunction", DECIDER)]
    assert (reason.stage, reason.rule) == ("Deploy", "ShouldRollback")
    assert ("lambda:invokefunction", DECIDER) not in grants_of(example.statements)


def test_the_example_has_no_problem_findings(example: ComputeResult) -> None:
    problems = [f for f in example.findings if f.finding_type is not FindingType.SUGGESTION]
    assert problems == []


# --- one rule at a time ----------------------------------------------------------------------


def _with_rule(rule: dict[str, Any], where: str = "onSuccess") -> dict[str, Any]:
    """The worked example's source stage, then a manual approval with only `rule`, in its
    `where` condition: nothing else needs the rule's permissions."""
    doc = copy.deepcopy(WEB_APP)
    result = {"beforeEntry": "FAIL", "onSuccess": "FAIL", "onFailure": "ROLLBACK"}[where]
    doc["pipeline"]["stages"][1:] = [
        {
            "name": "Gate",
            "actions": [
                {
                    "name": "Approve",
                    "actionTypeId": {
                        "category": "Approval",
                        "owner": "AWS",
                        "provider": "Manual",
                        "version": "1",
                    },
                }
            ],
            where: {"conditions": [{"result": result, "rules": [rule]}]},
        }
    ]
    return doc


def _rule(provider: str, configuration: dict[str, str], **more: Any) -> dict[str, Any]:
    return {
        "name": "Check",
        "ruleTypeId": {"category": "Rule", "owner": "AWS", "provider": provider, "version": "1"},
        "configuration": configuration,
        **more,
    }


CHECK_AT = f"{RULES_AT}/1/onSuccess/conditions/0/rules/0"


def _project(name: str, region: str = REGION) -> str:
    return f"arn:aws:codebuild:{region}:{ACCOUNT}:project/{name}"


RULE_CASES: list[tuple[str, dict[str, Any], set[tuple[str, str]]]] = [
    (
        "cloudwatch-alarm",
        _rule("CloudWatchAlarm", {"AlarmName": "a", "AlarmStates": "OK"}),
        {("cloudwatch:describealarms", f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:a")},
    ),
    (
        "codebuild",
        _rule("CodeBuild", {"ProjectName": "p"}),
        {("codebuild:startbuild", _project("p")), ("codebuild:batchgetbuilds", _project("p"))},
    ),
    (
        "codebuild-batch",
        _rule("CodeBuild", {"ProjectName": "p", "BatchEnabled": "true"}),
        {
            ("codebuild:startbuildbatch", _project("p")),
            ("codebuild:batchgetbuildbatches", _project("p")),
        },
    ),
    (
        "codebuild-other-region",
        _rule("CodeBuild", {"ProjectName": "p"}, region="eu-west-1"),
        {
            ("codebuild:startbuild", _project("p", "eu-west-1")),
            ("codebuild:batchgetbuilds", _project("p", "eu-west-1")),
        },
    ),
    (
        "commands",
        _rule("Commands", {}, commands=["make check"]),
        {
            (f"logs:{a}", arn)
            for a in ("createloggroup", "createlogstream", "putlogevents")
            for arn in (LOG_GROUP, f"{LOG_GROUP}:*")
        },
    ),
    ("deployment-window", _rule("DeploymentWindow", {"Cron": "0 0 9 ? * MON *"}), set()),
    (
        "lambda-name",
        _rule("LambdaInvoke", {"FunctionName": "gate"}),
        {("lambda:invokefunction", f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:gate")},
    ),
    (
        "lambda-alias",
        _rule("LambdaInvoke", {"FunctionName": "gate:live"}),
        {("lambda:invokefunction", f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:gate:live")},
    ),
    (
        "lambda-arn",
        _rule("LambdaInvoke", {"FunctionName": DECIDER}),
        {("lambda:invokefunction", DECIDER)},
    ),
    (
        "variable-check",
        _rule(
            "VariableCheck",
            {"Variable": "#{variables.DeployTarget}", "Operator": "EQ", "Value": "prod"},
        ),
        set(),
    ),
]


@pytest.mark.parametrize(("rule", "expected"), [pytest.param(*c[1:], id=c[0]) for c in RULE_CASES])
def test_each_rule_type(rule: dict[str, Any], expected: set[tuple[str, str]]) -> None:
    _pipeline, result = _compute(_with_rule(rule))
    assert _of_rule(grants_of(result.statements), "Check") == expected
    assert not [
        f
        for f in result.findings
        if f.path.startswith(CHECK_AT) and f.finding_type is not FindingType.SUGGESTION
    ]


@pytest.mark.parametrize("where", ["beforeEntry", "onSuccess", "onFailure"])
def test_a_rule_role_takes_the_rule_permissions_wherever_the_rule_sits(where: str) -> None:
    role = f"arn:aws:iam::{ACCOUNT}:role/alarm-reader"
    rule = _rule("CloudWatchAlarm", {"AlarmName": "a", "AlarmStates": "OK"}, roleArn=role)
    _pipeline, result = _compute(_with_rule(rule, where))
    assert _of_rule(grants_of(result.statements), "Check") == {("sts:assumerole", role)}
    (on_role,) = result.action_roles
    assert on_role.role_arn == role
    assert set(grants_of(on_role.statements)) == {
        ("cloudwatch:describealarms", f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:a")
    }


def test_an_unknown_rule_type_is_an_error_not_silence() -> None:
    _pipeline, result = _compute(_with_rule(_rule("ShellScript", {"Script": "x"})))
    assert _of_rule(grants_of(result.statements), "Check") == set()
    (finding,) = [f for f in result.findings if f.code == "NO_PROFILE"]
    assert finding.finding_type is FindingType.ERROR
    assert finding.path == CHECK_AT
    assert "rule type `Rule/AWS/ShellScript/1`" in finding.message


def test_a_run_time_function_name_widens_with_a_finding() -> None:
    rule = _rule("LambdaInvoke", {"FunctionName": "#{variables.DeployTarget}-gate"})
    _pipeline, result = _compute(_with_rule(rule))
    assert _of_rule(grants_of(result.statements), "Check") == {
        ("lambda:invokefunction", f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:*-gate")
    }
    assert ("UNRESOLVED_VARIABLE", f"{CHECK_AT}/configuration/FunctionName") in {
        (f.code, f.path) for f in result.findings
    }


def test_a_missing_alarm_name_is_an_error_at_the_rule() -> None:
    _pipeline, result = _compute(_with_rule(_rule("CloudWatchAlarm", {"AlarmStates": "OK"})))
    assert ("MISSING_CONFIGURATION", f"{CHECK_AT}/configuration/AlarmName") in {
        (f.code, f.path) for f in result.findings if f.finding_type is FindingType.ERROR
    }


# --- property: every rule with permissions contributes them, and every reason is a real rule ---

PROVIDERS = {
    "CloudWatchAlarm": {"AlarmName": "alarm", "AlarmStates": "OK"},
    "CodeBuild": {"ProjectName": "project"},
    "Commands": {},
    "DeploymentWindow": {"Cron": "0 0 9 ? * MON *"},
    "LambdaInvoke": {"FunctionName": "fn"},
    "VariableCheck": {"Variable": "#{variables.DeployTarget}", "Operator": "EQ", "Value": "x"},
    "Unlisted": {"Anything": "x"},
}
_names = st.text("abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=12)


@st.composite
def generated_rules(draw: st.DrawFn) -> dict[str, Any]:
    provider = draw(st.sampled_from(sorted(PROVIDERS)))
    configuration = {k: f"{v}-{draw(_names)}" for k, v in PROVIDERS[provider].items()}
    if provider == "CodeBuild" and draw(st.booleans()):
        configuration["BatchEnabled"] = draw(st.sampled_from(["true", "false", "TRUE"]))
    if provider == "VariableCheck":
        configuration["Operator"] = "EQ"
    rule = _rule(provider, configuration)
    if provider == "Commands":
        rule["commands"] = ["true"]
    if draw(st.booleans()):
        rule["roleArn"] = f"arn:aws:iam::{ACCOUNT}:role/{draw(_names)}"
    if draw(st.booleans()):
        rule["region"] = draw(st.sampled_from(["us-west-2", "eu-central-1"]))
    return rule


@st.composite
def pipelines_with_rules(draw: st.DrawFn) -> dict[str, Any]:
    doc = copy.deepcopy(WEB_APP)
    for stage in doc["pipeline"]["stages"][1:]:
        for kind in ("beforeEntry", "onSuccess", "onFailure"):
            stage.pop(kind, None)
            rules = draw(st.lists(generated_rules(), max_size=3))
            if rules:
                for i, rule in enumerate(rules):
                    rule["name"] = f"{stage['name']}-{kind}-{i}-{draw(_names)}"
                stage[kind] = {"conditions": [{"result": "FAIL", "rules": rules}]}
    return doc


@settings(max_examples=examples(60), deadline=None)
@given(document=pipelines_with_rules())
def test_every_rule_contributes_its_statements_and_every_reason_names_a_rule(
    document: dict[str, Any],
) -> None:
    pipeline, result = _compute(document)
    profiles = shipped_profiles()
    rules = {rule.pointer: rule for _stage, rule in pipeline.rules()}
    statements = [*result.statements, *(s for role in result.action_roles for s in role.statements)]
    reasons = [r for s in statements for r in s.required_by if r.rule is not None]
    for reason in reasons:
        rule = rules.get(reason.pointer)
        assert rule is not None, reason
        assert rule.name == reason.rule, reason
    given_by = {(r.pointer, r.profile_statement) for r in reasons}
    no_profile = {f.path for f in result.findings if f.code == "NO_PROFILE"}
    for pointer, rule in rules.items():
        profile = profiles.get(rule.type)
        if profile is None:
            assert pointer in no_profile
            continue
        for template in profile.statements:
            if trigger_holds(template.when, rule.configuration) is False:
                continue
            assert (pointer, template.id) in given_by, (rule.name, template.id)
        if rule.role_arn and profile.statements:
            on_role = next(r for r in result.action_roles if r.role_arn == rule.role_arn)
            assert any(any(r.pointer == pointer for r in s.required_by) for s in on_role.statements)


def test_triggers_variables_retry_and_rollback_add_no_permission(example: ComputeResult) -> None:
    # Rules reference §6-§7: a trigger runs through its source action's connection, which that
    # action's profile already grants; variables, retry and automatic rollback need nothing.
    bare = copy.deepcopy(WEB_APP)
    del bare["pipeline"]["triggers"], bare["pipeline"]["variables"]
    del bare["pipeline"]["stages"][1]["onFailure"]
    rolling_back = copy.deepcopy(WEB_APP)
    rolling_back["pipeline"]["stages"][1]["onFailure"] = {"result": "ROLLBACK"}
    for document in (bare, rolling_back):
        assert _compute(document)[1].document == example.document
    connection = {key for key in grants_of(example.statements) if key[1] == CONNECTION}
    assert {action for action, _ in connection} == {
        "codeconnections:useconnection",
        "codestar-connections:useconnection",
    }
