"""POST /v1/pipelines/validate."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient


def test_reference_pipeline_is_valid_and_lists_its_action_types(
    client: TestClient, reference: dict[str, Any]
) -> None:
    body = client.post("/v1/pipelines/validate", json={"pipelines": [reference]}).json()
    assert body["valid"] is True, body["findings"]
    (report,) = body["pipelines"]
    assert report["name"] == "MyFirstPipeline"
    types = {t["action_type"]: t for t in report["action_types"]}
    assert types["Source/AWS/CodeCommit/1"]["has_profile"] is True
    assert types["Deploy/AWS/ECS/1"]["actions"] == 1


def test_structure_errors_are_located(client: TestClient, reference: dict[str, Any]) -> None:
    broken = json.loads(json.dumps(reference))
    broken["pipeline"]["stages"][1]["actions"][0]["inputArtifacts"] = [{"name": "Nowhere"}]
    body = client.post("/v1/pipelines/validate", json={"pipelines": [broken]}).json()
    assert body["valid"] is False
    codes = {(f["code"], f["path"]) for f in body["findings"]}
    assert (
        "INPUT_ARTIFACT_UNKNOWN",
        "/pipelines/0/pipeline/stages/1/actions/0/inputArtifacts/0",
    ) in codes


def test_custom_action_type_without_profile_is_reported(
    client: TestClient, reference: dict[str, Any]
) -> None:
    custom = json.loads(json.dumps(reference))
    custom["pipeline"]["stages"][1]["actions"][0]["actionTypeId"] = {
        "category": "Build",
        "owner": "Custom",
        "provider": "MyJenkins",
        "version": "1",
    }
    custom["pipeline"]["stages"][1]["actions"][0]["configuration"] = {"ProjectName": "x"}
    body = client.post("/v1/pipelines/validate", json={"pipelines": [custom]}).json()
    types = {t["action_type"]: t for t in body["pipelines"][0]["action_types"]}
    assert types["Build/Custom/MyJenkins/1"]["has_profile"] is False
    assert any(f["code"] == "NO_PROFILE" for f in body["findings"])


def test_terraform_source_validates(client: TestClient) -> None:
    hcl = """
resource "aws_codepipeline" "p" {
  name     = "tf-pipeline"
  role_arn = "arn:aws:iam::111122223333:role/p"
  artifact_store {
    location = "bucket"
    type     = "S3"
  }
  stage {
    name = "Source"
    action {
      name             = "Source"
      category         = "Source"
      owner            = "AWS"
      provider         = "S3"
      version          = "1"
      output_artifacts = ["src"]
      configuration = {
        S3Bucket    = "bucket"
        S3ObjectKey = "src.zip"
      }
    }
  }
}
"""
    body = client.post("/v1/pipelines/validate", json={"sources": [{"body": hcl}]}).json()
    assert body["pipelines"][0]["name"] == "tf-pipeline"
    assert body["valid"] is False
    assert "TOO_FEW_STAGES" in {f["code"] for f in body["findings"]}


def test_a_profile_selection_is_used(client: TestClient, reference: dict[str, Any]) -> None:
    path = "/v1/pipelines/validate"
    unknown = client.post(
        path, json={"pipelines": [reference], "profiles": {"set_revision": 999999}}
    )
    assert unknown.status_code == 422, unknown.text
    assert unknown.json()["errors"][0]["pointer"] == "/profiles/set_revision"
    current = client.post(path, json={"pipelines": [reference]}).json()["provenance"]
    pinned = client.post(
        path,
        json={
            "pipelines": [reference],
            "profiles": {"set_revision": current["profile_set_revision"]},
        },
    )
    assert pinned.status_code == 200, pinned.text
    assert pinned.json()["provenance"] == current
