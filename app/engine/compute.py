"""Pipeline(s) + profile set + context -> the service-role policy they need, with provenance.

Every profile statement is rendered per action into grants (actions x resources under one
condition). Grants are merged exactly: first each (action, condition) collects its resources, then
actions with identical resources and condition share one statement. The output is sorted and
byte-stable, and every statement names the pipeline actions that need it.
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from app.engine.budget import WorkBudget
from app.engine.findings import Finding, FindingType
from app.engine.iam.catalog import Catalog
from app.engine.iam.patterns.arn import split_arn
from app.engine.iam.policy.quotas import (
    MANAGED_POLICIES_PER_ROLE,
    MANAGED_POLICIES_PER_ROLE_MAX,
    MANAGED_POLICY_QUOTA,
    SizeReport,
    measure,
    split_statements,
)
from app.engine.json_pointer import pointer_join
from app.engine.pipeline.model import (
    RULE_CATEGORY,
    Action,
    ActionTypeKey,
    ArtifactStore,
    Pipeline,
    Rule,
    Stage,
)
from app.engine.placeholders import KnownValues, Template, Widening, hint_missing, render
from app.engine.profiles import (
    DEPRECATED,
    Citation,
    Impact,
    Profile,
    ProfileSet,
    StatementTemplate,
)
from app.engine.triggers import trigger_holds

POLICY_VERSION = "2012-10-17"
ARTIFACT_STORE_KEY = ActionTypeKey("Pipeline", "AWS", "ArtifactStore", "1")
ACTION_ROLE_KEY = ActionTypeKey("Pipeline", "AWS", "ActionRole", "1")
ACTION_ROLE_INPUTS_KEY = ActionTypeKey("Pipeline", "AWS", "ActionRoleInputArtifacts", "1")
ACTION_ROLE_OUTPUTS_KEY = ActionTypeKey("Pipeline", "AWS", "ActionRoleOutputArtifacts", "1")
_ACCOUNT = re.compile(r"^\d{12}$")
ANY_PIPELINE = "*"


@dataclass(frozen=True)
class ComputeContext:
    account: str | None = None
    region: str | None = None
    partition: str | None = None


@dataclass(frozen=True)
class HintTarget:
    pipeline: str
    stage: str
    action: str


@dataclass(frozen=True)
class RequiredBy:
    pipeline: str
    stage: str | None
    action: str | None
    action_type: ActionTypeKey
    profile_revision: int
    profile_statement: str
    reason: str
    inferred: bool
    citation: Citation
    impact: Impact | None
    pointer: str
    # The stage-condition rule that needs the statement (then `action` is None).
    rule: str | None = None
    # What works without the permission, when AWS documents it as optional.
    optional: str | None = None
    # Another policy that may grant it instead (a KMS key policy, say).
    alternative: str | None = None
    # Why it may not be needed: its trigger depends on a value not known before run time.
    undetermined: str | None = None
    # What its condition takes for granted, which a policy may know better.
    assumes: str | None = None
    # The profile statement's actions (lower-cased) and rendered resources: the reasons of one
    # (action, resource) of a statement that merges several profile statements.
    actions: frozenset[str] = frozenset()
    resources: frozenset[str] = frozenset()

    @property
    def certain(self) -> bool:
        """Needed for sure, and only the role's own policies can grant it."""
        return self.optional is None and self.alternative is None and self.undetermined is None

    def __hash__(self) -> int:
        # Merging hashes a reason once per action it names. The pipeline, pointer and profile
        # statement tell reasons apart (equality still compares every field), and strings cache
        # their hash, where the generated hash would walk the nested dataclasses each time.
        return hash((self.pipeline, self.pointer, self.profile_statement))

    def sort_key(self) -> tuple[str, str, str, str, str]:
        return (
            self.pipeline,
            self.stage or "",
            self.action or "",
            self.rule or "",
            self.profile_statement,
        )


@dataclass(frozen=True)
class ComputedStatement:
    sid: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    condition: Mapping[str, Mapping[str, str | list[str]]] | None
    required_by: tuple[RequiredBy, ...]
    effect: str = "Allow"
    # The resources whose `*` stands for a name, account or Region that is not known (a
    # template value, a run-time variable, a hint not given): what they really are is unverified.
    unverifiable: frozenset[str] = frozenset()

    def to_policy_statement(self) -> dict[str, Any]:
        stmt: dict[str, Any] = {
            "Sid": self.sid,
            "Effect": self.effect,
            "Action": list(self.actions) if len(self.actions) > 1 else self.actions[0],
            "Resource": list(self.resources) if len(self.resources) > 1 else self.resources[0],
        }
        if self.condition:
            stmt["Condition"] = {op: dict(block) for op, block in self.condition.items()}
        return stmt


@dataclass(frozen=True)
class ActionRolePolicy:
    role_arn: str
    statements: tuple[ComputedStatement, ...]
    document: Mapping[str, Any]


