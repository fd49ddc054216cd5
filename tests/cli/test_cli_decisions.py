"""The decision commands on local files, in process, with CI exit codes."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from app.cli import cli
from app.engine.findings import FindingType

from ..unit.engine.companions.scenario import ROLE_B, cross_account_pipeline
from .sources import CLOUDFORMATION

# Each case runs a command in process, the app started anew: left out of `make test-fast`.
pytestmark = pytest.mark.slow

runner = CliRunner()


@pytest.fixture(autouse=True)
def _seeded_database(seeded_sqlite_url: str, use_database: Callable[[str], None]) -> None:
    use_database(seeded_sqlite_url)


@pytest.fixture(scope="module")
def examples(shared_dir: Path) -> Path:
    return shared_dir / "examples"


def test_diff_of_the_legacy_policy_fails_and_names_what_is_missing(examples: Path) -> None:
    result = runner.invoke(
        cli,
        [
            "diff",
            "--current",
            str(examples / "legacy-default-policy-2019.json"),
            str(examples / "reference-pipeline.json"),
            "-o",
            "table",
        ],
    )
    assert result.exit_code == 1, result.output
    assert "MISSING codecommit:GetRepository" in result.output
    assert "kms:Decrypt" in result.output


def test_diff_with_a_sufficient_policy_passes(examples: Path, tmp_path: Path) -> None:
    computed = runner.invoke(cli, ["compute", str(examples / "reference-pipeline.json")])
    assert computed.exit_code == 0, computed.output
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps(json.loads(computed.stdout)["policy"]))
    result = runner.invoke(
        cli, ["diff", "--current", str(policy), str(examples / "reference-pipeline.json")]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["verdict"] == "sufficient"


def test_compute_as_terraform(examples: Path) -> None:
    result = runner.invoke(
        cli, ["compute", str(examples / "reference-pipeline.json"), "-o", "terraform"]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("# Findings: ")  # the findings come with the snippet
    assert 'resource "aws_iam_policy"' in result.stdout
    assert 'resource "aws_iam_role_policy_attachment"' in result.stdout


@pytest.mark.parametrize("output", ["cloudformation", "terraform"])
def test_fail_on_holds_for_rendered_outputs(
    output: str, tmp_path: Path, invoke: Callable[..., Result]
) -> None:
    template = tmp_path / "pipeline.yaml"
    template.write_text(CLOUDFORMATION)
    rendered = invoke("compute", "-o", output, template)
    assert rendered.exit_code == 0, rendered.output
    failed = invoke("compute", "-o", output, "--fail-on", "WARNING", template)
    assert failed.exit_code == 1, failed.output
    assert failed.stdout == rendered.stdout


def test_evaluate_exit_codes(examples: Path) -> None:
    legacy = str(examples / "legacy-default-policy-2019.json")
    allowed = runner.invoke(cli, ["evaluate", legacy, "--action", "ec2:RunInstances"])
    assert allowed.exit_code == 0, allowed.output
    denied = runner.invoke(cli, ["evaluate", legacy, "--action", "iam:CreateUser", "-o", "table"])
    assert denied.exit_code == 1
    assert "implicitly_denied" in denied.output
    passed = runner.invoke(
        cli,
        [
            "evaluate",
            legacy,
            "--action",
            "iam:PassRole",
            "--resource",
            "arn:aws:iam::1:role/x",
            "--context",
            "iam:PassedToService=ecs.amazonaws.com",
        ],
    )
    assert passed.exit_code == 1


def test_evaluate_with_an_authorization_context_names_the_deciding_layer(tmp_path: Path) -> None:
    policy = tmp_path / "policy.json"
    policy.write_text(
        json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
            }
        )
    )
    layers = tmp_path / "layers.json"
    layers.write_text(
        json.dumps(
            {
                "principal": {"arn": "arn:aws:iam::111111111111:user/u", "type": "user"},
                "permissions_boundary": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "OnlyReads",
                            "Effect": "Allow",
                            "Action": "s3:Get*",
                            "Resource": "*",
                            "Notes": "reads only",
                        },
                    ],
                },
            },
            indent=2,
        )
    )
    ask = ["evaluate", str(policy), "--authorization-context", str(layers), "-o", "table"]
    ask += ["--resource", "arn:aws:s3:::bucket-a/k", "--resource-account", "111111111111"]
    allowed = runner.invoke(cli, [*ask, "--action", "s3:GetObject"])
    assert allowed.exit_code == 0, allowed.output
    assert allowed.stdout.startswith("allowed by identity"), allowed.stdout
    # The strict reader's finding on the boundary is located in the context file, at its line.
    assert f"{layers}:14 at /permissions_boundary/Statement/0/Notes" in allowed.output
    denied = runner.invoke(cli, [*ask, "--action", "s3:PutObject"])
    assert denied.exit_code == 1, denied.output
    assert denied.stdout.startswith("implicitly_denied by boundary"), denied.stdout


def test_an_authorization_context_with_another_field_is_bad_input(tmp_path: Path) -> None:
    layers = tmp_path / "layers.json"
    layers.write_text(json.dumps({"requests": []}))
    result = runner.invoke(
        cli,
        [
            "evaluate",
            "/dev/null",
            "--action",
            "s3:GetObject",
            "--authorization-context",
            str(layers),
        ],
    )
    assert result.exit_code == 2
    assert "`requests` is not one of" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["compute", "/nonexistent/*.json"],
        ["diff", "/dev/null"],
        ["evaluate", "/dev/null", "--action", "s3:GetObject", "--context", "novalue"],
    ],
)
def test_bad_usage_or_input_exits_2(args: list[str]) -> None:
    assert runner.invoke(cli, args).exit_code == 2


def test_unreadable_pipeline_exits_2_naming_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("Resources: [")
    result = runner.invoke(cli, ["compute", str(bad)])
    assert result.exit_code == 2
    assert f"{bad}: the template cannot be read" in result.stderr


LEVELS = [t.value for t in FindingType]


@pytest.mark.parametrize("command", ["compute", "validate"])
def test_an_unknown_fail_on_level_is_bad_usage_that_lists_the_levels(
    command: str, examples: Path, invoke: Callable[..., Result]
) -> None:
    result = invoke(command, "--fail-on", "CRITICAL", examples / "reference-pipeline.json")
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)  # a usage error, no traceback
    assert "Traceback" not in result.output
    assert "'CRITICAL' is not one of" in result.output
    assert all(f"'{level}'" in result.output for level in LEVELS)


@pytest.mark.parametrize(
    ("command", "choices"),
    [
        ("compute", ["json", "table", "cloudformation", "terraform"]),
        ("diff", ["json", "table", "cloudformation", "terraform"]),
        ("validate", ["json", "table"]),
        ("evaluate", ["json", "table"]),
    ],
)
def test_help_lists_the_levels_and_outputs(
    command: str, choices: list[str], invoke: Callable[..., Result]
) -> None:
    result = invoke(command, "--help")
    assert result.exit_code == 0, result.output
    if command in ("compute", "validate"):
        assert "|".join(LEVELS) in result.output
    assert f"[{'|'.join(choices)}]" in result.output or f"<{'|'.join(choices)}>" in result.output


@pytest.mark.parametrize(
    ("level", "exit_code"),
    [("ERROR", 0), ("SECURITY_WARNING", 0), ("WARNING", 1), ("SUGGESTION", 1)],
)
def test_fail_on_fails_at_or_above_the_level(
    level: str, exit_code: int, tmp_path: Path, invoke: Callable[..., Result]
) -> None:
    # The template leaves its build project to a parameter: a WARNING, and suggestions.
    template = tmp_path / "pipeline.yaml"
    template.write_text(CLOUDFORMATION)
    result = invoke("compute", "--fail-on", level, template)
    assert result.exit_code == exit_code, result.output
    types = {f["finding_type"] for f in json.loads(result.stdout)["findings"]}
    assert types == {"WARNING", "SUGGESTION"}


OWN_ROLE_TEMPLATE = """
Resources:
  Unnamed:
    Type: AWS::CodeBuild::Project
    Properties: {}
  Artifacts:
    Type: AWS::S3::Bucket
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {}
      Policies:
        - PolicyName: p
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Action: [codecommit:GetBranch]
                Resource: "*"
  Pipeline:
    Type: AWS::CodePipeline::Pipeline
    Properties:
      RoleArn: !GetAtt Role.Arn
      ArtifactStore: {Type: S3, Location: !Ref Artifacts}
      Stages:
        - Name: Source
          Actions:
            - Name: Src
              ActionTypeId: {Category: Source, Owner: AWS, Provider: CodeCommit, Version: "1"}
              Configuration: {RepositoryName: repo, BranchName: main}
              OutputArtifacts: [{Name: src}]
        - Name: Build
          Actions:
            - Name: B
              ActionTypeId: {Category: Build, Owner: AWS, Provider: CodeBuild, Version: "1"}
              Configuration: {ProjectName: !Ref Unnamed}
              InputArtifacts: [{Name: src}]
