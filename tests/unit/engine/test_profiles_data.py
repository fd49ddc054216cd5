"""The shipped profiles: complete, cited, dated, naming exact IAM actions, every broad or
escalating grant with its stated reason."""

from __future__ import annotations

from typing import Any

import pytest

from app.engine.pipeline.model import ActionTypeKey
from app.engine.pipeline.rule_providers import RULE_PROVIDERS
from app.engine.profile_grants import grant_issues
from app.engine.profile_schema import validate_document
from app.service.catalog_import import default_catalog
from app.service.profile_checks import check_grants
from app.service.profile_files import profile_files

from .profile_fixtures import shipped_profiles

REQUIRED = [
    ("Source", "AWS", "S3"),
    ("Source", "AWS", "CodeCommit"),
    ("Source", "AWS", "ECR"),
    ("Source", "AWS", "CodeStarSourceConnection"),
    ("Source", "ThirdParty", "GitHub"),
    ("Build", "AWS", "CodeBuild"),
    ("Test", "AWS", "CodeBuild"),
    ("Build", "AWS", "ECRBuildAndPublish"),
    ("Test", "AWS", "DeviceFarm"),
    ("Deploy", "AWS", "S3"),
    ("Deploy", "AWS", "CloudFormation"),
    ("Deploy", "AWS", "CloudFormationStackSet"),
    ("Deploy", "AWS", "CloudFormationStackInstances"),
    ("Deploy", "AWS", "CodeDeploy"),
    ("Deploy", "AWS", "CodeDeployToECS"),
    ("Deploy", "AWS", "ECS"),
    ("Deploy", "AWS", "EKS"),
    ("Deploy", "AWS", "EC2"),
    ("Deploy", "AWS", "Lambda"),
    ("Deploy", "AWS", "ElasticBeanstalk"),
    ("Deploy", "AWS", "OpsWorks"),
    ("Deploy", "AWS", "ServiceCatalog"),
    ("Deploy", "AWS", "AppConfig"),
    ("Approval", "AWS", "Manual"),
    ("Invoke", "AWS", "Lambda"),
    ("Invoke", "AWS", "StepFunctions"),
    ("Invoke", "AWS", "InspectorScan"),
    ("Invoke", "AWS", "CodePipeline"),
    ("Compute", "AWS", "Commands"),
    ("Rule", "AWS", "CloudWatchAlarm"),
    ("Rule", "AWS", "CodeBuild"),
    ("Rule", "AWS", "Commands"),
    ("Rule", "AWS", "DeploymentWindow"),
    ("Rule", "AWS", "LambdaInvoke"),
    ("Rule", "AWS", "VariableCheck"),
    ("Pipeline", "AWS", "ArtifactStore"),
    ("Pipeline", "AWS", "ActionRole"),
]


@pytest.mark.parametrize(("category", "owner", "provider"), REQUIRED)
def test_every_action_type_has_a_profile(category: str, owner: str, provider: str) -> None:
    assert shipped_profiles().get(ActionTypeKey(category, owner, provider, "1")) is not None


def test_file_names_match_keys() -> None:
    for data in profile_files():
        key = shipped_profiles()
        stem = data.path.stem
        assert any(k.file_stem == stem for k in key.profiles), stem


@pytest.mark.parametrize("key", sorted(shipped_profiles().profiles), ids=lambda k: k.label)
def test_statements_cite_and_name_exact_catalogue_actions(key: ActionTypeKey) -> None:
    catalog = default_catalog()
    profile = shipped_profiles().profiles[key]
    for statement in profile.statements:
        assert statement.source.url.startswith("https://")
        assert statement.impact is not None, statement.id
        for action in statement.actions:
            info = catalog.action(action)
            assert info is not None, f"{key.label} {statement.id}: `{action}` is not an action"
            assert info.name == action, f"{key.label} {statement.id}: `{action}` is a pattern"


@pytest.mark.parametrize("key", sorted(shipped_profiles().profiles), ids=lambda k: k.label)
def test_every_profile_is_dated(key: ActionTypeKey) -> None:
    assert shipped_profiles().profiles[key].supported_since is not None


@pytest.mark.parametrize("data", list(profile_files()), ids=lambda d: d.path.name)
def test_every_file_passes_the_catalogue_checks_of_the_seed(data: Any) -> None:
    document = validate_document(data.document, pointer=data.path.name)
    check_grants(document, default_catalog(), reasoned_grants_allowed=True)
    # ... and each grant that needs a reason is one the file states, not one let through.
    for issue in grant_issues(document, default_catalog()):
        assert issue.needs_reason, issue
        assert issue.reasoned, issue


def test_the_files_state_reasons_only_where_a_grant_needs_one() -> None:
    for data in profile_files():
        document = validate_document(data.document)
        needing = {i.pointer.split("/")[2] for i in grant_issues(document, default_catalog())}
        for i, statement in enumerate(document.statements):
            assert (statement.risk_reason is not None) == (str(i) in needing), (
                f"{data.path.name} {statement.id}"
            )


def test_every_rule_provider_has_a_profile_and_no_other() -> None:
    rule_types = {k.provider for k in shipped_profiles().profiles if k.category == "Rule"}
    assert rule_types == set(RULE_PROVIDERS)


def test_rule_profiles_name_exact_actions() -> None:
    for key, profile in shipped_profiles().profiles.items():
        if key.category != "Rule":
            continue
        for statement in profile.statements:
            assert not any("*" in a or "?" in a for a in statement.actions), statement.id


def test_pass_role_always_carries_passed_to_service() -> None:
    for profile in shipped_profiles().profiles.values():
        for statement in profile.statements:
            if "iam:PassRole" in statement.actions:
                blocks = (statement.condition or {}).values()
                keys = {k.text.lower() for block in blocks for k in block}
                assert "iam:passedtoservice" in keys, f"{profile.key.label} {statement.id}"