@dataclass(frozen=True)
class ComputeResult:
    document: Mapping[str, Any]
    statements: tuple[ComputedStatement, ...]
    split_documents: tuple[Mapping[str, Any], ...]
    size: SizeReport
    action_roles: tuple[ActionRolePolicy, ...]
    findings: tuple[Finding, ...]
    profiles_used: tuple[tuple[ActionTypeKey, int], ...]


@dataclass
class _Grant:
    action_names: tuple[tuple[str, str], ...]  # (lower-case, as written)
    resources: list[str]
    condition: dict[str, dict[str, str | list[str]]] | None
    condition_key: str
    required_by: RequiredBy
    unverifiable: frozenset[str] = frozenset()


@dataclass(frozen=True)
class PolicyPlacement:
    """Where an answer puts the policy compute works out, so its findings point there: the
    one document, and the managed policies it is split into when the answer gives them."""

    document: str
    parts: str | None


# Compute's own answer: `policy`, and `policies` when it does not fit one managed policy.
COMPUTED = PolicyPlacement("/policy", "/policies")


@dataclass
class _Accumulator:
    service_role: list[_Grant] = field(default_factory=list)
    action_roles: dict[str, list[_Grant]] = field(default_factory=lambda: defaultdict(list))
    findings: list[Finding] = field(default_factory=list)
    used: dict[ActionTypeKey, int] = field(default_factory=dict)
    pitfalls_reported: set[tuple[str, ActionTypeKey, int]] = field(default_factory=set)
    catalog: Catalog | None = None
    budget: WorkBudget | None = None


def compute_policy(
    pipelines: Sequence[Pipeline],
    profiles: ProfileSet,
    *,
    context: ComputeContext | None = None,
    hints: Mapping[HintTarget, Mapping[str, Sequence[str]]] | None = None,
    catalog: Catalog | None = None,
    budget: WorkBudget | None = None,
    placement: PolicyPlacement = COMPUTED,
) -> ComputeResult:
    """The least-privilege service-role policy shared by `pipelines`.

    With the IAM `catalog`, a resource whose whole ARN is not known takes the shape of the ARN
    formats of its actions' resource types (`arn:aws:states:<region>:<account>:stateMachine:*`)
    rather than `*`. The findings of a policy too large for one managed policy point where
    `placement` says the answer puts it."""
    context = context or ComputeContext()
    hints = hints or {}
    acc = _Accumulator(catalog=catalog, budget=budget)
    for pipeline in pipelines:
        _render_pipeline(pipeline, profiles, context, hints, acc)
    statements = _merge(acc.service_role)
    document = _document(statements)
    size = measure(document)
    split: tuple[Mapping[str, Any], ...] = ()
    if not size.fits_managed:
        split = tuple(
            _document(part) for part in split_statements(_fit(statements), size_of=_statement_size)
        )
        acc.findings.extend(_split_findings(size, split, placement))
    # A role whose actions need nothing of it has no policy to give (an empty Statement is not
    # a policy IAM takes); the service role still assumes it.
    action_roles = tuple(
        ActionRolePolicy(role_arn=arn, statements=tuple(stmts), document=_document(stmts))
        for arn, stmts in (
            (arn, _merge(grants)) for arn, grants in sorted(acc.action_roles.items())
        )
        if stmts
    )
    return ComputeResult(
        document=document,
        statements=tuple(statements),
        split_documents=split,
        size=size,
        action_roles=action_roles,
        findings=tuple(sorted(_dedupe(acc.findings), key=Finding.sort_key)),
        profiles_used=tuple(sorted(acc.used.items())),
    )


def _split_findings(
    size: SizeReport, parts: Sequence[Mapping[str, Any]], placement: PolicyPlacement
) -> list[Finding]:
    """That the policy is too large for one managed policy, and what keeps its split from being
    attached as it is: a part over the managed-policy quota (one statement too large to split),
    or more parts than a role may attach. An answer that gives the policy whole says that the
    split is compute's."""
    given = (
        f"it is also given split into {len(parts)} managed policies"
        if placement.parts is not None
        else f"split, it takes {len(parts)} managed policies (compute gives them)"
    )
    inline = (
        ""
        if size.fits_inline
        else f", and it exceeds the {size.inline_quota} characters allowed for a role's inline "
        "policies"
    )
    findings = [
        Finding(
            code="POLICY_SPLIT",
            finding_type=FindingType.WARNING,
            message=f"the policy has {size.characters} characters (white space excluded), over "
            f"the {size.managed_quota} of a managed policy; {given}{inline}",
            path="" if placement.parts is not None else placement.document,
            detail={"characters": size.characters, "parts": len(parts)},
        )
    ]
    for i, part in enumerate(parts):
        characters = measure(part).characters
        if characters > MANAGED_POLICY_QUOTA:
            findings.append(
                Finding(
                    code="POLICY_PART_OVER_QUOTA",
                    finding_type=FindingType.ERROR,
                    message=f"managed policy {i + 1} of the split has {characters} characters, "
                    f"over the {MANAGED_POLICY_QUOTA} IAM allows; one of its statements is too "
                    "large to split (a configuration value this long is not a name IAM takes)",
                    path=(
                        placement.document
                        if placement.parts is None
                        else pointer_join(placement.parts, i)
                    ),
                    detail={"characters": characters, "part": i},
                )
            )
    if len(parts) > MANAGED_POLICIES_PER_ROLE:
        findings.append(
            Finding(
                code="TOO_MANY_MANAGED_POLICIES",
                finding_type=FindingType.ERROR,
                message=f"the policy splits into {len(parts)} managed policies; a role may "
                f"attach {MANAGED_POLICIES_PER_ROLE} (up to {MANAGED_POLICIES_PER_ROLE_MAX} "
                "after a quota increase) — give the pipelines separate roles, or fewer "
                "pipelines to one role",
                path=placement.parts or placement.document,
                detail={"parts": len(parts), "quota": MANAGED_POLICIES_PER_ROLE},
            )
        )
    return findings


