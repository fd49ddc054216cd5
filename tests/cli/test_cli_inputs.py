"""What the decision commands read: hints, CloudFormation parameters, Terraform variables, and
directories in which some files cannot be read."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import Result

from .sources import CLOUDFORMATION, TERRAFORM

# Each case runs a command in process, the app started anew: left out of `make test-fast`.
pytestmark = pytest.mark.slow

PROJECT_ARN = "arn:aws:codebuild:*:111122223333:project/my-build"
UNRESOLVED = "UNRESOLVED_TEMPLATE_VALUE"


@pytest.fixture(autouse=True)
def _seeded_database(seeded_sqlite_url: str, use_database: Callable[[str], None]) -> None:
    use_database(seeded_sqlite_url)


def _resources(answer: dict[str, Any]) -> set[str]:
    return {r for s in answer["statements"] for r in s["resources"]}


def _unresolved(answer: dict[str, Any]) -> list[str]:
    return [f["message"] for f in answer["findings"] if f["code"] == UNRESOLVED]


def _computed(invoke: Callable[..., Result], *args: str | Path) -> dict[str, Any]:
    result = invoke("compute", *args)
    assert result.exit_code == 0, result.output
    answer: dict[str, Any] = json.loads(result.stdout)
    return answer


@pytest.fixture
def template(tmp_path: Path) -> Path:
    path = tmp_path / "pipeline.yaml"
    path.write_text(CLOUDFORMATION)
    return path


@pytest.fixture
def terraform(tmp_path: Path) -> Path:
    path = tmp_path / "pipeline.tf"
    path.write_text(TERRAFORM)
    return path


def test_a_parameter_without_a_value_is_widened(
    template: Path, invoke: Callable[..., Result]
) -> None:
    answer = _computed(invoke, template)
    assert PROJECT_ARN not in _resources(answer)
    assert any("`ProjectName` has no Default" in m for m in _unresolved(answer))


PARAMETER_FILES: list[tuple[str, Any]] = [
    ("object", {"ProjectName": "my-build"}),
    ("create-stack list", [{"ParameterKey": "ProjectName", "ParameterValue": "my-build"}]),
    ("template configuration", {"Parameters": {"ProjectName": "my-build"}}),
]


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["--parameter", "ProjectName=my-build"], id="option"),
        *(pytest.param(["--parameters", shape], id=name) for name, shape in PARAMETER_FILES),
        pytest.param(
            ["--parameters", {"ProjectName": "other"}, "--parameter", "ProjectName=my-build"],
            id="option-over-file",
        ),
    ],
)
def test_cloudformation_parameters_are_given(
    args: list[Any], template: Path, tmp_path: Path, invoke: Callable[..., Result]
) -> None:
    argv: list[str | Path] = []
    for arg in args:
        if isinstance(arg, str):
            argv.append(arg)
        else:
            path = tmp_path / f"parameters-{len(argv)}.json"
            path.write_text(json.dumps(arg))
            argv.append(path)
    answer = _computed(invoke, *argv, template)
    assert PROJECT_ARN in _resources(answer)
    assert not any("ProjectName" in m for m in _unresolved(answer))


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("values.tfvars", 'project = "my-build"\n'),
        ("values.tfvars.json", '{"project": "my-build"}'),
    ],
)
def test_terraform_variables_are_given_in_a_file(
    name: str, text: str, terraform: Path, tmp_path: Path, invoke: Callable[..., Result]
) -> None:
    without = _computed(invoke, terraform)
    assert PROJECT_ARN not in _resources(without)
    assert any("`project` has no default" in m for m in _unresolved(without))
    var_file = tmp_path / name
    var_file.write_text(text)
    answer = _computed(invoke, "--var-file", var_file, terraform)
    assert PROJECT_ARN in _resources(answer)
    assert not _unresolved(answer)


def test_a_terraform_variable_option_wins_over_the_file(
    terraform: Path, tmp_path: Path, invoke: Callable[..., Result]
) -> None:
    var_file = tmp_path / "values.tfvars"
    var_file.write_text('project = "other"\n')
    answer = _computed(invoke, "--var-file", var_file, "--var", "project=my-build", terraform)
    assert PROJECT_ARN in _resources(answer)


def test_variables_reach_validate_and_diff(
    terraform: Path, tmp_path: Path, invoke: Callable[..., Result]
) -> None:
    validated = invoke("validate", "--var", "project=my-build", terraform)
    assert validated.exit_code == 0, validated.output
    assert not [
        f
        for f in json.loads(validated.stdout)[str(terraform)]["findings"]
        if f["code"] == UNRESOLVED
    ]
    policy = tmp_path / "policy.json"
    policy.write_text(
        json.dumps(_computed(invoke, "--var", "project=my-build", terraform)["policy"])
    )
    same = invoke("diff", "--current", policy, "--var", "project=my-build", terraform)
    assert same.exit_code == 0, same.output
    other = invoke("diff", "--current", policy, "--var", "project=other", terraform)
    assert other.exit_code == 1, other.output
    assert json.loads(other.stdout)["verdict"] == "insufficient"


def test_hints_are_given_in_a_file(
    examples: Path, tmp_path: Path, invoke: Callable[..., Result]
) -> None:
    roles = ["arn:aws:iam::111122223333:role/web-task", "arn:aws:iam::111122223333:role/web-exec"]
    hints = tmp_path / "hints.json"
    hints.write_text(
        json.dumps([{"stage": "Deploy", "action": "DeployService", "hints": {"pass_roles": roles}}])
    )
    pipeline = examples / "reference-pipeline.json"
    assert not set(roles) <= _resources(_computed(invoke, pipeline))
    assert set(roles) <= _resources(_computed(invoke, "--hints", hints, pipeline))


def test_a_hint_that_matches_no_action_is_located_in_the_hints_file(
    examples: Path, tmp_path: Path, invoke: Callable[..., Result]
) -> None:
    hints = tmp_path / "hints.json"
    hints.write_text(
        '[\n  {"stage": "Deploy", "action": "NoSuchAction",\n'
        '   "hints": {"pass_roles": ["arn:aws:iam::111122223333:role/x"]}}\n]\n'
    )
    answer = _computed(invoke, "--hints", hints, examples / "reference-pipeline.json")
    unmatched = [f for f in answer["findings"] if f["code"] == "HINT_UNMATCHED"]
    assert [(f["path"], f["file"], f["line"]) for f in unmatched] == [("/hints/0", str(hints), 2)]


@pytest.fixture
def examples(shared_dir: Path) -> Path:
    return shared_dir / "examples"


@pytest.mark.parametrize(
    ("option", "text", "message"),
    [
        ("--hints", "{not json", "is not JSON"),
        ("--hints", '{"stage": "Deploy"}', "a JSON list"),
        ("--parameters", "[1, 2]", "ParameterKey"),
        ("--parameters", '{"ProjectName": {"nested": 1}}', "`ProjectName`"),
        ("--var-file", "project = ", "cannot be read"),
    ],
)
def test_an_unreadable_option_file_is_bad_input_naming_it(
    option: str,
    text: str,
    message: str,
    template: Path,
    tmp_path: Path,
    invoke: Callable[..., Result],
) -> None:
    path = tmp_path / ("values.tfvars" if option == "--var-file" else "option.json")
    path.write_text(text)
    result = invoke("compute", option, path, template)
    assert result.exit_code == 2, result.output
    assert str(path) in result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize("option", ["--parameter", "--var"])
def test_a_value_option_without_a_name_is_bad_usage(
    option: str, template: Path, invoke: Callable[..., Result]
) -> None:
    result = invoke("compute", option, "novalue", template)
    assert result.exit_code == 2, result.output
    assert "`novalue` is not NAME=VALUE" in result.stderr


def test_a_hint_the_service_rejects_names_the_hints_file(
    template: Path, tmp_path: Path, invoke: Callable[..., Result]
) -> None:
    hints = tmp_path / "hints.json"
    hints.write_text('[{"stage": "Build", "hints": {}}]')
    result = invoke("compute", "--hints", hints, template)
    assert result.exit_code == 2, result.output
    assert f"{hints}:1 at /0" in result.stderr


# -- directories with files that cannot be read ---------------------------------------------------


@pytest.fixture
def mixed_directory(tmp_path: Path) -> dict[str, Path]:
    """A directory with one good template and files that cannot be read or parsed."""
    folder = tmp_path / "pipelines"
    folder.mkdir()
    files = {
        "good": folder / "a-good.yaml",
        "unparsable": folder / "b-unparsable.yaml",
        "not-utf8": folder / "c-not-utf8.json",
        "no-pipeline": folder / "d-no-pipeline.json",
        "dangling": folder / "e-dangling.yaml",
    }
    files["good"].write_text(CLOUDFORMATION)
    files["unparsable"].write_text("Resources: [\n")
    files["not-utf8"].write_bytes(b'{"pipeline": "\xff\xfe"}')
    files["no-pipeline"].write_text('{"Resources": {}}')
    files["dangling"].symlink_to(folder / "missing.yaml")
    return files


def _bad(files: dict[str, Path]) -> list[str]:
    return sorted(str(p) for key, p in files.items() if key != "good")


def test_a_directory_run_reports_each_unreadable_file_and_uses_the_others(
    mixed_directory: dict[str, Path], invoke: Callable[..., Result]
) -> None:
    folder = mixed_directory["good"].parent
    result = invoke("compute", "--parameter", "ProjectName=my-build", folder)
    assert result.exit_code == 2, result.output
    answer = json.loads(result.stdout)
    assert PROJECT_ARN in _resources(answer)  # the good file was computed
    unreadable = [f for f in answer["findings"] if f["code"] == "INPUT_UNREADABLE"]
    assert sorted(f["file"] for f in unreadable) == _bad(mixed_directory)
    assert all(f["finding_type"] == "ERROR" for f in unreadable)
    for path in _bad(mixed_directory):
        assert path in result.stderr


def test_a_directory_run_in_a_table_names_the_unreadable_files(
    mixed_directory: dict[str, Path], invoke: Callable[..., Result]
) -> None:
    result = invoke("compute", "-o", "table", mixed_directory["good"].parent)
    assert result.exit_code == 2, result.output
    rows = result.stdout.splitlines()
    for path in _bad(mixed_directory):
        assert any("INPUT_UNREADABLE" in row and path in row for row in rows), path


def test_a_directory_validation_reports_each_file(
    mixed_directory: dict[str, Path], invoke: Callable[..., Result]
) -> None:
    result = invoke("validate", mixed_directory["good"].parent)
    assert result.exit_code == 2, result.output
    answers = json.loads(result.stdout)
    assert sorted(answers) == sorted(str(p) for p in mixed_directory.values())
    assert answers[str(mixed_directory["good"])]["valid"] is True
    for path in _bad(mixed_directory):
        assert answers[path]["valid"] is False
        assert [f["code"] for f in answers[path]["findings"]] == ["INPUT_UNREADABLE"]


def test_a_run_where_no_file_can_be_read_exits_2(
    mixed_directory: dict[str, Path], invoke: Callable[..., Result]
) -> None:
    mixed_directory["good"].unlink()
    result = invoke("compute", mixed_directory["unparsable"].parent)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    for path in _bad(mixed_directory):
        assert path in result.stderr
