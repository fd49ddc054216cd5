"""Compute names a deprecated profile where it is used: a warning at the action's pointer (at the
pipeline's for the artifact store), its permissions still included."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from app.engine.compute import compute_policy
from app.engine.pipeline.api_json import parse_pipeline_json
from app.engine.pipeline.model import ActionTypeKey, Pipeline
from app.engine.profiles import DEPRECATED, ProfileSet

from .profile_fixtures import shipped_profiles

CODEBUILD = ActionTypeKey("Build", "AWS", "CodeBuild", "1")
ARTIFACT_STORE = ActionTypeKey("Pipeline", "AWS", "ArtifactStore", "1")


@pytest.fixture(scope="module")
def reference(shared_dir: Path) -> Pipeline:
    document = json.loads((shared_dir / "examples" / "reference-pipeline.json").read_text())
    pipeline, _ = parse_pipeline_json(document, "/pipelines/0")
    return pipeline


def _deprecating(*keys: ActionTypeKey) -> ProfileSet:
    shipped = shipped_profiles()
    profiles = {
        k: dataclasses.replace(p, status=DEPRECATED) if k in keys else p
        for k, p in shipped.profiles.items()
    }
    return ProfileSet(revision=shipped.revision, profiles=profiles)


def test_active_profiles_raise_nothing(reference: Pipeline) -> None:
    found = compute_policy([reference], shipped_profiles()).findings
    assert "DEPRECATED_PROFILE" not in {f.code for f in found}


@pytest.mark.parametrize("key", [CODEBUILD, ARTIFACT_STORE], ids=lambda k: k.label)
def test_a_deprecated_profile_is_named_where_it_is_used(
    reference: Pipeline, key: ActionTypeKey
) -> None:
    result = compute_policy([reference], _deprecating(key))
    found = [f for f in result.findings if f.code == "DEPRECATED_PROFILE"]
    users = (
        [reference.pointer]
        if key == ARTIFACT_STORE
        else [a.pointer for _, a in reference.actions() if a.type == key]
    )
    assert users
    assert sorted(f.path for f in found) == sorted(users)
    assert all(f.finding_type.value == "WARNING" for f in found)
    assert all(f.detail["action_type"] == key.label for f in found)
    # Its permissions are still there.
    assert result.document == compute_policy([reference], shipped_profiles()).document
