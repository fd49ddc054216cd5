"""Fields a CodePipeline declaration does not have: a likely typo, or ignored."""

from __future__ import annotations

from typing import Any

import pytest

from app.engine.pipeline.api_json import parse_pipeline_json
from app.engine.pipeline.unknown_fields import (
    ACTION_FIELDS,
    unknown_field_findings,
)

from ....documents import pipeline as pipeline_document


def _document(action: dict[str, Any], stage: dict[str, Any], pipeline: dict[str, Any]) -> Any:
    """A get-pipeline document whose first stage, its first action and the pipeline also hold
    the given fields."""
    document = pipeline_document()
    body = document["pipeline"]
    body["stages"][0]["actions"][0].update(action)
    body["stages"][0].update(stage)
    body.update(pipeline)
    return document


ACTION = "/pipelines/0/pipeline/stages/0/actions/0"


@pytest.mark.parametrize(
    ("action", "stage", "pipeline", "expected"),
    [
        ({"configuration": {"ProjectName": "x"}}, {}, {}, []),
        # The newer fields of the API's declarations are CodePipeline's own.
        (
            {
                "timeoutInMinutes": 60,
                "commands": ["make build"],
                "outputVariables": ["VERSION"],
                "environmentVariables": [],
            },
            {
                "blockers": [],
                "beforeEntry": {"conditions": []},
                "onSuccess": {"conditions": []},
                "onFailure": {"result": "ROLLBACK"},
            },
            {
                "version": 3,
                "executionMode": "QUEUED",
                "pipelineType": "V2",
                "triggers": [],
                "variables": [],
            },
            [],
        ),
        (
            {"configuraton": {"ProjectName": "x"}},
            {},
            {},
            [(f"{ACTION}/configuraton", "WARNING", "configuration")],
        ),
        ({"runorder": 2}, {}, {}, [(f"{ACTION}/runorder", "WARNING", "runOrder")]),
        ({"owner": "me"}, {}, {}, [(f"{ACTION}/owner", "SUGGESTION", None)]),
        (
            {},
            {"blocker": []},
            {},
            [("/pipelines/0/pipeline/stages/0/blocker", "WARNING", "blockers")],
        ),
        (
            {},
            {},
            {"executionmode": "QUEUED"},
            [("/pipelines/0/pipeline/executionmode", "WARNING", "executionMode")],
        ),
    ],
)
def test_unknown_fields_are_named_where_they_are(
    action: dict[str, Any],
    stage: dict[str, Any],
    pipeline: dict[str, Any],
    expected: list[tuple[str, str, str | None]],
) -> None:
    _, findings = parse_pipeline_json(_document(action, stage, pipeline), "/pipelines/0")
    got = [
        (f.path, f.finding_type.value, f.detail.get("did_you_mean"))
        for f in findings
        if f.code == "UNKNOWN_FIELD"
    ]
    assert got == expected


def test_keys_that_are_not_strings_are_left_alone() -> None:
    assert list(unknown_field_findings({1: "x"}, ACTION_FIELDS, "action", "")) == []