# -- rendering -----------------------------------------------------------------------------------


def pipeline_identity(
    pipeline: Pipeline, context: ComputeContext
) -> tuple[str, str | None, str | None]:
    """The pipeline's partition, account and Region: from the context, else its role and
    pipeline ARNs, else (the Region) its one artifact store's."""
    role = split_arn(pipeline.role_arn)
    arn = split_arn(pipeline.pipeline_arn or "")
    partition = context.partition or (role and role.partition) or (arn and arn.partition) or "aws"
    account = context.account
    for match in (role, arn):
        if account is None and match and _ACCOUNT.match(match.account):
            account = match.account
    region = context.region or (arn.region if arn and arn.region else None)
    if region is None:
        stored = {s.region for s in pipeline.artifact_stores if s.region}
        if len(stored) == 1:
            region = stored.pop()
    return partition, account, region


def _render_pipeline(
    pipeline: Pipeline,
    profiles: ProfileSet,
    context: ComputeContext,
    hints: Mapping[HintTarget, Mapping[str, Sequence[str]]],
    acc: _Accumulator,
) -> None:
    partition, account, region = pipeline_identity(pipeline, context)
    if account is None:
        acc.findings.append(
            Finding(
                code="UNKNOWN_ACCOUNT",
                finding_type=FindingType.WARNING,
                message="the account ID is not in the roleArn or the request context; "
                "ARNs use `*` for the account",
                path=pointer_join(pipeline.pointer, "roleArn"),
            )
        )
    if region is None:
        acc.findings.append(
            Finding(
                code="UNKNOWN_REGION",
                finding_type=FindingType.WARNING,
                message="the pipeline's Region is not known (give `context.region`); "
                "ARNs use `*` for the Region",
                path=pipeline.pointer,
            )
        )
    store_scope = KnownValues(
        partition=partition,
        account=account,
        region=region,
        pipeline_name=pipeline.name,
        artifact_buckets=sorted({s.location for s in pipeline.artifact_stores}),
        artifact_kms_keys=_store_key_arns(
            pipeline.artifact_stores, partition, account, region, acc.findings
        ),
    )
    store_profile = profiles.get(ARTIFACT_STORE_KEY)
    if store_profile is None:
        acc.findings.append(_no_profile(ARTIFACT_STORE_KEY, pipeline.pointer))
    elif pipeline.artifact_stores:
        _render_profile(store_profile, store_scope, _Site(pipeline), acc.service_role, acc)
    for stage, action in pipeline.actions():
        profile = profiles.get(action.type)
        if profile is None:
            acc.findings.append(_no_profile(action.type, action.pointer))
            continue
        scope = KnownValues(
            partition=partition,
            account=account,
            region=action.region or region,
            pipeline_name=pipeline.name,
            configuration=action.configuration,
            hints=_action_hints(hints, pipeline.name, stage.name, action.name),
            role_arn=action.role_arn,
            secret_variables=[
                v.value for v in action.environment_variables if v.type.upper() == "SECRETS_MANAGER"
            ],
        )
        _render_member(profiles, profile, scope, _Site(pipeline, stage, action), region, acc)
    for stage, rule in pipeline.rules():
        profile = profiles.get(rule.type)
        if profile is None:
            acc.findings.append(_no_profile(rule.type, rule.pointer))
            continue
        scope = KnownValues(
            partition=partition,
            account=account,
            region=rule.region or region,
            pipeline_name=pipeline.name,
            configuration=rule.configuration,
            role_arn=rule.role_arn,
        )
        _render_member(profiles, profile, scope, _Site(pipeline, stage, rule=rule), region, acc)


def _render_member(
    profiles: ProfileSet,
    profile: Profile,
    scope: KnownValues,
    site: _Site,
    home_region: str | None,
    acc: _Accumulator,
) -> None:
    """An action's or rule's profile: on the service role, or on its own role, which the service
    role then assumes."""
    member = site.member
    role_arn = member.role_arn if member is not None else None
    if not role_arn:
        _render_profile(profile, scope, site, acc.service_role, acc)
        return
    role_profile = profiles.get(ACTION_ROLE_KEY)
    if role_profile is None:
        acc.findings.append(_no_profile(ACTION_ROLE_KEY, site.pointer))
    else:
        _render_profile(role_profile, scope, site, acc.service_role, acc)
    role_scope = _role_scope(scope, role_arn, site, acc)
    _render_profile(profile, role_scope, site, acc.action_roles[role_arn], acc)
    # The artifact store is the pipeline's, in its account, whoever reads or writes it.
    _render_role_artifacts(profiles, scope, site, home_region, acc.action_roles[role_arn], acc)


