"""Decision responses are their response models, encoded by the models' own serialiser
(app/api/model_response.py), each read from the engine's answer.

Each body must parse with the route's response model, be byte for byte what FastAPI sends for a
returned model, and hold what the model built here field by field from the engine's own answer
holds.
"""

from __future__ import annotations

import gzip
import json
from typing import Any, TypeVar, get_args

import pytest
from fastapi.testclient import TestClient
from httpx import Response as HttpxResponse
from pydantic import BaseModel

from app.api.deps import Services
from app.api.model_response import model_json, model_response
from app.api.schemas.authorization import (
    AuthorizationResponse,
    AuthorizationResultOut,
    LayerOutcomeOut,
    LayerStatementOut,
)
from app.api.schemas.common import CatalogRef, FindingOut, ProfileRef, ProvenanceOut
from app.api.schemas.compute import (
    CitationOut,
    ComputeResponse,
    ImpactOut,
    RequiredByOut,
    SizeOut,
    StatementOut,
)
from app.api.schemas.diff import DiffResponse, DiffSummaryOut, StatementRef
from app.api.schemas.evaluate import (
    ConditionTestOut,
    DerivedKeyOut,
    EvaluateResponse,
    EvaluationResultOut,
    NotDerivedKeyOut,
    StatementOutcomeOut,
)
from app.api.schemas.examples import AUTHORIZATION_REQUEST
from app.api.schemas.pipelines import PipelineValidateResponse
from app.api.schemas.validate import PolicySizeOut, ValidateResponse
from app.engine.authorization import (
    AuthorizationContext,
    AuthorizationRequest,
    DocumentPointers,
    Principal,
    authorize,
)
from app.engine.authorization import StatementRef as LayerRef
from app.engine.compute import ComputeContext, ComputedStatement, RequiredBy
from app.engine.findings import Finding, FindingType
from app.engine.hint_checks import GivenHints
from app.engine.iam.analysis.evaluate import StatementOutcome
from app.service import compute as compute_service
from app.service import diff as diff_service
from app.service.evaluate import PointRequest, evaluate
from app.service.policy_validation import validate
from app.service.provenance import Provenance

from ..documents import EVALUATE_POLICY as POLICY

M = TypeVar("M", bound=BaseModel)

