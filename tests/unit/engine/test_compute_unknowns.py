"""Compute with values it does not know: valid statements, findings where the gap is, and the
resources whose `*` stands for an unknown name marked unverifiable."""

from __future__ import annotations

from typing import Any

import pytest

from app.engine.budget import WorkBudget, WorkLimitExceededError, WorkLimits
from app.engine.compute import ComputeContext, ComputeResult, HintTarget, compute_policy
from app.engine.pipeline.api_json import parse_pipeline_json
from app.engine.pipeline.detect import parse_pipeline_source

from .profile_fixtures import shipped_profiles

ROLE = "arn:aws:iam::111122223333:role/pipeline"
EXACT_OPERATORS = ("StringEquals", "ArnEquals", "StringNotEquals", "ArnNotEquals")


def pipeline_document(
    *,
    role: str = ROLE,
    bucket: str = "artifacts",
    actions: list[dict[str, Any]] | None = None,
    source: dict[str, Any] | None = None,
) -> dict[str, Any]:
    source = source or {
        "name": "Source",
        "actionTypeId": {
            "category": "Source",
            "owner": "AWS",
            "provider": "CodeCommit",
            "version": "1",
        },
        "configuration": {"RepositoryName": "repo", "BranchName": "main"},
        "outputArtifacts": [{"name": "src"}],
    }
    return {
        "pipeline": {
            "name": "web",
            "roleArn": role,
            "artifactStore": {"type": "S3", "location": bucket},
            "stages": [
                {"name": "Source", "actions": [source]},
                {
                    "name": "Build",
                    "actions": actions
                    or [
                        {
                            "name": "Build",
                            "actionTypeId": {
                                "category": "Build",
                                "owner": "AWS",
                                "provider": "CodeBuild",
                                "version": "1",
                            },
                            "configuration": {"ProjectName": "build"},
                            "inputArtifacts": [{"name": "src"}],
                        }
                    ],
                },
            ],
        }
    }


def compute(document: dict[str, Any], **context: str) -> ComputeResult:
    pipeline, _ = parse_pipeline_json(document, "/pipelines/0")
    return compute_policy([pipeline], shipped_profiles(), context=ComputeContext(**context))


def exact_values(result: ComputeResult) -> list[str]:
    out = []
    for stmt in result.statements:
        for operator, block in (stmt.condition or {}).items():
            if operator.split(":")[-1].removesuffix("IfExists") in EXACT_OPERATORS:
                for value in block.values():
                    out.extend([value] if isinstance(value, str) else value)
    return out


@pytest.mark.parametrize(
    ("role", "context"),
    [
        ("arn:aws:iam::*:role/pipeline", {}),
        ("${aws_iam_role.pipeline.arn}", {}),
        ("not-an-arn", {"region": "eu-west-1"}),
    ],
)
def test_an_unknown_account_never_puts_a_wildcard_under_an_exact_operator(
    role: str, context: dict[str, str]
) -> None:
    result = compute(pipeline_document(role=role), **context)
    assert all("*" not in v for v in exact_values(result))
    widened = [f for f in result.findings if f.code == "CONDITION_WIDENED"]
    assert widened, "dropping the account test must be said"
    assert {f.path for f in widened} == {"/pipelines/0/pipeline/roleArn"}
    assert all("context.account" in f.message for f in widened)


def test_a_known_account_keeps_the_resource_account_test() -> None:
    result = compute(pipeline_document())
    artifact = [s for s in result.statements if "arn:aws:s3:::artifacts/*" in s.resources]
    assert artifact
    for stmt in artifact:
        assert stmt.condition == {"StringEquals": {"aws:ResourceAccount": "111122223333"}}
    assert not [f for f in result.findings if f.code == "CONDITION_WIDENED"]


def test_the_account_from_the_context_restores_the_test() -> None:
    result = compute(pipeline_document(role="arn:aws:iam::*:role/p"), account="444455556666")
    assert "444455556666" in exact_values(result)
    assert not [f for f in result.findings if f.code == "CONDITION_WIDENED"]


TEMPLATE = """
Resources:
  Build:
    Type: AWS::CodeBuild::Project
    Properties: {}
  Pipeline:
    Type: AWS::CodePipeline::Pipeline
    Properties:
      RoleArn: arn:aws:iam::111122223333:role/pipeline
      ArtifactStore: {Type: S3, Location: artifacts}
      Stages:
        - Name: Source
          Actions:
            - Name: Source
              ActionTypeId: {Category: Source, Owner: AWS, Provider: CodeCommit, Version: "1"}
              Configuration: {RepositoryName: repo, BranchName: main}
              OutputArtifacts: [{Name: src}]
        - Name: Build
          Actions:
            - Name: Build
              ActionTypeId: {Category: Build, Owner: AWS, Provider: CodeBuild, Version: "1"}
              Configuration: {ProjectName: !Ref Build}
              InputArtifacts: [{Name: src}]
"""


