"""Pipelines to check the answers against each other: the corpus as it is, one pipeline per
shipped profile with its configuration keys set and unset, and pipelines hypothesis draws."""

from __future__ import annotations

import csv
import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from app.engine.placeholders import Placeholder
from app.engine.profiles import Profile, StatementTemplate
from tests.generated_pipelines import generated_pipelines
from tests.unit.engine.profile_fixtures import shipped_profiles

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
ACCOUNT = "111122223333"
OTHER_ACCOUNT = "444455556666"
REGION = "eu-west-1"

# A plausible value for each configuration key a profile reads; a key not listed gets a name.
SAMPLE_VALUES: Mapping[str, str] = {
    "ConnectionArn": f"arn:aws:codeconnections:{REGION}:{ACCOUNT}:connection/0a1b2c3d",
    "StateMachineArn": f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:flow",
    "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/deployer",
    "NotificationArn": f"arn:aws:sns:{REGION}:{ACCOUNT}:approvals",
    "KMSEncryptionKeyARN": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-12345678",
    "DevicePoolArn": f"arn:aws:devicefarm:us-west-2:{ACCOUNT}:devicepool:abc/def",
    "ProjectId": "0a1b2c3d-1111-2222-3333-444455556666",
    "AdministrationRoleArn": f"arn:aws:iam::{ACCOUNT}:role/stackset-admin",
    "FunctionName": "release-gate",
    "Alarms": "alarm-a,alarm-b",
    "EnvironmentVariables": '[{"name":"A","value":"1","type":"PLAINTEXT"}]',
    "Regions": "eu-west-1,us-east-1",
    "TargetGroupNameList": "tg-a,tg-b",
    "InstanceTagKey": "Name",
    "InstanceTagValue": "web",
    "ECRRepositoryName": "images",
    "RegistryType": "private",
}


@dataclass(frozen=True)
class Case:
    """Pipelines that share one role, as a compute request's members."""

    name: str
    pipelines: list[dict[str, Any]] = field(default_factory=list)
    sources: list[dict[str, Any]] = field(default_factory=list)
    context: dict[str, str] = field(default_factory=dict)
    hints: list[dict[str, Any]] = field(default_factory=list)

    def request(self) -> dict[str, Any]:
        return {
            "pipelines": self.pipelines,
            "sources": self.sources,
            "context": self.context,
            "hints": self.hints,
        }


def corpus_cases() -> list[Case]:
    manifest = CORPUS / "MANIFEST.tsv"
    if not manifest.is_file():
        return []
    with manifest.open(encoding="utf-8") as handle:
        names = [row["file"] for row in csv.DictReader(handle, delimiter="\t")]
    cases = []
    for name in names:
        text = (CORPUS / name).read_text(encoding="utf-8")
        cases.append(Case(name, sources=[{"body": text}]))
        cases.append(
            Case(
                f"{name}+context",
                sources=[{"body": text}],
                context={"account": ACCOUNT, "region": REGION},
            )
        )
    return cases


def _config_keys(template: StatementTemplate) -> set[str]:
    keys = set()
    texts = [*template.resources]
    for block in (template.condition or {}).values():
        for key_template, values in block.items():
            texts.extend([key_template, *values])
    for t in texts:
        for part in t.parts:
            if isinstance(part, Placeholder) and part.name.startswith("config."):
                keys.add(part.name.removeprefix("config."))
    return keys


def _trigger_choices(when: Any, out: dict[str, set[str]]) -> None:
    if not isinstance(when, Mapping):
        return
    for key in ("all", "any"):
        for item in when.get(key, ()):
            _trigger_choices(item, out)
    if "not" in when:
        _trigger_choices(when["not"], out)
    if "config" in when:
        values = out.setdefault(str(when["config"]), set())
        if "equals" in when:
            values.add(str(when["equals"]))
        for v in when.get("in", ()):
            values.add(str(v))


def _sample(key: str) -> str:
    return SAMPLE_VALUES.get(key, f"{key.lower()}-1")