"""


def test_the_stack_name_reaches_the_sources(tmp_path: Path, invoke: Callable[..., Result]) -> None:
    template = tmp_path / "pipeline.yaml"
    template.write_text(OWN_ROLE_TEMPLATE)
    named = invoke("compute", "-o", "json", "--stack-name", "web-prod", template)
    assert named.exit_code == 0, named.output
    resources = {r for s in json.loads(named.stdout)["statements"] for r in s["resources"]}
    assert any(r.startswith("arn:aws:s3:::web-prod-artifacts-") for r in resources)


def test_diff_against_the_policies_the_template_defines(
    tmp_path: Path, invoke: Callable[..., Result]
) -> None:
    template = tmp_path / "pipeline.yaml"
    template.write_text(OWN_ROLE_TEMPLATE)
    result = invoke("diff", "--from-sources", "-o", "json", template)
    assert result.exit_code == 1, result.output  # the template's policy lacks most of it
    data = json.loads(result.stdout)
    assert data["verdict"] == "insufficient"
    assert all(not f["path"].startswith("/current/documents") for f in data["findings"])
    both = invoke("diff", "--from-sources", "--baseline", "legacy-2019", template)
    assert both.exit_code == 2


def test_diff_says_whether_the_pipeline_will_run(tmp_path: Path) -> None:
    """`--companions` and `--authorization-context`: the cross-account pipeline with every
    document compute gives runs; with a trust policy naming another principal it fails (exit 1)
    and the table names the layer and the impact."""
    pipeline = tmp_path / "pipeline.json"
    pipeline.write_text(json.dumps(cross_account_pipeline()))
    computed = json.loads(runner.invoke(cli, ["compute", str(pipeline)]).stdout)
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps(computed["policy"]))
    comparable = ("trust-policy", "bucket-policy", "key-policy")
    documents = computed["companions"]["documents"]
    companions = [
        {"kind": d["kind"], "target": d["target"], "document": d["policy"]}
        for d in documents
        if d["kind"] in comparable
    ]
    layers = tmp_path / "layers.json"
    layers.write_text(json.dumps({
        "resource_policies": {
            d["target"]: d["policy"] for d in documents if d["kind"] not in comparable},
        "action_roles": [
            {"role_arn": r["role_arn"], "documents": [r["policy"]]}
            for r in computed["action_roles"]],
    }))  # fmt: skip
    given = tmp_path / "companions.json"
    ask = ["diff", "--current", str(policy), str(pipeline), "--companions", str(given)]
    ask += ["--authorization-context", str(layers), "-o", "table"]

    given.write_text(json.dumps(companions))
    runs = runner.invoke(cli, ask)
    assert runs.exit_code == 0, runs.output
    assert "will run: runs" in runs.stdout

    wrong_trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "codedeploy.amazonaws.com"},
        "Action": "sts:AssumeRole"}]}  # fmt: skip
    kept = [c for c in companions if c["target"] != ROLE_B]
    given.write_text(json.dumps([*kept, {"kind": "trust-policy", "target": ROLE_B,
                                          "document": wrong_trust}], indent=2))  # fmt: skip
    fails = runner.invoke(cli, ask)
    assert fails.exit_code == 1, fails.output
    assert "will run: fails" in fails.stdout
    assert f"IMPLICITLY DENIED by resource: sts:AssumeRole on {ROLE_B}" in fails.stdout
    assert f"trust-policy of {ROLE_B}: insufficient" in fails.stdout
    assert "without it: FAST" in fails.stdout