def _role_scope(scope: KnownValues, role_arn: str, site: _Site, acc: _Accumulator) -> KnownValues:
    """The scope of what an action or rule does on its own role. CodePipeline calls the
    services as that role, so the names it is given (a stack, a function, a deployment group)
    are those of the role's account, as its companion documents resolve them too."""
    arn = split_arn(role_arn)
    if arn is not None and _ACCOUNT.match(arn.account):
        return replace(scope, account=arn.account)
    if scope.account is not None:  # else the pipeline's UNKNOWN_ACCOUNT says it already
        acc.findings.append(
            Finding(
                code="UNKNOWN_ACCOUNT",
                finding_type=FindingType.WARNING,
                message=f"the account of the role `{role_arn}` is not known; the permissions "
                "the action has on it use `*` for the account",
                path=pointer_join(site.pointer, "roleArn"),
            )
        )
    return replace(scope, account=None)


def _render_role_artifacts(
    profiles: ProfileSet,
    scope: KnownValues,
    site: _Site,
    home_region: str | None,
    target: list[_Grant],
    acc: _Accumulator,
) -> None:
    """CodePipeline runs an action that names its own role as that role, so the role reads the
    action's input artifacts and writes its outputs in the artifact store of the action's
    Region (the service role keeps its own artifact statements for the work it does itself)."""
    member = site.member
    assert member is not None
    outputs = site.action.output_artifacts if site.action is not None else ()
    wanted = [
        key
        for key, needed in (
            (ACTION_ROLE_INPUTS_KEY, member.input_artifacts),
            (ACTION_ROLE_OUTPUTS_KEY, outputs),
        )
        if needed
    ]
    if not wanted:
        return
    stores = _member_stores(site.pipeline, member.region, home_region)
    if not stores:
        return  # no store in its Region: CROSS_REGION_NEEDS_ARTIFACT_STORES and the like say so
    store_scope = replace(
        scope,
        artifact_buckets=sorted({s.location for s in stores}),
        artifact_kms_keys=_store_key_arns(
            stores, scope.partition, scope.account, scope.region, acc.findings
        ),
    )
    for key in wanted:
        artifacts_profile = profiles.get(key)
        if artifacts_profile is None:
            acc.findings.append(_no_profile(key, site.pointer))
            continue
        _render_profile(artifacts_profile, store_scope, site, target, acc)


def _member_stores(
    pipeline: Pipeline, member_region: str | None, home_region: str | None
) -> list[ArtifactStore]:
    """The artifact store of the Region an action or rule runs in: the `artifactStores` entry
    of that Region, or the single `artifactStore` when the member runs in the pipeline's own
    Region. When the Region cannot be told (neither is known), every store may be the one."""
    region = member_region or home_region
    regional = [s for s in pipeline.artifact_stores if s.region is not None]
    if regional:
        if region is None:
            return regional
        return [s for s in regional if s.region == region]
    single = [s for s in pipeline.artifact_stores if s.region is None]
    if member_region is not None and home_region is not None and member_region != home_region:
        return []
    return single


def _action_hints(
    hints: Mapping[HintTarget, Mapping[str, Sequence[str]]], pipeline: str, stage: str, action: str
) -> Mapping[str, Sequence[str]]:
    """The hints for one action: those for it in any pipeline, then those for it in this one."""
    if not hints:
        return {}
    return {
        **hints.get(HintTarget(ANY_PIPELINE, stage, action), {}),
        **hints.get(HintTarget(pipeline, stage, action), {}),
    }


def _no_profile(key: ActionTypeKey, pointer: str) -> Finding:
    if key.owner == "AWS":
        what = "rule type" if key.category == RULE_CATEGORY else "action type"
        return Finding(
            code="NO_PROFILE",
            finding_type=FindingType.ERROR,
            message=f"no permission profile for {what} `{key.label}`; "
            "its permissions are not in the computed policy",
            path=pointer,
            detail={"action_type": key.label},
        )
    return Finding(
        code="NO_PROFILE",
        finding_type=FindingType.WARNING,
        message=f"no permission profile for the {key.owner.lower()} action type `{key.label}`; "
        "custom and third-party actions usually run on job workers with their own credentials, "
        "so nothing was added for it — add a profile if it needs service-role permissions",
        path=pointer,
        detail={"action_type": key.label},
    )


def _store_key_arns(
    stores: Iterable[ArtifactStore],
    partition: str,
    account: str | None,
    region: str | None,
    findings: list[Finding],
) -> list[str]:
    """The ARNs (or ARN shapes) of the stores' customer managed keys, sorted and distinct."""
    return sorted(
        {
            key
            for store in stores
            for key in _kms_key_arns(store, partition, account, region, findings)
        }
    )


