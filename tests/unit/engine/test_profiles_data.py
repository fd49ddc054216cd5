"""The shipped profiles: complete, cited, dated, naming exact IAM actions, every broad or
escalating grant with its stated reason, and the structure facts of every action and rule type."""

from __future__ import annotations

from typing import Any

import pytest

from app.engine.pipeline.model import ActionTypeKey
from app.engine.profile_grants import grant_issues
from app.engine.profile_schema import validate_document
from app.service.catalog_import import default_catalog
from app.service.profile_checks import check_grants
from app.service.profile_files import profile_files

from .profile_fixtures import shipped_compiled, shipped_profiles

REQUIRED = [
    ("Source", "AWS", "S3"),
    ("Source", "AWS", "CodeCommit"),
    ("Source", "AWS", "ECR"),
    ("Source", "AWS", "CodeStarSourceConnection"),
    ("Source", "ThirdParty", "GitHub"),
    ("Deploy", "ThirdParty", "AlexaSkillsKit"),
    ("Invoke", "ThirdParty", "Snyk"),
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
    ("Pipeline", "AWS", "ActionRoleInputArtifacts"),
    ("Pipeline", "AWS", "ActionRoleOutputArtifacts"),
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


RULE_PROVIDERS = {k[2] for k in REQUIRED if k[0] == "Rule"}
# No source dates when CodePipeline added these; each profile says so in a note.
UNDATED = {ActionTypeKey("Invoke", "ThirdParty", "Snyk", "1")}


@pytest.mark.parametrize("key", sorted(shipped_profiles().profiles), ids=lambda k: k.label)
def test_every_profile_is_dated(key: ActionTypeKey) -> None:
    profile = shipped_profiles().profiles[key]
    if key in UNDATED:
        assert profile.supported_since is None
        assert any("supported_since is null" in note for note in profile.notes)
    else:
        assert profile.supported_since is not None


def _resolved(data: Any) -> Any:
    """The file's document as the seed checks it (resolved with the one it extends)."""
    key = validate_document(data.document, pointer=data.path.name).action_type.key
    return shipped_compiled().documents[key]


@pytest.mark.parametrize("data", list(profile_files()), ids=lambda d: d.path.name)
def test_every_file_passes_the_catalogue_checks_of_the_seed(data: Any) -> None:
    document = _resolved(data)
    check_grants(document, default_catalog(), reasoned_grants_allowed=True, written=data.document)
    # ... and each grant that needs a reason is one the file states, not one let through.
    for issue in grant_issues(document, default_catalog()):
        assert issue.needs_reason, issue
        assert issue.reasoned, issue


def test_the_files_state_reasons_only_where_a_grant_needs_one() -> None:
    for data in profile_files():
        document = _resolved(data)
        needing = {i.pointer.split("/")[2] for i in grant_issues(document, default_catalog())}
        for i, statement in enumerate(document.statements):
            assert (statement.risk_reason is not None) == (str(i) in needing), (
                f"{data.path.name} {statement.id}"
            )


def test_every_rule_provider_has_a_profile_and_no_other() -> None:
    rule_types = {k.provider for k in shipped_profiles().profiles if k.category == "Rule"}
    assert rule_types == RULE_PROVIDERS
    assert set(shipped_profiles().known_types.rule_providers()) == RULE_PROVIDERS


@pytest.mark.parametrize("key", sorted(shipped_profiles().profiles), ids=lambda k: k.label)
def test_every_action_and_rule_type_states_its_structure(key: ActionTypeKey) -> None:
    # The Pipeline profiles are parts of every pipeline, not types an action or rule names.
    structure = shipped_profiles().profiles[key].structure
    assert (structure is None) == (key.category == "Pipeline"), key.label


def test_the_test_codebuild_profile_is_the_build_one_under_its_own_title() -> None:
    profiles = shipped_profiles().profiles
    build = profiles[ActionTypeKey("Build", "AWS", "CodeBuild", "1")]
    test = profiles[ActionTypeKey("Test", "AWS", "CodeBuild", "1")]
    assert test.extends == (build.key, build.revision)
    assert test.title != build.title
    assert test.statements == build.statements
    assert test.structure == build.structure
    assert test.sources == build.sources


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