def _action(profile: Profile, configuration: dict[str, str], name: str) -> dict[str, Any]:
    key = profile.key
    action: dict[str, Any] = {
        "name": name,
        "actionTypeId": {
            "category": key.category,
            "owner": key.owner,
            "provider": key.provider,
            "version": key.version,
        },
        "configuration": configuration,
    }
    if key.category != "Source":
        action["inputArtifacts"] = [{"name": "src"}]
    else:
        action["outputArtifacts"] = [{"name": "src"}]
    return action


SOURCE_ACTION = {
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


def pipeline(name: str, actions: list[dict[str, Any]], *, key: str | None = None) -> dict[str, Any]:
    sources = [a for a in actions if a["actionTypeId"]["category"] == "Source"]
    others = [a for a in actions if a["actionTypeId"]["category"] != "Source"]
    stages = [{"name": "Source", "actions": sources or [SOURCE_ACTION]}]
    if not others:
        others = [
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
        ]
    stages.append({"name": "Work", "actions": others})
    store: dict[str, Any] = {"type": "S3", "location": f"{name.lower()}-artifacts"}
    if key:
        store["encryptionKey"] = {"type": "KMS", "id": key}
    return {
        "pipeline": {
            "name": name,
            "pipelineType": "V2",
            "roleArn": f"arn:aws:iam::{ACCOUNT}:role/pipeline",
            "artifactStore": store,
            "stages": stages,
        }
    }


def action_profiles() -> list[Profile]:
    return [
        p
        for key, p in sorted(shipped_profiles().profiles.items())
        if key.category not in ("Pipeline", "Rule")
    ]


def profile_cases() -> Iterator[Case]:
    """Per shipped action or rule profile: the generated pipelines (tests/generated_pipelines.py)
    with every configuration key set, every trigger value, hints and an action role."""
    for key, profile in sorted(shipped_profiles().profiles.items()):
        if key.category == "Pipeline":
            continue  # rendered for every pipeline, so in every case
        for generated in generated_pipelines(profile):
            yield Case(generated.label, pipelines=[generated.document], hints=generated.hints)


def _configuration_strategy(profile: Profile) -> st.SearchStrategy[dict[str, str]]:
    keys: set[str] = set()
    choices: dict[str, set[str]] = {}
    for template in profile.statements:
        keys |= _config_keys(template)
        _trigger_choices(template.when, choices)
    entries: dict[str, st.SearchStrategy[str]] = {}
    for k in sorted(keys | set(choices)):
        options = [_sample(k), f"{k.lower()}-#{{variables.x}}", "****", f"{k.lower()}-2"]
        options.extend(sorted(choices.get(k, ())))
        entries[k] = st.sampled_from(options)
    return st.fixed_dictionaries({}, optional=entries)


@st.composite
def drawn_cases(draw: st.DrawFn) -> Case:
    """One to three pipelines of one to four actions each, drawn from every action profile,
    with the account and Region known or not and the artifact store keyed or not."""
    profiles = action_profiles()
    pipelines = []
    for i in range(draw(st.integers(1, 3))):
        chosen = draw(st.lists(st.sampled_from(profiles), min_size=1, max_size=4))
        actions = [
            _action(p, draw(_configuration_strategy(p)), f"A{j}") for j, p in enumerate(chosen)
        ]
        # Only one source action per output artifact name: rename the others' outputs.
        for j, a in enumerate(actions):
            if "outputArtifacts" in a:
                a["outputArtifacts"] = [{"name": "src" if j == 0 else f"out{j}"}]
        key = draw(
            st.sampled_from([None, f"arn:aws:kms:{REGION}:{ACCOUNT}:key/k1", "alias/pipeline"])
        )
        pipelines.append(pipeline(f"P{i}", actions, key=key))
    context = draw(
        st.sampled_from([{}, {"region": REGION}, {"account": OTHER_ACCOUNT, "region": REGION}])
    )
    return Case("drawn", pipelines=pipelines, context=context)


def combinations(*groups: list[Case]) -> list[Case]:
    return list(itertools.chain(*groups))


HOME, AWAY = "us-east-1", "eu-west-1"
PIPELINE_ROLE = f"arn:aws:iam::{ACCOUNT}:role/service-role/release"
OTHER_ACCOUNTS = ("222222222222", "333333333333", "444455556666")


def _cross_account_action(
    draw: st.DrawFn, j: int, account: str, accounts: list[str]
) -> dict[str, Any]:
    """An action of a provider that runs across accounts, its names in `account` (the account
    of the role it runs as), given by name or by ARN."""
    provider = draw(st.sampled_from(["CodeDeploy", "CloudFormation", "Lambda", "S3", "CodeBuild"]))
    category = {"Lambda": "Invoke", "CodeBuild": "Build"}.get(provider, "Deploy")
    configuration = {
        "CodeDeploy": {"ApplicationName": "app", "DeploymentGroupName": f"group{j}"},
        "S3": {"BucketName": f"site-{account}", "Extract": "true"},
        "CodeBuild": {"ProjectName": f"test{j}"},
        "CloudFormation": {
            "ActionMode": "CREATE_UPDATE",
            "StackName": f"stack{j}",
            "TemplatePath": "src::template.yaml",
            "RoleArn": draw(
                st.sampled_from(["stack-deployer", f"arn:aws:iam::{account}:role/stack-deployer"])
            ),
        },
        # A function of the role's own account by name, or of any account by ARN.
        "Lambda": {
            "FunctionName": draw(
                st.sampled_from(
                    ["smoke", *(f"arn:aws:lambda:{HOME}:{a}:function:smoke" for a in accounts)]
                )
            )
        },
    }[provider]
    action: dict[str, Any] = {
        "name": f"A{j}",
        "actionTypeId": {
            "category": category,
            "owner": "AWS",
            "provider": provider,
            "version": "1",
        },
        "configuration": configuration,
        "inputArtifacts": [{"name": "src"}],
    }
    if provider in ("CloudFormation", "CodeBuild") and draw(st.booleans()):
        action["outputArtifacts"] = [{"name": f"out{j}"}]
        if provider == "CloudFormation":
            configuration["OutputFileName"] = "outputs.json"
    return action


@st.composite
def cross_account_cases(draw: st.DrawFn) -> Case:
    """A pipeline of the account ACCOUNT in us-east-1 whose actions run as roles of one to three
    other accounts (or of its own, or as the service role), in one or two Regions, each Region's
    artifact store with a customer managed KMS key or without one."""
    others = list(draw(st.lists(st.sampled_from(OTHER_ACCOUNTS), min_size=1, max_size=3,
                                unique=True)))  # fmt: skip
    accounts = [ACCOUNT, *others]
    regions = [HOME, AWAY] if draw(st.booleans()) else [HOME]
    actions = []
    for j in range(draw(st.integers(1, 4))):
        account = draw(st.sampled_from([None, *accounts]))  # None: the service role
        action = _cross_account_action(draw, j, account or ACCOUNT, accounts)
        if account is not None:
            action["roleArn"] = f"arn:aws:iam::{account}:role/action-{j % 2}"
        region = draw(st.sampled_from(regions))
        if region != HOME or draw(st.booleans()):
            action["region"] = region
        actions.append(action)
    # Every other account's role is drawn at least once.
    acting = {a["roleArn"].split(":")[4] for a in actions if "roleArn" in a}
    for account in sorted(set(others) - acting):
        action = _cross_account_action(draw, len(actions), account, accounts)
        action["roleArn"] = f"arn:aws:iam::{account}:role/action-{account}"
        actions.append(action)

    def store(region: str) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "S3", "location": f"artifacts-{region}-{ACCOUNT}"}
        if draw(st.booleans()):
            key = f"arn:aws:kms:{region}:{ACCOUNT}:key/{region}-0000-1111-2222-333344445555"
            out["encryptionKey"] = {"type": "KMS", "id": key}
        return out

    document: dict[str, Any] = {
        "name": "release",
        "pipelineType": "V2",
        "roleArn": PIPELINE_ROLE,
        "stages": [
            {"name": "Source", "actions": [SOURCE_ACTION]},
            {"name": "Deploy", "actions": actions},
        ],
    }
    if len(regions) == 1 and draw(st.booleans()):
        document["artifactStore"] = store(HOME)
    else:
        document["artifactStores"] = {region: store(region) for region in regions}
    context = draw(st.sampled_from([{"account": ACCOUNT, "region": HOME}, {"region": HOME}]))
    return Case("cross-account", pipelines=[{"pipeline": document}], context=context)