def _kms_key_arns(
    store: ArtifactStore,
    partition: str,
    account: str | None,
    region: str | None,
    findings: list[Finding],
) -> list[str]:
    key = store.kms_key_id
    if not key:
        return []
    match = split_arn(key)
    store_region = store.region or region or "*"
    if match and ":key/" in key:
        return [key]
    if match or key.startswith("alias/"):
        key_region = match.region if match else store_region
        key_account = match.account if match else (account or "*")
        findings.append(
            Finding(
                code="KMS_ALIAS",
                finding_type=FindingType.WARNING,
                message=f"the artifact store key `{key}` is an alias; IAM matches KMS keys by key "
                "ARN, so the grant covers every key of the account and Region — give the key ARN "
                "to narrow it (aliases also work only in the key's own account)",
                path=pointer_join(store.pointer, "encryptionKey", "id"),
            )
        )
        return [f"arn:{partition}:kms:{key_region}:{key_account}:key/*"]
    return [f"arn:{partition}:kms:{store_region}:{account or '*'}:key/{key}"]


@dataclass(frozen=True)
class _Site:
    """Where a profile is rendered: a pipeline, or one action or stage-condition rule of one of
    its stages."""

    pipeline: Pipeline
    stage: Stage | None = None
    action: Action | None = None
    rule: Rule | None = None

    @property
    def member(self) -> Action | Rule | None:
        return self.action or self.rule

    @property
    def pointer(self) -> str:
        member = self.member
        return member.pointer if member is not None else self.pipeline.pointer


def _render_profile(
    profile: Profile, scope: KnownValues, site: _Site, target: list[_Grant], acc: _Accumulator
) -> None:
    pipeline, stage, action, member = site.pipeline, site.stage, site.action, site.member
    acc.used[profile.key] = profile.revision
    if profile.extends is not None:  # its statements may be the parent revision's
        parent, parent_revision = profile.extends
        acc.used[parent] = parent_revision
    where = site.pointer
    if profile.status == DEPRECATED:
        acc.findings.append(
            Finding(
                code="DEPRECATED_PROFILE",
                finding_type=FindingType.WARNING,
                message=f"the profile of `{profile.key.label}` is deprecated (revision "
                f"{profile.revision}); its permissions are still included, but the action type "
                "may be retired or replaced",
                path=where,
                detail={"action_type": profile.key.label, "revision": profile.revision},
            )
        )
    for template in profile.statements:
        if action is not None:
            holds = trigger_holds(
                template.when, action.configuration, action.environment_variables, pipeline
            )
        elif site.rule is not None:
            holds = trigger_holds(template.when, site.rule.configuration, (), pipeline)
        else:
            holds = trigger_holds(template.when, None, (), pipeline)
        if holds is False:
            continue
        undetermined = None
        if holds is None:
            undetermined = (
                f"whether `{template.id}` of `{profile.key.label}` is needed depends on a "
                "value not known before run time"
            )
            acc.findings.append(
                Finding(
                    code="UNRESOLVED_TRIGGER",
                    finding_type=FindingType.WARNING,
                    message=f"{undetermined}; it was included",
                    path=pointer_join(where, "configuration"),
                )
            )
        resources, unverifiable = _render_resources(
            template, scope, profile, where, acc.findings, acc.catalog
        )
        if acc.budget is not None:
            # Pipelines x actions x statements x resources: what a body of bounded size
            # multiplies into (a list hint with thousands of values, say).
            acc.budget.charge(steps=1, items=len(resources), at=where)
        if not resources:
            continue
        condition = _render_condition(
            template, scope, profile, _Places(where, pipeline), acc.findings
        )
        target.append(
            _Grant(
                action_names=template.action_names,
                resources=resources,
                condition=condition,
                # Rendered conditions are built in one order (operators, keys and values
                # sorted), so equal conditions have equal reprs.
                condition_key=repr(condition) if condition else "",
                unverifiable=unverifiable,
                required_by=RequiredBy(
                    pipeline=pipeline.name,
                    stage=stage.name if stage else None,
                    action=action.name if action else None,
                    action_type=profile.key,
                    profile_revision=profile.revision,
                    profile_statement=template.id,
                    reason=template.description,
                    inferred=template.inferred,
                    citation=template.source,
                    impact=template.impact,
                    pointer=where,
                    rule=site.rule.name if site.rule else None,
                    optional=template.optional,
                    alternative=template.alternative,
                    undetermined=undetermined,
                    assumes=template.assumes,
                    actions=template.action_set,
                    resources=frozenset(resources),
                ),
            )
        )
    if member is not None:
        variables = action.environment_variables if action is not None else ()
        for i, pitfall in enumerate(profile.pitfalls):
            # Named once per pipeline, at the first member where it may apply.
            marker = (pipeline.name, profile.key, i)
            if marker in acc.pitfalls_reported:
                continue
            if trigger_holds(pitfall.when, member.configuration, variables, pipeline) is False:
                continue
            acc.pitfalls_reported.add(marker)
            acc.findings.append(
                Finding(
                    code="PROVIDER_PITFALL",
                    finding_type=FindingType.SUGGESTION,
                    message=pitfall.text,
                    path=member.pointer,
                    detail={
                        "action_type": profile.key.label,
                        **({"source": pitfall.source.url} if pitfall.source else {}),
                    },
                )
            )


