"""CodePipeline-aware checks of a role's policy against the pipelines that use it.

- An Elastic Beanstalk deploy action whose role lacks `elasticbeanstalk:DescribeEvents` hangs
  until the action times out instead of failing (codepipeline.md §3.4).
- A role created before a provider was supported (or before one of its statements was needed,
  reference §3.2) and lacking that provider's permissions: the console never added them.
- The pipelines pass roles, but the policy grants `iam:PassRole` without `iam:PassedToService`.

What a pipeline needs is the computed policy (compute_policy) turned into requirements; each is
checked against the policy's statements with check_requirement, so conditions, Deny statements
and NotAction/NotResource count exactly as they do in the diff.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from app.engine.budget import WorkBudget
from app.engine.compute import ComputeContext, ComputedStatement, RequiredBy, compute_policy
from app.engine.findings import Finding, finding
from app.engine.iam.analysis.coverage import (
    Coverage,
    CoverageResult,
    PolicyStatement,
    check_requirement,
)
from app.engine.iam.analysis.diff import Requirement
from app.engine.iam.catalog import Catalog
from app.engine.iam.patterns.glob import glob_match
from app.engine.iam.validation.baseline import recognise_baseline
from app.engine.pipeline.model import Action, ActionTypeKey, Pipeline
from app.engine.profiles import Profile, ProfileSet, StatementTemplate
from app.engine.requirements import requirements_from_computed

__all__ = ["pipeline_checks", "recognise_baseline"]

DESCRIBE_EVENTS = "elasticbeanstalk:DescribeEvents"
PASS_ROLE = "iam:PassRole"  # noqa: S105 (an action name, not a secret)
PASSED_TO_SERVICE = "iam:passedtoservice"
_MISSING = (Coverage.NOT_GRANTED, Coverage.DENIED)
_LISTED = 8

Outcome = tuple[Requirement, CoverageResult]


def _is_eb_deploy(key: ActionTypeKey) -> bool:
    return key.category == "Deploy" and key.owner == "AWS" and key.provider == "ElasticBeanstalk"


def _action_in(template_actions: Iterable[str], action: str) -> bool:
    return any(glob_match(p, action, ignore_case=True, variables=False) for p in template_actions)


def _sources(requirement: Requirement) -> Iterable[RequiredBy]:
    return (s for s in requirement.sources if isinstance(s, RequiredBy))


def _eb_fallback_resource(action: Action, pipeline: Pipeline, context: ComputeContext) -> str:
    application = action.configuration.get("ApplicationName") or "*"
    environment = action.configuration.get("EnvironmentName") or "*"
    partition = pipeline.role_arn.split(":")[1] if pipeline.role_arn.count(":") >= 5 else "aws"
    partition = context.partition or partition or "aws"
    region, account = context.region or "*", context.account or "*"
    return (
        f"arn:{partition}:elasticbeanstalk:{region}:{account}:"
        f"environment/{application}/{environment}"
    )


def _eb_describe_events(
    pipelines: Sequence[Pipeline],
    outcomes: Sequence[Outcome],
    statements: Sequence[PolicyStatement],
    context: ComputeContext,
    budget: WorkBudget,
) -> Iterable[Finding]:
    for pipeline in pipelines:
        for stage, action in pipeline.actions():
            # An action with its own role deploys with that role, not with this policy's.
            if not _is_eb_deploy(action.type) or action.role_arn:
                continue
            checked = [
                (req.resource, result.coverage)
                for req, result in outcomes
                if req.action.lower() == DESCRIBE_EVENTS.lower()
                and any(s.pointer == action.pointer for s in _sources(req))
            ]
            if not checked:
                resource = _eb_fallback_resource(action, pipeline, context)
                result = check_requirement(DESCRIBE_EVENTS, resource, {}, statements, budget=budget)
                checked = [(resource, result.coverage)]
            missing = sorted(r for r, coverage in checked if coverage in _MISSING)
            if not missing:
                continue
            denied = any(c is Coverage.DENIED for _, c in checked)
            yield finding(
                "EB_DESCRIBE_EVENTS_MISSING",
                f"the Elastic Beanstalk deploy action `{stage.name}/{action.name}` of "
                f"`{pipeline.name}` needs `{DESCRIBE_EVENTS}`, which the policy "
                f"{'explicitly denies' if denied else 'does not grant'}: the deploy hangs "
                "without an error until the action times out (about an hour) instead of failing",
                action.pointer,
                action_pointer=action.pointer,
                pipeline=pipeline.name,
                stage=stage.name,
                action=action.name,
                permission=DESCRIBE_EVENTS,
                resources=missing,
            )


@dataclass
class _Gap:
    profile: Profile
    date: dt.date
    source: RequiredBy
    reasons: dict[str, str] = field(default_factory=dict)  # template id -> what it was for
    missing: dict[tuple[str, str], None] = field(default_factory=dict)


def _template(profile: Profile, statement_id: str) -> StatementTemplate | None:
    return next((t for t in profile.statements if t.id == statement_id), None)


def _role_predates(
    outcomes: Sequence[Outcome], profiles: ProfileSet, role_created: dt.date
) -> Iterable[Finding]:
    gaps: dict[tuple[str, ActionTypeKey, dt.date], _Gap] = {}
    for req, result in outcomes:
        if result.coverage not in _MISSING:
            continue
        for source in _sources(req):
            key = source.action_type
            if (source.action is None and source.rule is None) or key.category == "Pipeline":
                continue  # artifact store and action-role plumbing, not a provider
            profile = profiles.get(key)
            template = _template(profile, source.profile_statement) if profile else None
            if profile is None or template is None or not _action_in(template.actions, req.action):
                continue
            date = template.since or profile.supported_since
            if date is None or role_created >= date:
                continue
            gap = gaps.setdefault((source.pointer, key, date), _Gap(profile, date, source))
            gap.reasons[template.id] = template.description
            gap.missing[(req.action, req.resource)] = None
    for (where, key, date), gap in sorted(gaps.items(), key=lambda item: item[0][:2]):
        missing = list(gap.missing)
        since_provider = gap.profile.supported_since == date
        what = (
            f"CodePipeline supported {gap.profile.title} ({date.isoformat()})"
            if since_provider
            else f"{gap.profile.title} needed it ({date.isoformat()}: "
            + "; ".join(gap.reasons.values()).lower()
            + ")"
        )
        listed = ", ".join(f"`{a}` on `{r}`" for a, r in missing[:_LISTED])
        more = f" and {len(missing) - _LISTED} more" if len(missing) > _LISTED else ""
        source = gap.source
        yield finding(
            "ROLE_PREDATES_PROVIDER",
            f"the role was created on {role_created.isoformat()}, before {what}; the console "
            f"never added these permissions, and `{source.stage}/{source.action or source.rule}` "
            f"lacks "
            f"{listed}{more}",
            where,
            provider=key.provider,
            action_type=key.label,
            supported_since=date.isoformat(),
            role_created=role_created.isoformat(),
            pipeline=source.pipeline,
            stage=source.stage,
            action=source.action,
            **({"rule": source.rule} if source.rule else {}),
            missing=[{"action": a, "resource": r} for a, r in missing],
        )


def _passed_services(computed: Sequence[ComputedStatement]) -> tuple[list[str], list[str]]:
    services: set[str] = set()
    roles: set[str] = set()
    for stmt in computed:
        if not any(a.lower() == PASS_ROLE.lower() for a in stmt.actions):
            continue
        roles.update(stmt.resources)
        for block in (stmt.condition or {}).values():
            for key, values in block.items():
                if key.lower() == PASSED_TO_SERVICE:
                    services.update([values] if isinstance(values, str) else values)
    return sorted(services), sorted(roles)


def _scoped_to_service(stmt: PolicyStatement) -> bool:
    return any(
        key.lower() == PASSED_TO_SERVICE and not op.negated for op, key, _ in stmt.conditions
    )


def _pass_role_unscoped(
    statements: Sequence[PolicyStatement], computed: Sequence[ComputedStatement]
) -> Iterable[Finding]:
    services, roles = _passed_services(computed)
    if not roles:
        return
    condition: Mapping[str, Mapping[str, str | list[str]]] | None = None
    if services:
        condition = {
            "StringEquals": {"iam:PassedToService": services[0] if len(services) == 1 else services}
        }
    for stmt in statements:
        if stmt.effect != "Allow" or not stmt.matches_action(PASS_ROLE) or _scoped_to_service(stmt):
            continue
        to = ", ".join(f"`{s}`" for s in services) or "their services"
        yield finding(
            "PIPELINE_PASSROLE_UNSCOPED",
            f"the pipelines pass roles only to {to}, but this statement grants iam:PassRole "
            "without an `iam:PassedToService` condition, so the role can hand those roles to "
            "any service",
            stmt.pointer,
            services=services or None,
            roles=roles,
            suggested_condition=condition,
        )


def pipeline_checks(
    policy_statements: Sequence[PolicyStatement],
    pipelines: Sequence[Pipeline],
    profile_set: ProfileSet,
    catalog: Catalog,
    *,
    role_created: dt.date | None = None,
    context: ComputeContext | None = None,
    budget: WorkBudget | None = None,
) -> list[Finding]:
    """Findings about `policy_statements` (a role's policies) given the pipelines using it.

    `context` (account, Region, partition) overrides what the pipelines say, as in compute:
    what they need is named in the Region the caller gave.
    """
    if not pipelines:
        return []
    context = context or ComputeContext()
    budget = budget or WorkBudget.unbounded()
    computed = compute_policy(pipelines, profile_set, context=context)
    outcomes = []
    for req in requirements_from_computed(computed.statements, catalog):
        outcomes.append(
            (
                req,
                check_requirement(
                    req.action, req.resource, req.facts, policy_statements, budget=budget
                ),
            )
        )
    found: list[Finding] = [
        *_eb_describe_events(pipelines, outcomes, policy_statements, context, budget)
    ]
    if role_created is not None:
        found.extend(_role_predates(outcomes, profile_set, role_created))
    found.extend(_pass_role_unscoped(policy_statements, computed.statements))
    return sorted(found, key=Finding.sort_key)