def test_a_name_the_template_does_not_give_is_unverifiable_not_a_wildcard_grant() -> None:
    parsed = parse_pipeline_source(TEMPLATE)
    result = compute_policy(parsed.pipelines, shipped_profiles())
    project = [s for s in result.statements if any("project/" in r for r in s.resources)]
    assert project
    for stmt in project:
        assert stmt.unverifiable == frozenset(stmt.resources)
    known = [s for s in result.statements if "arn:aws:s3:::artifacts/*" in s.resources]
    assert known
    assert all(not s.unverifiable for s in known)


def test_a_missing_hint_fallback_is_unverifiable() -> None:
    deploy = {
        "name": "Deploy",
        "actionTypeId": {"category": "Deploy", "owner": "AWS", "provider": "ECS", "version": "1"},
        "configuration": {"ClusterName": "c", "ServiceName": "s"},
        "inputArtifacts": [{"name": "src"}],
    }
    result = compute(pipeline_document(actions=[deploy]), region="eu-west-1")
    pass_role = [s for s in result.statements if "iam:PassRole" in s.actions]
    assert pass_role
    assert all(s.unverifiable for s in pass_role)


def test_merged_statements_name_every_profile_statement_they_hold() -> None:
    result = compute(pipeline_document(), region="eu-west-1")
    for stmt in result.statements:
        named = {(r.action_type.provider, r.profile_statement) for r in stmt.required_by}
        if len(named) <= 3:
            for provider, statement in named:
                assert provider.replace("-", "") in stmt.sid, stmt.sid
                assert statement in stmt.sid, stmt.sid
        else:
            assert stmt.sid.endswith("More"), stmt.sid


@pytest.mark.parametrize("length", [7_000, 20_000, 100_000])
def test_a_statement_too_large_to_split_is_an_error(length: int) -> None:
    actions = [
        {
            "name": "Build",
            "actionTypeId": {
                "category": "Build",
                "owner": "AWS",
                "provider": "CodeBuild",
                "version": "1",
            },
            "configuration": {"ProjectName": "p" * length},
            "inputArtifacts": [{"name": "src"}],
        }
    ]
    result = compute(pipeline_document(actions=actions), region="eu-west-1")
    codes = {f.code for f in result.findings}
    assert "POLICY_PART_OVER_QUOTA" in codes


@pytest.mark.parametrize(("pipelines", "too_many"), [(20, False), (300, True)])
def test_more_parts_than_a_role_may_attach_is_an_error(pipelines: int, too_many: bool) -> None:
    parsed = []
    for i in range(pipelines):
        doc = pipeline_document(bucket=f"artifacts-{i:04d}-{'x' * 40}")
        doc["pipeline"]["name"] = f"web{i}"
        build = doc["pipeline"]["stages"][1]["actions"][0]
        build["configuration"]["ProjectName"] = f"build-{i:04d}-{'y' * 40}"
        parsed.append(parse_pipeline_json(doc, f"/pipelines/{i}")[0])
    result = compute_policy(parsed, shipped_profiles(), context=ComputeContext(region="eu-west-1"))
    codes = {f.code for f in result.findings}
    assert ("TOO_MANY_MANAGED_POLICIES" in codes) is too_many
    assert ("TOO_MANY_MANAGED_POLICIES" in codes) == (len(result.split_documents) > 10)


@pytest.mark.parametrize("roles", [10, 1_000, 20_000])
def test_what_compute_renders_is_charged_to_the_request_budget(roles: int) -> None:
    deploy = {
        "name": "Deploy",
        "actionTypeId": {"category": "Deploy", "owner": "AWS", "provider": "ECS", "version": "1"},
        "configuration": {"ClusterName": "c", "ServiceName": "s"},
        "inputArtifacts": [{"name": "src"}],
    }
    pipeline, _ = parse_pipeline_json(pipeline_document(actions=[deploy]), "/pipelines/0")
    hints = {HintTarget("web", "Build", "Deploy"): {"pass_roles": [f"r{i}" for i in range(roles)]}}
    budget = WorkBudget(WorkLimits(items=5_000))
    if roles < 5_000:
        compute_policy([pipeline], shipped_profiles(), hints=hints, budget=budget)
        assert 0 < budget.items < 5_000
    else:
        with pytest.raises(WorkLimitExceededError) as raised:
            compute_policy([pipeline], shipped_profiles(), hints=hints, budget=budget)
        assert raised.value.pointer == "/pipelines/0/pipeline/stages/1/actions/0"


@pytest.mark.parametrize(
    ("configuration", "named"),
    [({"ProjectName": "b"}, False), ({"ProjectName": "b", "BatchEnabled": "true"}, True)],
)
def test_a_pitfall_is_named_only_where_it_may_apply(
    configuration: dict[str, str], named: bool
) -> None:
    build = {
        "name": "Build",
        "actionTypeId": {
            "category": "Build",
            "owner": "AWS",
            "provider": "CodeBuild",
            "version": "1",
        },
        "configuration": configuration,
        "inputArtifacts": [{"name": "src"}],
    }
    result = compute(pipeline_document(actions=[build]), region="eu-west-1")
    pitfalls = [f.message for f in result.findings if f.code == "PROVIDER_PITFALL"]
    assert any("BatchEnabled true" in m for m in pitfalls) is named
    assert any("propagation delay" in m for m in pitfalls)  # the one without a trigger