def _render_resources(
    template: StatementTemplate,
    scope: KnownValues,
    profile: Profile,
    where: str,
    findings: list[Finding],
    catalog: Catalog | None = None,
) -> tuple[list[str], frozenset[str]]:
    """The resources of a statement, and those among them whose `*` stands for a value that is
    not known (they are unverifiable: a grant on a concrete name of that shape may be right)."""
    out: set[str] = set()
    unverifiable: set[str] = set()
    for resource in template.resources:
        chosen: Template = resource
        missing = hint_missing(resource, scope)
        if missing:
            spec = template.hints[missing[0]]
            chosen = spec.fallback
            findings.append(
                Finding(
                    code="HINT_WOULD_NARROW",
                    finding_type=FindingType.SUGGESTION,
                    message=f"`{template.id}` of `{profile.key.label}` is scoped to "
                    f"`{chosen.text}`; the hint `{spec.name}` ({spec.description}) would narrow it",
                    path=where,
                    detail={"hint": spec.name, "statement": template.id},
                )
            )
        values, widenings = render(chosen, scope)
        if widenings:
            findings.extend(_widening_findings(widenings, template, profile, where))
        malformed = [v for v in values if v != "*" and not v.startswith("arn:")]
        if malformed:
            findings.append(_not_an_arn(malformed, chosen, template, profile, where))
            values = sorted({*(v for v in values if v not in malformed), "*"})
        if widenings or missing or malformed:
            if values == ["*"] and catalog is not None:
                values = arn_shapes(template.actions, scope, catalog) or values
            unverifiable.update(v for v in values if "*" in v or "?" in v)
        if len(template.resources) == 1:
            return values, frozenset(unverifiable)  # already sorted and distinct
        out.update(values)
    return sorted(out), frozenset(unverifiable)


def _not_an_arn(
    values: Sequence[str],
    chosen: Template,
    template: StatementTemplate,
    profile: Profile,
    where: str,
) -> Finding:
    keys = [
        p.name.removeprefix("config.") for p in chosen.placeholders if p.name.startswith("config.")
    ]
    path = pointer_join(where, "configuration", keys[0]) if len(keys) == 1 else where
    return Finding(
        code="NOT_AN_ARN",
        finding_type=FindingType.ERROR,
        message=f"`{template.id}` of `{profile.key.label}` needs an ARN here, and "
        f"`{values[0]}` is not one; the resource is left to the shape of its type",
        path=path,
        detail={"statement": template.id, "values": list(values)},
    )


_ARN_FORMAT_VARIABLE = re.compile(r"\$\{([^}]*)\}")


def arn_shapes(actions: Iterable[str], scope: KnownValues, catalog: Catalog) -> list[str]:
    """What is known of an ARN none of whose parts is: the ARN formats of the resource types
    the actions take, with the partition, Region and account filled in where known. Empty when
    an action takes no resource type (it is granted on `*` anyway) or is not in the catalogue."""
    known = {"Partition": scope.partition, "Region": scope.region, "Account": scope.account}
    shapes: set[str] = set()
    for name in actions:
        info = catalog.action(name)
        if info is None or not info.arn_formats:
            return []
        shapes.update(
            _ARN_FORMAT_VARIABLE.sub(lambda m: known.get(m.group(1)) or "*", arn)
            for arn in info.arn_formats
        )
    return sorted(shapes)


@dataclass(frozen=True)
class _Places:
    """Where a rendered statement comes from, and where its pipeline-wide values are set."""

    where: str
    pipeline: Pipeline


# Exact-match operators and the pattern-matching operator that keeps their meaning for a value
# with a `*` standing for an unknown part (IfExists and set qualifiers are kept around them).
_LIKE_OPERATOR = {"StringEquals": "StringLike", "ArnEquals": "ArnLike"}


def _render_condition(
    template: StatementTemplate,
    scope: KnownValues,
    profile: Profile,
    places: _Places,
    findings: list[Finding],
) -> dict[str, dict[str, str | list[str]]] | None:
    """The statement's Condition in this scope. A value with an unknown part never stays under
    an exact-match operator (where `*` would match only itself and deny everything): it moves to
    the matching `Like` operator, or, when nothing of it is known, its key is left out."""
    if template.condition is None:
        return None
    blocks: dict[str, dict[str, set[str]]] = {}
    for operator in sorted(template.condition):
        for key_template, value_templates in template.condition[operator].items():
            keys, widenings = render(key_template, scope)
            if widenings:
                findings.extend(_widening_findings(widenings, template, profile, places.where))
            exact: set[str] = set()
            patterns: set[str] = set()
            unknown_from: list[Widening] = []
            for value_template in value_templates:
                rendered, widenings = render(value_template, scope)
                if widenings:
                    findings.extend(_widening_findings(widenings, template, profile, places.where))
                    unknown_from.extend(widenings)
                    patterns.update(v for v in rendered if "*" in v)
                    exact.update(v for v in rendered if "*" not in v)
                else:
                    exact.update(rendered)
            like = _like_operator(operator) if patterns else None
            kept = {p for p in patterns if p != "*"} if like else set()
            for key in keys:
                if exact:
                    blocks.setdefault(operator, {}).setdefault(key, set()).update(exact)
                if like and kept:
                    blocks.setdefault(like, {}).setdefault(key, set()).update(kept)
            if patterns and not (like and kept):
                findings.append(_dropped_condition(operator, keys, unknown_from, template, places))
    out: dict[str, dict[str, str | list[str]]] = {}
    for operator in sorted(blocks):
        block: dict[str, str | list[str]] = {}
        for key in sorted(blocks[operator]):
            ordered = sorted(blocks[operator][key])
            block[key] = ordered[0] if len(ordered) == 1 else ordered
        out[operator] = block
    return out or None


