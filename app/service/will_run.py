"""Use case: will the pipelines run — each permission they need decided against the service
role's whole authorization context and each action role's, with the layer that decides it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from app.engine import api as engine
from app.engine.authorization import AccountPolicies, Principal
from app.engine.authorization.service_rules import is_kms_key
from app.engine.budget import WorkBudget
from app.engine.companions.documents import DocumentKind, PrincipalKind
from app.engine.findings import Finding, FindingType
from app.engine.iam.analysis.diff import Requirement
from app.engine.iam.catalog import Catalog
from app.engine.json_pointer import pointer_join
from app.engine.pipeline.roles import role_name
from app.engine.will_run import RoleUnderTest, RunAnswer, SharedLayers, will_it_run
from app.service.authorization import layer_findings
from app.service.diff import CurrentCompanion, RequiredPermissions
from app.service.errors import InvalidInputError


@dataclass(frozen=True)
class GivenActionRole:
    """An action or rule role's own policies, as the request gives them."""

    role_arn: str
    documents: Sequence[Any]
    pointer: str
    permission_boundary: Any | None = None


@dataclass(frozen=True)
class RunContext:
    """The service role's layers beyond its identity policies, the organisation policies of the
    accounts involved, resource policies by ARN and the action roles' policies. Everything
    sits under `pointer` in the request."""

    pointer: str
    principal: Principal | None = None
    permission_boundary: Any | None = None
    session_policies: Sequence[Any] | None = None
    resource_policies: Mapping[str, Any] = field(default_factory=dict)
    accounts: Mapping[str, AccountPolicies] = field(default_factory=dict)
    action_roles: Sequence[GivenActionRole] = ()


def _service_role(required: RequiredPermissions, given: RunContext) -> Principal:
    if given.principal is not None:
        return given.principal
    if required.service_role_arn is not None:
        return Principal(required.service_role_arn, "role")
    why = (
        "the pipelines name several service roles"
        if len(required.role_arns) > 1
        else "the pipeline's service role is not a whole role ARN"
    )
    raise InvalidInputError(
        f"{why}: give the role the current policies belong to as `principal` (a `role` with "
        "its ARN)",
        pointer=pointer_join(given.pointer, "principal"),
    )


def _companion_arn(companion: CurrentCompanion) -> str | None:
    """The ARN a companion document is the resource policy of."""
    if companion.kind is DocumentKind.BUCKET_POLICY:
        return f"arn:aws:s3:::{companion.target}"
    return companion.target if companion.target.startswith("arn:") else None


def _shared_layers(
    required: RequiredPermissions,
    given: RunContext,
    companions: Sequence[CurrentCompanion],
    unplaced: Sequence[CurrentCompanion],
) -> SharedLayers:
    policies: dict[str, Any] = {}
    pointers: dict[str, str] = {}
    undetermined: dict[str, tuple[str, ...]] = {}
    for companion in companions:
        arn = _companion_arn(companion)
        if arn is not None:
            policies[arn], pointers[arn] = companion.document, companion.pointer
            undetermined[arn] = tuple(place for place, _ in companion.undetermined)
    base = pointer_join(given.pointer, "resource_policies")
    for arn, document in given.resource_policies.items():
        policies[arn], pointers[arn] = document, pointer_join(base, arn)
        undetermined.pop(arn, None)  # the policy given stands for the companion's
    keys = {
        store.location: store.kms_key
        for store in required.artifact_stores
        if store.location and store.kms_key and is_kms_key(store.kms_key)
    }
    return SharedLayers(
        resource_policies=policies,
        resource_pointers=pointers,
        accounts=given.accounts,
        accounts_pointer=pointer_join(given.pointer, "accounts"),
        artifact_keys=keys,
        undetermined=undetermined,
        unplaced=tuple(
            (arn, companion.pointer)
            for companion in unplaced
            if (arn := _companion_arn(companion)) is not None
        ),
    )


def run_check(
    required: RequiredPermissions,
    current_documents: Sequence[Any],
    current_pointer: str,
    given: RunContext,
    companions: Sequence[CurrentCompanion],
    budget: WorkBudget,
    *,
    current_each: Sequence[str] = (),
    unplaced: Sequence[CurrentCompanion] = (),
    possible: Sequence[Any] | None = None,
) -> RunAnswer:
    """Every permission the service role and each action role need, decided with the layers
    given; an action role whose policies are not given has its permissions undecided.
    `current_each` is where each current document sits when they are not one list at
    `current_pointer` (read from the pipelines' templates); `possible` is what those documents
    may grant where the templates do not determine every value, `current_documents` being
    what they grant whatever the values are (SourcePolicies); `unplaced` are the templates'
    companion policies whose resource's name is not known, placed on no resource."""
    service_role = _service_role(required, given)
    roles = [
        RoleUnderTest(
            role_arn=service_role.session_role_arn or service_role.arn,
            requirements=required.requirements,
            identity_policies=current_documents,
            identity_pointer=current_pointer,
            identity_each=tuple(current_each),
            possible_identity_policies=possible,
            permission_boundary=given.permission_boundary,
            boundary_pointer=pointer_join(given.pointer, "permissions_boundary"),
            session_policies=given.session_policies,
            session_pointer=pointer_join(given.pointer, "session_policies"),
            principal=service_role,
        )
    ]
    by_arn = {role.role_arn: role for role in given.action_roles}
    for arn, requirements in required.action_roles:
        own = by_arn.get(arn)
        roles.append(
            RoleUnderTest(
                role_arn=arn,
                requirements=requirements,
                identity_policies=None if own is None else own.documents,
                identity_pointer=pointer_join(own.pointer, "documents") if own else "",
                permission_boundary=None if own is None else own.permission_boundary,
                boundary_pointer=pointer_join(own.pointer, "permissions_boundary") if own else "",
            )
        )
    shared = _shared_layers(required, given, companions, unplaced)
    roles.extend(_services_assuming(required, shared))
    return will_it_run(roles, shared, budget)


