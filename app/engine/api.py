"""The engine's public face: the five things it does, and what they take and give.

- `parse`: pipelines from a get-pipeline document, a CloudFormation template or Terraform.
- `compute`: the least-privilege service-role policy those pipelines need.
- `requirements`: the (action, resource) pairs a computed policy stands for.
- `diff`: a role's policy against those requirements, with the patched policy's verdict.
- `validate`: one IAM policy against the checklist of iam-semantics.md §6.
- `evaluate`: IAM's decision on requests, statement by statement.

Everything here is pure: no I/O, no settings, no database. Work is charged to a WorkBudget, and
what cannot be read becomes a located Finding (or, for `parse`, a PipelineParseError). The
modules below are the engine's inside: the service layer calls these.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Protocol

from app.engine.budget import WorkBudget
from app.engine.compute import ComputeContext, ComputeResult, HintTarget, compute_policy
from app.engine.findings import Finding, FindingType
from app.engine.iam.analysis.diff import Requirement
from app.engine.iam.analysis.evaluate import Evaluator, RequestDecision
from app.engine.iam.catalog import Catalog
from app.engine.iam.conditions.request_context import RequestContext, derive_request_context
from app.engine.iam.patterns.arn import ArnMode
from app.engine.iam.policy.parse import PolicySource
from app.engine.iam.policy.view import PolicyView
from app.engine.iam.validation.validate import PolicyValidation, validate_policy
from app.engine.iam.validation.view import PolicyType
from app.engine.json_pointer import pointer_join
from app.engine.pipeline.detect import parse_pipeline_source
from app.engine.pipeline.model import Pipeline
from app.engine.pipeline.template_values import ParsedTemplate, TemplateContext
from app.engine.policy_diff import Gap, PolicyDiff, diff_against_requirements
from app.engine.profiles import ProfileSet
from app.engine.requirements import requirements_from_computed

__all__ = [
    "ArnMode",
    "Catalog",
    "ComputeContext",
    "ComputeResult",
    "EvaluationRequest",
    "Finding",
    "FindingType",
    "Gap",
    "ParsedTemplate",
    "Pipeline",
    "PolicyDiff",
    "PolicySource",
    "PolicyValidation",
    "PolicyView",
    "ProfileSet",
    "RequestContext",
    "RequestDecision",
    "Requirement",
    "TemplateContext",
    "WorkBudget",
    "compute",
    "diff",
    "evaluate",
    "parse",
    "requirements",
    "validate",
]

# Only policies of this version read `${...}` as variables (iam-semantics.md §1.6).
POLICY_VERSION_WITH_VARIABLES = "2012-10-17"


def parse(
    source: str | Mapping[str, Any],
    *,
    format: str | None = None,
    parameters: Mapping[str, str] | None = None,
    variables: Mapping[str, str] | None = None,
    context: TemplateContext | None = None,
    pointer: str = "",
    budget: WorkBudget | None = None,
) -> ParsedTemplate:
    """The pipelines `source` declares, the findings of reading them, and the service-role
    policies a template defines itself. `format` (one of `api`, `cloudformation`, `terraform`)
    is detected when None; `parameters` and `variables` give a template's inputs, `context`
    its account, Region and partition; findings are located under `pointer`."""
    return parse_pipeline_source(
        source,
        format=format,
        parameters=parameters,
        variables=variables,
        context=context,
        pointer=pointer,
        budget=budget,
    )


def compute(
    pipelines: Sequence[Pipeline],
    profiles: ProfileSet,
    *,
    context: ComputeContext | None = None,
    hints: Mapping[HintTarget, Mapping[str, Sequence[str]]] | None = None,
    catalog: Catalog | None = None,
    budget: WorkBudget | None = None,
) -> ComputeResult:
    """The least-privilege service-role policy `pipelines` share, built from the permission
    `profiles` of their action types, with the findings of what could not be narrowed. With
    the IAM `catalog`, a resource not known whole takes the ARN format of its actions."""
    return compute_policy(
        pipelines, profiles, context=context, hints=hints, catalog=catalog, budget=budget
    )


def requirements(computed: ComputeResult, catalog: Catalog) -> list[Requirement]:
    """One requirement per (action, resource) pair of the computed statements, each with the
    pipelines, stages and actions that need it and how sure that need is."""
    return requirements_from_computed(computed.statements, catalog)


def diff(
    current: PolicyView,
    requirements: Sequence[Requirement],
    required_statements: Sequence[Mapping[str, Any]],
    catalog: Catalog,
    *,
    mode: ArnMode,
    budget: WorkBudget,
    possible: PolicyView | None = None,
) -> PolicyDiff:
    """Each requirement granted, conditional, unverifiable, optional or missing under the
    `current` policy, what it grants beyond them, and the verdict of the patched policy (the
    `required_statements` plus the current Deny statements). `possible` is what the current
    policy may grant where `current` is what it grants whatever the values its template does
    not determine are: a requirement only `possible` grants is unverifiable."""
    return diff_against_requirements(
        current,
        requirements,
        required_statements,
        catalog,
        mode=mode,
        budget=budget,
        possible=possible,
    )


def validate(
    source: PolicySource,
    catalog: Catalog,
    *,
    policy_type: PolicyType = "managed",
    pointer: str = "",
    baselines: Mapping[str, Mapping[str, Any]] | None = None,
    budget: WorkBudget | None = None,
) -> PolicyValidation:
    """The findings of one policy (a document, a JSON text, or a role's documents): what IAM
    rejects, what is dangerous, what is needless; input that is no policy is one ERROR."""
    return validate_policy(
        source, catalog, policy_type=policy_type, pointer=pointer, baselines=baselines,
        budget=budget,
    )  # fmt: skip


class EvaluationRequest(Protocol):
    """One request: an action on a resource, with the condition keys its caller knows."""

    @property
    def action(self) -> str: ...
    @property
    def resource(self) -> str: ...
    @property
    def context(self) -> Mapping[str, Sequence[str] | str]: ...


def evaluate(
    policy: PolicyView,
    requests: Sequence[EvaluationRequest],
    *,
    mode: ArnMode,
    budget: WorkBudget,
    pointer: str = "/requests",
) -> Iterator[tuple[RequestDecision, RequestContext]]:
    """IAM's decision on each request under `policy`, with the request context it was decided
    in (the keys given, and those the request determines by itself). Each request's work is
    charged to `budget` at its place under `pointer`; decisions come one by one, in order."""
    variables_allowed = {
        i: doc.version == POLICY_VERSION_WITH_VARIABLES
        for i, doc in enumerate(policy.parsed.documents)
    }
    evaluator = Evaluator(policy.statements, mode=mode, policy_variables=variables_allowed)
    for i, request in enumerate(requests):
        budget.location = pointer_join(pointer, i)
        context = derive_request_context(request.resource, request.context)
        decision = evaluator.evaluate(
            request.action,
            request.resource,
            context.values,
            unknown_keys=context.unknown_keys,
            budget=budget,
        )
        yield decision, context