def _like_operator(operator: str) -> str | None:
    qualifier, _, rest = operator.rpartition(":")
    base = rest.removesuffix("IfExists")
    if base in _LIKE_OPERATOR.values():
        return operator  # already a pattern operator: `*` is meant as a pattern there
    like = _LIKE_OPERATOR.get(base)
    if like is None:
        return None
    return (f"{qualifier}:" if qualifier else "") + like + rest[len(base) :]


def _dropped_condition(
    operator: str,
    keys: Sequence[str],
    unknown_from: Sequence[Widening],
    template: StatementTemplate,
    places: _Places,
) -> Finding:
    what = ", ".join(sorted({w.placeholder for w in unknown_from})) or "a value"
    account = any(w.code == "UNKNOWN_ACCOUNT" for w in unknown_from)
    path = pointer_join(places.pipeline.pointer, "roleArn") if account else places.where
    listed = ", ".join(f"`{k}`" for k in keys)
    # One message per place and test (not per statement), so the finding is given once.
    return Finding(
        code="CONDITION_WIDENED",
        finding_type=FindingType.WARNING,
        message=f"`{operator}` on {listed} would compare with `{what}`, which is not known; the "
        "test is left out of the statements that have it (it could never match), so they are "
        "not limited by it"
        + (
            " — give the account (`context.account`, or `--account` on the command line) to "
            "restore it"
            if account
            else ""
        ),
        path=path,
        detail={"operator": operator, "keys": list(keys), "first_statement": template.id},
    )


_WIDENING_TEXT = {
    "UNRESOLVED_VARIABLE": "holds a variable resolved only at run time",
    "MASKED_VALUE": "is masked",
    "MISSING_CONFIGURATION": "is not set",
    "UNKNOWN_ACCOUNT": "is not known",
    "UNKNOWN_REGION": "is not known",
}


def _widening_findings(
    widenings: Iterable[Widening], template: StatementTemplate, profile: Profile, where: str
) -> list[Finding]:
    out = []
    for w in widenings:
        if w.code in ("UNKNOWN_ACCOUNT", "UNKNOWN_REGION", "UNKNOWN_VALUE"):
            continue  # reported once per pipeline, or by the template's parser
        path = pointer_join(where, "configuration", w.placeholder)
        out.append(
            Finding(
                code=w.code,
                finding_type=FindingType.ERROR
                if w.code == "MISSING_CONFIGURATION"
                else FindingType.WARNING,
                message=f"`{w.placeholder}` {_WIDENING_TEXT[w.code]}; `{template.id}` of "
                f"`{profile.key.label}` uses `*` in its place",
                path=path,
                detail={"statement": template.id, **({"value": w.value} if w.value else {})},
            )
        )
    return out


# -- merging and documents ----------------------------------------------------------------------


_Draft = tuple[
    tuple[str, tuple[str, ...], str],
    tuple[str, ...],
    tuple[str, ...],
    dict[str, dict[str, str | list[str]]] | None,
    tuple["RequiredBy", ...],
    str,
    frozenset[str],
]


class _Pool:
    """The grants of one profile statement under one condition: their resources and reasons."""

    __slots__ = ("action_names", "reasons", "resources", "unverifiable")

    def __init__(self, action_names: tuple[tuple[str, str], ...]) -> None:
        self.action_names = action_names
        self.resources: set[str] = set()
        self.reasons: list[RequiredBy] = []
        self.unverifiable: set[str] = set()