REQUESTS: list[dict[str, Any]] = [
    {
        "action": "codebuild:StartBuild",
        "resource": "arn:aws:codebuild:eu-west-2:111122223333:project/my-build",
    },
    {"action": "codebuild:StartBuild", "resource": "arn:aws:codebuild:eu-west-2:1:project/my-prod"},
    {"action": "iam:PassRole", "context": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
    {"action": "iam:PassRole"},
    {"action": "s3:GetObject", "resource": "arn:aws:s3:::bucket/key"},
    {"action": "s3:GetObjekt"},
]


def _services(client: TestClient) -> Services:
    services: Services = client.app.state.services  # type: ignore[attr-defined]
    return services


def _parsed(response: HttpxResponse, model: type[M]) -> M:
    """The body as `model`, after checking it is exactly the bytes FastAPI sent for a returned
    `model`: its fields in declaration order, none left to a default, the same rendering."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    parsed = model.model_validate_json(response.content)
    assert response.content == parsed.model_dump_json().encode()
    return parsed


# What the response models held when the routes built them from the engine's answer.


def _provenance(p: Provenance) -> ProvenanceOut:
    return ProvenanceOut(
        catalog=CatalogRef(**vars(p.catalog)) if p.catalog else None,
        profile_set_revision=p.profile_set_revision,
        profiles=[ProfileRef(action_type=k.label, revision=r) for k, r in p.profiles],
        service_version=p.service_version,
    )


def _finding(f: Finding) -> FindingOut:
    return FindingOut(
        code=f.code,
        finding_type=f.finding_type.value,
        message=f.message,
        path=f.path,
        detail=dict(f.detail),
        line=f.line,
    )


def _required_by(r: RequiredBy) -> RequiredByOut:
    return RequiredByOut(
        pipeline=r.pipeline,
        stage=r.stage,
        action=r.action,
        rule=r.rule,
        action_type=r.action_type.label,
        profile_revision=r.profile_revision,
        profile_statement=r.profile_statement,
        reason=r.reason,
        inferred=r.inferred,
        citation=CitationOut(title=r.citation.title, url=r.citation.url, as_of=r.citation.as_of),
        impact=ImpactOut(**vars(r.impact)) if r.impact else None,
        path=r.pointer,
    )


def _statement(s: ComputedStatement) -> StatementOut:
    return StatementOut(
        sid=s.sid,
        effect=s.effect,
        actions=list(s.actions),
        resources=list(s.resources),
        condition={k: dict(v) for k, v in s.condition.items()} if s.condition else None,
        required_by=[_required_by(r) for r in s.required_by],
    )


def _statement_outcome(o: StatementOutcome) -> StatementOutcomeOut:
    s = o.statement
    return StatementOutcomeOut(
        statement=StatementRef(
            document=s.doc_index, statement=s.stmt_index, sid=s.sid, path=s.pointer
        ),
        effect=s.effect,
        reason=o.reason,
        failed_conditions=[ConditionTestOut(operator=op, key=k) for op, k in o.failed_conditions],
        unknown_conditions=[ConditionTestOut(operator=op, key=k) for op, k in o.unknown_conditions],
        missing_keys=list(o.missing_keys),
    )


# model_response itself

DECISION_RESPONSES: list[type[BaseModel]] = [
    ComputeResponse,
    DiffResponse,
    EvaluateResponse,
    AuthorizationResponse,
    PipelineValidateResponse,
    ValidateResponse,
]


def _models_in(annotation: Any, seen: dict[str, type[BaseModel]]) -> None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation.__name__ not in seen:
            seen[annotation.__name__] = annotation
            for field in annotation.model_fields.values():
                _models_in(field.annotation, seen)
        return
    for argument in get_args(annotation):
        _models_in(argument, seen)


def _answer_models() -> list[type[BaseModel]]:
    seen: dict[str, type[BaseModel]] = {}
    for model in DECISION_RESPONSES:
        _models_in(model, seen)
    return list(seen.values())


def test_the_answer_models_are_found() -> None:
    names = {m.__name__ for m in _answer_models()}
    assert {"RequiredByOut", "StatementRef", "FindingOut", "StatementOutcomeOut"} <= names
    assert len(names) > 20


@pytest.mark.parametrize("model", _answer_models(), ids=lambda m: m.__name__)
def test_an_answer_model_serialises_as_its_fields(model: type[BaseModel]) -> None:
    """What lets model_response write a model's fields as they are: no answer model renames,
    leaves out or converts a field when it is written, or adds one."""
    decorators = model.__pydantic_decorators__
    assert not decorators.field_serializers, model
    assert not decorators.model_serializers, model
    assert not model.model_computed_fields, model
    assert model.model_config.get("extra") == "forbid", model
    for name, field in model.model_fields.items():
        assert field.serialization_alias in (None, name), (model, name)
        assert field.alias in (None, name), (model, name)
        assert not field.exclude, (model, name)
        assert field.exclude_if is None, (model, name)


def test_model_json_falls_back_to_the_models_serialiser() -> None:
    finding = FindingOut(
        code="X",
        finding_type="ERROR",
        message="m",
        path="",
        detail={"big": 2**70, "set": {"a"}, "float": 0.1},
    )
    assert model_json(finding) == finding.__pydantic_serializer__.to_json(finding)
    assert b"1180591620717411303424" in model_json(finding)  # 2**70, not rounded


def test_model_response_sends_the_model() -> None:
    model = ProvenanceOut(
        catalog=None,
        profile_set_revision=3,
        profiles=[ProfileRef(action_type="Source/AWS/CodeCommit/1", revision=2)],
        service_version="1.0.0",
    )
    response = model_response(model, headers={"X-Findings": "0"})
    assert response.status_code == 200
    assert response.media_type == "application/json"
    assert response.headers["x-findings"] == "0"
    assert json.loads(bytes(response.body)) == {
        "catalog": None,
        "profile_set_revision": 3,
        "profiles": [{"action_type": "Source/AWS/CodeCommit/1", "revision": 2}],
        "service_version": "1.0.0",
    }


def test_model_response_renders_values_as_json_can_hold_them() -> None:
    finding = FindingOut.all(
        [
            Finding(
                "NO_VERSION",
                FindingType.WARNING,
                "m",
                "/a",
                {
                    "floats": [0.1, 1e-07, 1e16, 100.0, float("inf")],
                    "ints": [0, -1, 2**63, 2**70],
                    "text": 'é \u2028 \x01 " \\ 😀',
                    "none": None,
                    "tuple": (1, "a"),
                },
            )
        ]
    )[0]
    body = bytes(model_response(finding).body)
    assert json.loads(body) == {
        "code": "NO_VERSION",
        "finding_type": "WARNING",  # the engine's enum, as its value
        "message": "m",
        "path": "/a",
        "detail": {
            "floats": [0.1, 1e-07, 1e16, 100.0, None],  # JSON has no infinity
            "ints": [0, -1, 2**63, 2**70],
            "text": 'é \u2028 \x01 " \\ 😀',
            "none": None,
            "tuple": [1, "a"],
        },
        "line": None,  # sent when there is no value
    }


# The decision routes


def test_compute_response(client: TestClient, reference: dict[str, Any]) -> None:
    response = client.post("/v1/policies/compute", json={"pipelines": [reference]})
    got = _parsed(response, ComputeResponse)
    services = _services(client)
    outcome = compute_service.compute(
        compute_service.sources_from_request([reference], []),
        services.profiles.current,
        services.catalog_info,
        context=ComputeContext(),
        hints=GivenHints(),
    )
    result = outcome.result
    assert got.provenance == _provenance(outcome.provenance)
    assert got.policy == dict(result.document)
    assert got.policies == [dict(d) for d in result.split_documents]
    assert got.size == SizeOut(
        characters=result.size.characters,
        managed_policy_quota=result.size.managed_quota,
        inline_policies_quota=result.size.inline_quota,
        fits_managed_policy=result.size.fits_managed,
        fits_inline_policies=result.size.fits_inline,
    )
    assert got.statements == [_statement(s) for s in result.statements]
    assert [r.role_arn for r in got.action_roles] == [r.role_arn for r in result.action_roles]
    assert got.findings == [_finding(f) for f in outcome.findings]


def test_diff_response(
    client: TestClient, reference: dict[str, Any], legacy: dict[str, Any]
) -> None:
    response = client.post(
        "/v1/policies/diff",
        json={"current": {"documents": [legacy]}, "required": {"pipelines": [reference]}},
    )
    got = _parsed(response, DiffResponse)
    services = _services(client)
    loaded = services.profiles.current
    required = diff_service.required_from_pipelines(
        compute_service.sources_from_request([reference], [], base="/required"),
        loaded,
        services.catalog,
        context=ComputeContext(),
        hints=GivenHints(),
    )
    outcome = diff_service.diff(
        [legacy],
        required,
        services.catalog,
        services.catalog_info,
        loaded,
        mode="segment",
        current_pointer="/current/documents",
    )
    result = outcome.result
    assert got.provenance == _provenance(outcome.provenance)
    assert got.verdict == result.verdict
    assert got.least_privilege == result.least_privilege
    assert got.summary == DiffSummaryOut(
        required=outcome.required_count,
        granted=result.granted,
        missing=len(result.missing),
        conditional=len(result.conditional),
        unverifiable=len(result.unverifiable),
        optional=len(result.optional),
        excess_actions=result.excess.total_actions,
    )
    assert [(u.actions, u.resources, u.reason) for u in got.unverifiable] == [
        (list(g.actions), list(g.resources), g.reason) for g in outcome.unverifiable
    ]
    assert [(o.actions, o.resources, o.reason) for o in got.optional] == [
        (list(g.actions), list(g.resources), g.reason) for g in outcome.optional
    ]
    assert [(m.actions, m.resources) for m in got.missing] == [
        (list(g.actions), list(g.resources)) for g in outcome.missing
    ]
    assert [m.required_by for m in got.missing] == [
        [_required_by(r) for r in g.required_by] for g in outcome.missing
    ]
    assert [c.actions for c in got.conditional] == [list(g.actions) for g in outcome.conditional]
    assert got.excess.total_actions == result.excess.total_actions
    assert [s.service for s in got.excess.by_service] == [s.service for s in result.excess.services]
    assert [w.path for w in got.excess.wildcards] == [w.pointer for w in result.excess.wildcards]
    assert got.excess.privilege_escalation == list(result.excess.privilege_escalation)
    assert got.patched_policy == outcome.patched_policy
    assert got.patched_verdict == outcome.patched_verdict
    assert got.findings == [_finding(f) for f in outcome.findings]


@pytest.mark.parametrize("explain", [True, False])
def test_evaluate_response(client: TestClient, explain: bool) -> None:
    response = client.post(
        "/v1/policies/evaluate",
        json={"policy": {"documents": [POLICY]}, "requests": REQUESTS, "explain": explain},
    )
    got = _parsed(response, EvaluateResponse)
    services = _services(client)
    asked = [
        PointRequest(r["action"], r.get("resource", "*"), r.get("context", {})) for r in REQUESTS
    ]
    outcome = evaluate(
        [POLICY],
        asked,
        services.catalog,
        services.catalog_info,
        services.profiles.current,
        mode="segment",
        pointer="/policy/documents",
    )
    expected = [
        EvaluationResultOut(
            index=i,
            action=request.action,
            resource=request.resource,
            decision=decision.decision,
            definite=decision.definite,
            deciding=[_statement_outcome(o) for o in decision.deciding],
            not_applied=[_statement_outcome(o) for o in decision.not_applied] if explain else [],
            undecided=[_statement_outcome(o) for o in decision.undecided],
            missing_keys=list(decision.missing_keys),
            derived_context=[
                DerivedKeyOut(key=d.key, value=d.value, source="resource", detail=d.detail)
                for d in context.derived
            ],
            not_derived=[
                NotDerivedKeyOut(key=u.key, source="resource", reason=u.reason)
                for u in context.unknown
            ],
            findings=[_finding(f) for f in findings],
        )
        for i, ((decision, findings, context), request) in enumerate(
            zip(
                ((o.decision, o.findings, o.context) for o in outcome.decisions),
                asked,
                strict=True,
            )
        )
    ]
    assert got.results == expected
    assert [r.decision for r in got.results] == [
        "allowed",
        "explicitly_denied",
        "allowed",
        "implicitly_denied",
        "implicitly_denied",
        "implicitly_denied",
    ]
    assert any(r.not_applied for r in got.results) is explain
    assert got.results[5].findings[0].code == "UNKNOWN_ACTION"
    assert got.findings == [_finding(f) for f in outcome.view.findings]


def _layer_ref(r: LayerRef) -> LayerStatementOut:
    return LayerStatementOut(
        layer=r.layer,
        level=r.level,
        document=r.document,
        statement=r.statement,
        sid=r.sid,
        path=r.pointer,
    )


def test_authorization_response(client: TestClient) -> None:
    body = AUTHORIZATION_REQUEST
    got = _parsed(client.post("/v1/policies/evaluate", json=body), AuthorizationResponse)
    caller = body["principal"]
    requests = body["requests"]
    decisions = authorize(
        AuthorizationContext(
            Principal(caller["arn"], caller["type"]),
            identity_policies=body["policy"]["documents"],
            permission_boundary=body["permissions_boundary"],
            resource_policies=body["resource_policies"],
            pointers=DocumentPointers(
                identity="/policy/documents",
                boundary="/permissions_boundary",
                resource_policies="/resource_policies",
            ),
        ),
        [
            AuthorizationRequest(r["action"], r["resource"], resource_account=r["resource_account"])
            for r in requests
        ],
    )
    assert got.results == [
        AuthorizationResultOut(
            index=i,
            action=r["action"],
            resource=r["resource"],
            decision=d.decision,
            definite=d.definite,
            layer=d.layer,
            level=d.level,
            reason=d.reason,
            statement=None if d.statement is None else _layer_ref(d.statement),
            layers=[
                LayerOutcomeOut(
                    layer=o.layer,
                    level=o.level,
                    decision=o.decision,
                    definite=o.definite,
                    statements=[_layer_ref(s) for s in o.statements],
                    note=o.note,
                )
                for o in d.layers
            ],
            findings=[],
        )
        for i, (r, d) in enumerate(zip(requests, decisions, strict=True))
    ]
    assert [(r.decision, r.layer) for r in got.results] == [
        ("allowed", "resource"),
        ("implicitly_denied", "boundary"),
    ]
    assert got.findings == []


def test_validate_response(
    client: TestClient, reference: dict[str, Any], legacy: dict[str, Any]
) -> None:
    response = client.post(
        "/v1/policies/validate",
        json={"policy": {"documents": [legacy]}, "pipelines": [reference]},
    )
    got = _parsed(response, ValidateResponse)
    services = _services(client)
    outcome = validate(
        [legacy],
        services.catalog,
        services.catalog_info,
        services.profiles.current,
        policy_type="managed",
        pointer="/policy/documents",
        baselines=services.baselines.documents(),
        sources=compute_service.sources_from_request([reference], []),
        context=ComputeContext(),
    )
    size = outcome.validation.size
    assert got.valid == outcome.valid
    assert got.recognised_baseline == outcome.validation.recognised_baseline == "legacy-2019"
    assert got.size == PolicySizeOut(
        documents=list(size.documents),
        total=size.total,
        quota=size.quota,
        policy_type=size.policy_type,
        fits=size.fits,
    )
    assert got.findings == [_finding(f) for f in outcome.findings]
    assert got.findings


def test_pipeline_validate_response(client: TestClient, reference: dict[str, Any]) -> None:
    response = client.post("/v1/pipelines/validate", json={"pipelines": [reference]})
    got = _parsed(response, PipelineValidateResponse)
    assert [p.name for p in got.pipelines] == ["MyFirstPipeline"]
    assert {u.action_type for u in got.pipelines[0].action_types} >= {
        "Source/AWS/CodeCommit/1",
        "Build/AWS/CodeBuild/1",
    }
    assert all(
        u.has_profile == (u.profile_revision is not None)
        for p in got.pipelines
        for u in p.action_types
    )


def test_non_json_formats_are_unchanged(client: TestClient, reference: dict[str, Any]) -> None:
    response = client.post(
        "/v1/policies/compute", json={"pipelines": [reference]}, params={"format": "terraform"}
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/x-hcl")
    assert "aws_iam_policy" in response.text


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br"])
def test_a_compressed_body_is_a_415_naming_the_encoding(client: TestClient, encoding: str) -> None:
    body = gzip.compress(b'{"pipelines": []}')
    response = client.post(
        "/v1/policies/compute",
        content=body,
        headers={"content-type": "application/json", "content-encoding": encoding},
    )
    assert response.status_code == 415, response.text
    assert response.json()["errors"][0]["pointer"] == "header:Content-Encoding"


def test_a_truncated_string_says_where_without_stammering(client: TestClient) -> None:
    response = client.post(
        "/v1/policies/compute",
        content=b'{"pipelines": "abc',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 422
    assert " at at " not in response.json()["errors"][0]["detail"]