def _services_assuming(required: RequiredPermissions, shared: SharedLayers) -> list[RoleUnderTest]:
    """The services that must assume a role whose trust policy is given: CodePipeline its
    service role, CloudFormation a deploy role (as compute's trust policies name them). A role
    whose trust policy is not given is left out: its trust is not this answer's to guess."""
    out = []
    for document in required.companions:
        if document.kind is not DocumentKind.TRUST_POLICY:
            continue
        if document.target not in shared.resource_policies:
            continue
        for statement in document.statements:
            if statement.principal_kind is not PrincipalKind.SERVICE:
                continue
            for service in statement.principals:
                out.append(
                    RoleUnderTest(
                        role_arn=service,
                        requirements=[Requirement("sts:AssumeRole", document.target)],
                        identity_policies=(),
                        identity_pointer="",
                        principal=Principal(service, "service"),
                    )
                )
    return out


def run_context_findings(given: RunContext, catalog: Catalog, budget: WorkBudget) -> list[Finding]:
    """What reading and validating the context's documents finds, each at its place: the
    layers as evaluate reports them, and each action role's policies as validate would."""
    found = layer_findings(
        base=given.pointer,
        catalog=catalog,
        budget=budget,
        permission_boundary=given.permission_boundary,
        session_policies=given.session_policies,
        resource_policies=given.resource_policies,
        accounts=given.accounts,
    )
    for role in given.action_roles:
        at = pointer_join(role.pointer, "documents")
        validation = engine.validate(list(role.documents), catalog, pointer=at, budget=budget)
        found += [f for f in validation.findings if f.finding_type is FindingType.ERROR]
        if role.permission_boundary is not None:
            found += layer_findings(
                base=role.pointer,
                catalog=catalog,
                budget=budget,
                permission_boundary=role.permission_boundary,
            )
    return found


def context_mismatch_findings(
    required: RequiredPermissions, given: RunContext, companions: Sequence[CurrentCompanion] = ()
) -> list[Finding]:
    """What the context gives that the pipelines do not use, or that stands over what else is
    given: the policies of a role no action declares (or of one role twice), a principal other
    than the pipelines' service role, a resource policy of a resource a companion document is
    the policy of (the resource policy is the one weighed, as `_shared_layers` takes them)."""
    found = _companions_overridden(given, companions)
    declared = {arn for arn, _ in required.action_roles}
    seen: set[str] = set()
    for role in given.action_roles:
        at = pointer_join(role.pointer, "role_arn")
        if role.role_arn in seen:
            message = f"the policies of `{role.role_arn}` are given more than once; the last "
            found.append(_warning("ACTION_ROLE_GIVEN_TWICE", message + "is used", at))
        elif role.role_arn not in declared:
            message = (
                f"no action or rule of the pipelines declares `{role.role_arn}`; its policies "
                "are not weighed"
            )
            found.append(_warning("ACTION_ROLE_NOT_DECLARED", message, at))
        seen.add(role.role_arn)
    principal = given.principal
    named = required.whole_role_arns
    if (
        principal is not None
        and named
        and _role_key(principal.session_role_arn) not in {_role_key(arn) for arn in named}
    ):
        message = (
            f"the pipelines' service role is `{named[0]}`, but the principal given is "
            f"`{principal.arn}`: the answer is for the principal"
        )
        found.append(_warning("PRINCIPAL_NOT_SERVICE_ROLE", message, f"{given.pointer}/principal"))
    return found


def _companions_overridden(
    given: RunContext, companions: Sequence[CurrentCompanion]
) -> list[Finding]:
    covered = {arn: c for c in companions if (arn := _companion_arn(c)) is not None}
    base = pointer_join(given.pointer, "resource_policies")
    found = []
    for arn in given.resource_policies:
        companion = covered.get(arn)
        if companion is None:
            continue
        message = (
            f"`{arn}` has a companion policy too, the {companion.kind} at "
            f"{companion.pointer}: this resource policy overrides it where the run is decided, "
            "and the companion is only compared with what the pipelines need"
        )
        found.append(_warning("COMPANION_OVERRIDDEN", message, pointer_join(base, arn)))
    return found


def _role_key(arn: str) -> tuple[str, str | None]:
    """A role's account and name: a session ARN names its role without the role's path."""
    parts = arn.split(":")
    return (parts[4] if len(parts) > 5 else "", role_name(arn))


def _warning(code: str, message: str, path: str) -> Finding:
    return Finding(code=code, finding_type=FindingType.WARNING, message=message, path=path)