def _merge(grants: Sequence[_Grant]) -> list[ComputedStatement]:
    # Grants of one profile statement (the same action tuple) are pooled first, so the work by
    # action below is done once per statement and condition, not once per pipeline action.
    pools: dict[tuple[int, str], _Pool] = {}
    conditions: dict[str, dict[str, dict[str, str | list[str]]] | None] = {}
    for grant in grants:
        key = (id(grant.action_names), grant.condition_key)
        pool = pools.get(key)
        if pool is None:
            pool = pools[key] = _Pool(grant.action_names)
            conditions[grant.condition_key] = grant.condition
        pool.resources.update(grant.resources)
        pool.reasons.append(grant.required_by)
        if grant.unverifiable:
            pool.unverifiable.update(grant.unverifiable)
    # (lower-case action, condition key) -> the pools that grant it
    by_action: dict[tuple[str, str], list[_Pool]] = {}
    canonical_action: dict[str, str] = {}
    for (_, cond_key), pool in pools.items():
        for lowered, action in pool.action_names:
            canonical_action.setdefault(lowered, action)
            by_action.setdefault((lowered, cond_key), []).append(pool)
    # Actions with the same resources share a statement. Grouped by set, sorted once per group:
    # a role shared by many pipelines gives a few actions hundreds of resources each.
    pool_sets: dict[int, frozenset[str]] = {}
    groups: dict[tuple[frozenset[str], str], list[str]] = defaultdict(list)
    for (action, cond_key), action_pools in by_action.items():
        if len(action_pools) == 1:
            only = action_pools[0]
            resource_set = pool_sets.get(id(only))
            if resource_set is None:
                resource_set = pool_sets[id(only)] = frozenset(_prune(only.resources))
        else:
            resource_set = frozenset(_prune(set().union(*(p.resources for p in action_pools))))
        groups[(resource_set, cond_key)].append(action)
    drafts: list[_Draft] = []
    for (resource_set, cond_key), actions in groups.items():
        resources = tuple(sorted(resource_set))
        actions.sort()  # lower-case names: the order of the names as written, without case
        names = tuple(canonical_action[a] for a in actions)
        first_pools = by_action[(actions[0], cond_key)]
        group_pools = {id(p): p for a in actions for p in by_action[(a, cond_key)]}
        required = sorted(
            dict.fromkeys(r for p in group_pools.values() for r in p.reasons),
            key=RequiredBy.sort_key,
        )
        unverifiable = frozenset(
            r for p in group_pools.values() for r in p.unverifiable if r in resource_set
        )
        drafts.append(
            (
                (actions[0], resources, cond_key),
                names,
                resources,
                conditions[cond_key],
                tuple(required),
                _sid_base(first_pools, group_pools.values()),
                unverifiable,
            )
        )
    drafts.sort(key=lambda d: d[0])
    used: set[str] = set()
    out = []
    for _, names, resources, condition, required_by, sid_base, unverifiable in drafts:
        out.append(
            ComputedStatement(
                sid=_unique_sid(sid_base, used),
                actions=names,
                resources=resources,
                condition=condition,
                required_by=required_by,
                unverifiable=unverifiable,
            )
        )
    return out


_SID_NAMES = 3  # profile statements a Sid names before it says how many more there are


def _sid_base(first: Sequence[_Pool], pools: Iterable[_Pool]) -> str:
    """The Sid names the profile statements merged into the statement, the one behind its
    first action first, so that it reads as the reasons it holds; a provider is named once
    for its statements that follow each other."""
    lead = min((r for p in first for r in p.reasons), key=RequiredBy.sort_key)
    merged = {(r.action_type.provider, r.profile_statement) for p in pools for r in p.reasons}
    labels = list(
        dict.fromkeys([(lead.action_type.provider, lead.profile_statement), *sorted(merged)])
    )
    named = labels[:_SID_NAMES]
    parts: list[str] = []
    for i, (provider, statement) in enumerate(named):
        if i == 0 or named[i - 1][0] != provider:
            parts.append(provider)
        parts.append(statement)
    more = len(labels) - len(named)
    return _sid_for("".join(parts), "") + (f"And{more}More" if more else "")


def _prune(resources: set[str]) -> set[str]:
    """`*` covers every other resource of the statement; other overlaps are kept as listed."""
    if "*" in resources:
        return {"*"}
    return resources


@functools.lru_cache(maxsize=4096)
def _sid_for(provider: str, profile_statement: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "", provider + profile_statement)


def _unique_sid(base: str, used: set[str]) -> str:
    sid, n = base, 2
    while sid in used:
        sid, n = f"{base}{n}", n + 1
    used.add(sid)
    return sid


def _document(statements: Sequence[ComputedStatement]) -> dict[str, Any]:
    return {
        "Version": POLICY_VERSION,
        "Statement": [s.to_policy_statement() for s in statements],
    }


def _statement_size(statement: ComputedStatement) -> int:
    return measure({"Statement": [statement.to_policy_statement()]}).characters


def _fit(statements: Sequence[ComputedStatement]) -> list[ComputedStatement]:
    """Split statements too large for one managed policy by their resources."""
    budget = MANAGED_POLICY_QUOTA - 64
    out: list[ComputedStatement] = []
    pending = list(statements)
    while pending:
        stmt = pending.pop(0)
        if _statement_size(stmt) <= budget or len(stmt.resources) < 2:
            out.append(stmt)
            continue
        half = len(stmt.resources) // 2
        pending[:0] = [
            replace(stmt, sid=f"{stmt.sid}Part{i + 1}", resources=chunk)
            for i, chunk in enumerate((stmt.resources[:half], stmt.resources[half:]))
        ]
    return out


def _dedupe(findings: Iterable[Finding]) -> list[Finding]:
    seen: dict[tuple[str, str, str], Finding] = {}
    for f in findings:
        seen.setdefault((f.code, f.path, f.message), f)
    return list(seen.values())
