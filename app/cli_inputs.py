"""What the decision commands read from files and options: the files a run covers (each one read
or said why not), hints, CloudFormation parameters and Terraform variables."""

from __future__ import annotations

import glob
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.cli_exit import fail

PIPELINE_SUFFIXES = {".json", ".yaml", ".yml", ".template", ".tf"}


@dataclass(frozen=True)
class InputFile:
    """A file of the run: its text, or why it could not be read."""

    path: Path
    text: str | None
    error: str | None = None


def expand_paths(patterns: Sequence[str]) -> list[Path]:
    """Files named, files under named directories, and glob matches; sorted, no duplicates.

    Under a directory, a dangling link with a pipeline suffix is listed too (and then said
    unreadable) rather than passed over in silence.
    """
    found: dict[Path, None] = {}
    for pattern in patterns:
        path = Path(pattern)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                dangling = child.is_symlink() and not child.exists()
                if (child.is_file() or dangling) and child.suffix.lower() in PIPELINE_SUFFIXES:
                    found[child] = None
        elif path.is_file():
            found[path] = None
        else:
            matches = sorted(glob.glob(pattern, recursive=True))
            if not matches:
                fail(f"no file matches `{pattern}`")
            for match in matches:
                found[Path(match)] = None
    return list(found)


def read_input(path: Path) -> InputFile:
    try:
        return InputFile(path, path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        why = f"cannot be read as UTF-8 text ({exc.reason} at byte {exc.start})"
    except OSError as exc:
        why = f"cannot be read ({exc.strerror or exc})"
    return InputFile(path, None, why)


def read_inputs(patterns: Sequence[str]) -> list[InputFile]:
    return [read_input(p) for p in expand_paths(patterns)]


def read_text(path: Path) -> str:
    """A file every answer depends on: its text, or bad input."""
    read = read_input(path)
    if read.text is None:
        fail(f"{path} {read.error}")
    return read.text


def _json_file(path: Path) -> Any:
    try:
        return json.loads(read_text(path))
    except ValueError as exc:
        fail(f"{path} is not JSON: {exc}")


# The fields of an evaluate request that describe the caller and the layers beyond identity
# policies (app/api/schemas/authorization.py); the service validates their content.
AUTHORIZATION_FIELDS = (
    "principal",
    "permissions_boundary",
    "session_policies",
    "resource_policies",
    "accounts",
)


# What diff's `current.authorization` takes besides them: the action roles' own policies.
RUN_CONTEXT_FIELDS = (*AUTHORIZATION_FIELDS, "action_roles")


def read_authorization_context(
    path: Path, fields: Sequence[str] = AUTHORIZATION_FIELDS
) -> tuple[dict[str, Any], str]:
    """A JSON object of the authorization context's fields, and the file's text."""
    data = _json_file(path)
    if not isinstance(data, dict):
        fail(f"{path} is not a JSON object")
    unknown = sorted(set(data) - set(fields))
    if unknown:
        fail(f"{path}: `{unknown[0]}` is not one of {', '.join(fields)}")
    return data, read_text(path)


def read_companions(path: Path) -> tuple[list[Any], str]:
    """A JSON list of trust, bucket and key policies as they stand (`kind`, `target`,
    `document`), as diff's `current.companions` takes them, and the file's text."""
    data = _json_file(path)
    if not isinstance(data, list):
        fail(f"{path} is not a JSON list of {{kind, target, document}} objects")
    return data, read_text(path)


def assignments(pairs: Iterable[str]) -> dict[str, str]:
    """NAME=VALUE options as a mapping; a later one wins."""
    out: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            fail(f"`{pair}` is not NAME=VALUE")
        out[name] = value
    return out


def read_hints(path: Path) -> tuple[str, list[Any]]:
    """A JSON list of hints, as the API's `hints` takes them (the service checks each): the
    file's text and the list."""
    text = read_text(path)
    try:
        data = json.loads(text)
    except ValueError as exc:
        fail(f"{path} is not JSON: {exc}")
    if not isinstance(data, list):
        fail(f"{path} must hold a JSON list of hints: [{{stage, action, hints}}, ...]")
    return text, data


def _parameter_value(path: Path, name: str, value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str | int | float):
        return str(value)
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return ",".join(str(v) for v in value)  # how CloudFormation takes a list parameter
    fail(f"{path}: the value of `{name}` is not a string, a number or a list of them")


def read_parameters(path: Path) -> dict[str, str]:
    """CloudFormation parameter values from a JSON file: `{"Name": "value"}`, the
    `[{"ParameterKey": ..., "ParameterValue": ...}]` list of `aws cloudformation create-stack`,
    or a template configuration file (`{"Parameters": {...}}`) of a CodePipeline action."""
    data = _json_file(path)
    if isinstance(data, dict) and isinstance(data.get("Parameters"), dict):
        data = data["Parameters"]
    if isinstance(data, dict):
        return {str(k): _parameter_value(path, str(k), v) for k, v in data.items()}
    if isinstance(data, list):
        out: dict[str, str] = {}
        for i, item in enumerate(data):
            if not (isinstance(item, dict) and "ParameterKey" in item and "ParameterValue" in item):
                fail(f"{path}: item {i} has no ParameterKey and ParameterValue")
            name = str(item["ParameterKey"])
            out[name] = _parameter_value(path, name, item["ParameterValue"])
        return out
    fail(f"{path} must hold a JSON object of parameter values, or a list of ParameterKey/Value")


def _variable_value(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str | int | float):
        return str(value)
    # Lists and objects go as JSON text, which the Terraform reader decodes for typed variables.
    return json.dumps(value)


def read_variables(path: Path) -> dict[str, str]:
    """Terraform variable values from a `.tfvars` (HCL) or `.tfvars.json` file."""
    if path.name.endswith(".json"):
        data = _json_file(path)
    else:
        import hcl2  # noqa: PLC0415 - the grammar loads only when used
        from hcl2.utils import SerializationOptions  # noqa: PLC0415

        text = read_text(path)
        try:
            data = hcl2.loads(
                text,
                serialization_options=SerializationOptions(
                    with_comments=False, strip_string_quotes=True
                ),
            )
        except Exception as exc:  # lark reports syntax errors with its own exception classes
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            fail(f"{path} cannot be read as Terraform variables: {first}")
    if not isinstance(data, dict):
        fail(f"{path} must hold variable assignments (`name = value`)")
    return {str(k): _variable_value(v) for k, v in data.items()}


def merged(files: Iterable[dict[str, str]], options: dict[str, str]) -> dict[str, str] | None:
    """Values from files in order, then options; a later one wins. None when there are none."""
    out: dict[str, str] = {}
    for values in files:
        out.update(values)
    out.update(options)
    return out or None
