"""Use case: decide requests against the whole authorization context (identity policies,
boundary, session policies, SCP and RCP levels, resource policies), naming for each the layer
and statement that decided it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.engine import api as engine
from app.engine.authorization import (
    AccountPolicies,
    AuthorizationContext,
    AuthorizationDecision,
    AuthorizationRequest,
    DocumentPointers,
    Principal,
    authorize,
)
from app.engine.authorization.service_rules import is_kms_key, is_role
from app.engine.budget import WorkBudget
from app.engine.findings import Finding, FindingType
from app.engine.iam.catalog import Catalog
from app.engine.iam.policy.view import read_policies, read_policy
from app.engine.iam.validation.view import PolicyType
from app.engine.json_pointer import pointer_join
from app.service.evaluate import action_findings
from app.service.profile_cache import LoadedProfileSet
from app.service.provenance import CatalogInfo, Provenance, new_provenance


def _request_pointers(identity: str) -> DocumentPointers:
    """Where each layer sits in the evaluate request (app/api/schemas/authorization.py)."""
    return DocumentPointers(
        identity=identity,
        boundary="/permissions_boundary",
        session="/session_policies",
        accounts="/accounts",
        resource_policies="/resource_policies",
    )


@dataclass(frozen=True)
class Layers:
    """What the request gives beyond identity policies."""

    principal: Principal
    permission_boundary: Any | None = None
    session_policies: Sequence[Any] | None = None
    resource_policies: Mapping[str, Any] | None = None
    accounts: Mapping[str, AccountPolicies] | None = None


@dataclass(frozen=True)
class AuthorizationOutcome:
    decisions: tuple[tuple[AuthorizationDecision, tuple[Finding, ...]], ...]
    findings: tuple[Finding, ...]
    provenance: Provenance


# The reader is the identity policies' one; a resource policy or an RCP names its principals,
# and a role's trust policy has no Resource (its resource is the role; IAM refuses one there).
_NAMES_PRINCIPALS = "PRINCIPAL_PRESENT"
_NO_RESOURCE = "MISSING_RESOURCE"


def _resource_policy_type(arn: str) -> PolicyType | None:
    """What validate checks a resource policy as, by its resource."""
    if is_role(arn):
        return "trust"
    if is_kms_key(arn):
        return "key"
    if arn.startswith("arn:aws:s3:::"):
        return "bucket"
    return None


def layer_findings(
    *,
    base: str,
    catalog: Catalog,
    budget: WorkBudget | None = None,
    permission_boundary: Any | None = None,
    session_policies: Sequence[Any] | None = None,
    resource_policies: Mapping[str, Any] | None = None,
    accounts: Mapping[str, AccountPolicies] | None = None,
) -> list[Finding]:
    """What the strict reader finds in each layer's documents, and what validate calls an
    ERROR in them (an Effect IAM would refuse, say: read leniently it would grant nothing),
    each at its place under `base` in the request."""
    found: list[Finding] = []

    def read(document: Any, at: str, policy_type: PolicyType | None, principals: bool) -> None:
        kept = [
            f
            for f in read_policy(document, pointer=at).findings
            if not (principals and f.code in (_NAMES_PRINCIPALS, _NO_RESOURCE))
        ]
        if policy_type is not None:
            places = {(f.code, f.path) for f in kept}
            validation = engine.validate(
                document, catalog, policy_type=policy_type, pointer=at, budget=budget
            )
            kept += [
                f
                for f in validation.findings
                if f.finding_type is FindingType.ERROR and (f.code, f.path) not in places
            ]
        found.extend(kept)

    if permission_boundary is not None:
        read(permission_boundary, pointer_join(base, "permissions_boundary"), "managed", False)
    for i, document in enumerate(session_policies or ()):
        read(document, pointer_join(base, "session_policies", i), "managed", False)
    for arn, document in (resource_policies or {}).items():
        at = pointer_join(base, "resource_policies", arn)
        read(document, at, _resource_policy_type(arn), True)
    for account, policies in (accounts or {}).items():
        for kind, levels in (("scp", policies.scp_levels), ("rcp", policies.rcp_levels)):
            for i, level in enumerate(levels or ()):
                for j, document in enumerate(level):
                    at = pointer_join(base, "accounts", account, f"{kind}_levels", i, j)
                    read(document, at, "managed" if kind == "scp" else None, kind == "rcp")
    return found


def authorize_requests(
    identity: Sequence[Any],
    identity_pointer: str,
    layers: Layers,
    requests: Sequence[AuthorizationRequest],
    catalog: Catalog,
    catalog_info: CatalogInfo,
    loaded: LoadedProfileSet,
    *,
    budget: WorkBudget | None = None,
) -> AuthorizationOutcome:
    findings = list(read_policies(identity, pointer=identity_pointer).findings) if identity else []
    findings += layer_findings(
        base="",
        catalog=catalog,
        budget=budget,
        permission_boundary=layers.permission_boundary,
        session_policies=layers.session_policies,
        resource_policies=layers.resource_policies,
        accounts=layers.accounts,
    )
    context = AuthorizationContext(
        principal=layers.principal,
        identity_policies=tuple(identity),
        permission_boundary=layers.permission_boundary,
        session_policies=layers.session_policies,
        resource_policies=layers.resource_policies or {},
        accounts=layers.accounts or {},
        pointers=_request_pointers(identity_pointer),
    )
    decisions = authorize(context, requests, budget)
    suggested: dict[str, list[str]] = {}
    return AuthorizationOutcome(
        decisions=tuple(
            (
                decision,
                action_findings(
                    request.action, catalog, pointer_join("/requests", i, "action"), suggested
                ),
            )
            for i, (request, decision) in enumerate(zip(requests, decisions, strict=True))
        ),
        findings=tuple(findings),
        provenance=new_provenance(catalog_info, loaded.profile_set.revision, ()),
    )
