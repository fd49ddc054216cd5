"""Compute and validate agree on every shipped profile.

For each action type, pipelines using it with every configuration key set (tests/
generated_pipelines.py) are computed through POST /v1/policies/compute; the service-role policy
(with the pipelines) and every action-role policy, sent to POST /v1/policies/validate, get no
ERROR, no SECURITY_WARNING and no RESOURCE_STAR.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from ..generated_pipelines import Generated, generated_pipelines
from ..unit.engine.profile_fixtures import shipped_profiles

CASES = [
    generated
    for key, profile in sorted(shipped_profiles().profiles.items())
    if key.category != "Pipeline"  # rendered for every pipeline, so in every case below
    for generated in generated_pipelines(profile)
]


def _disagreements(findings: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    return [
        (f["code"], f["path"], f["message"])
        for f in findings
        if f["finding_type"] in ("ERROR", "SECURITY_WARNING") or f["code"] == "RESOURCE_STAR"
    ]


def test_every_action_type_is_generated() -> None:
    covered = {c.label.split("#")[0].split("+")[0] for c in CASES}
    expected = {k.label for k in shipped_profiles().profiles if k.category != "Pipeline"}
    assert covered == expected


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.label)
def test_computed_policies_pass_validate(client: TestClient, case: Generated) -> None:
    computed = client.post(
        "/v1/policies/compute", json={"pipelines": [case.document], "hints": case.hints}
    )
    assert computed.status_code == 200, computed.text
    body = computed.json()
    assert not [f for f in body["findings"] if f["finding_type"] == "ERROR"]
    documents = body["policies"] or [body["policy"]]
    validated = client.post(
        "/v1/policies/validate",
        json={"policy": {"documents": documents}, "pipelines": [case.document]},
    )
    assert validated.status_code == 200, validated.text
    assert _disagreements(validated.json()["findings"]) == []
    for role in body["action_roles"]:
        checked = client.post(
            "/v1/policies/validate", json={"policy": {"documents": [role["policy"]]}}
        )
        assert checked.status_code == 200, checked.text
        assert _disagreements(checked.json()["findings"]) == [], role["role_arn"]
