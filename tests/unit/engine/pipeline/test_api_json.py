"""Reading get-pipeline JSON: shapes accepted, problems located."""

from __future__ import annotations

from typing import Any

import pytest

from app.engine.errors import PipelineParseError
from app.engine.pipeline.api_json import parse_pipeline_json


def _pipeline(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "p",
        "roleArn": "arn:aws:iam::111122223333:role/r",
        "artifactStore": {"type": "S3", "location": "bucket"},
        "stages": [
            {
                "name": "Source",
                "actions": [
                    {
                        "name": "Src",
                        "actionTypeId": {
                            "category": "Source",
                            "owner": "AWS",
                            "provider": "S3",
                            "version": "1",
                        },
                        "configuration": {
                            "S3Bucket": "b",
                            "S3ObjectKey": "k",
                            "PollForSourceChanges": False,
                        },
                        "outputArtifacts": [{"name": "out"}],
                    }
                ],
            }
        ],
    }
    body.update(overrides)
    return body


def test_with_and_without_the_outer_key() -> None:
    bare, _ = parse_pipeline_json(_pipeline())
    wrapped, _ = parse_pipeline_json(
        {
            "pipeline": _pipeline(),
            "metadata": {"pipelineArn": "arn:aws:codepipeline:eu-west-1:111122223333:p"},
        }
    )
    assert bare.name == wrapped.name == "p"
    assert wrapped.pipeline_arn == "arn:aws:codepipeline:eu-west-1:111122223333:p"
    assert wrapped.stages[0].actions[0].pointer == "/pipeline/stages/0/actions/0"
    assert bare.stages[0].actions[0].configuration["PollForSourceChanges"] == "false"


def test_artifact_stores_map_is_read_per_region() -> None:
    pipeline, findings = parse_pipeline_json(
        _pipeline(
            artifactStore=None,
            artifactStores={
                "us-east-1": {
                    "type": "S3",
                    "location": "east",
                    "encryptionKey": {"id": "k1", "type": "KMS"},
                },
                "eu-west-1": {"type": "S3", "location": "west"},
            },
        )
    )
    assert findings == []
    assert [(s.region, s.location, s.kms_key_id) for s in pipeline.artifact_stores] == [
        ("eu-west-1", "west", None),
        ("us-east-1", "east", "k1"),
    ]


def test_numeric_version_is_accepted() -> None:
    body = _pipeline()
    body["stages"][0]["actions"][0]["actionTypeId"]["version"] = 1
    pipeline, _ = parse_pipeline_json(body)
    assert pipeline.stages[0].actions[0].type.version == "1"


@pytest.mark.parametrize(
    ("document", "pointer"),
    [
        ([], ""),
        ({"pipeline": []}, "/pipeline"),
        (_pipeline(name=""), "/name"),
        (_pipeline(stages=None), "/stages"),
        (
            _pipeline(
                stages=[
                    {"name": "s", "actions": [{"name": "a", "actionTypeId": {"category": "Build"}}]}
                ]
            ),
            "/stages/0/actions/0/actionTypeId/owner",
        ),
    ],
)
def test_unreadable_input_raises_with_its_location(document: Any, pointer: str) -> None:
    with pytest.raises(PipelineParseError) as raised:
        parse_pipeline_json(document)
    assert raised.value.pointer == pointer


def test_oddities_are_findings_not_errors() -> None:
    body = _pipeline(artifactStore="nope")
    body["stages"][0]["actions"][0]["configuration"] = {"S3Bucket": ["not", "a", "string"]}
    body["stages"][0]["actions"][0]["runOrder"] = "2"
    _, findings = parse_pipeline_json(body)
    assert {f.code for f in findings} == {
        "PIPELINE_SHAPE",
        "NO_ARTIFACT_STORE",
        "CONFIGURATION_VALUE_TYPE",
        "RUN_ORDER_TYPE",
    }
