"""Use case: decide requests against the whole authorization context (identity policies,
boundary, session policies, SCP and RCP levels, resource policies), naming for each the layer
and statement that decided it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.engine.authorization import (
    AccountPolicies,
    AuthorizationContext,
    AuthorizationDecision,
    AuthorizationRequest,
    DocumentPointers,
    Principal,
    authorize,
)
from app.engine.authorization.service_rules import is_role
from app.engine.budget import WorkBudget
from app.engine.findings import Finding
from app.engine.iam.catalog import Catalog
from app.engine.iam.policy.view import read_policies, read_policy
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


def _findings(identity: Sequence[Any], identity_pointer: str, layers: Layers) -> list[Finding]:
    """Every document read as the identity policies are, each at its place in the request, so
    that what the strict reader finds in one is reported where it is."""
    found = list(read_policies(identity, pointer=identity_pointer).findings) if identity else []
    with_principals: list[Finding] = []
    if layers.permission_boundary is not None:
        found += read_policy(layers.permission_boundary, pointer="/permissions_boundary").findings
    if layers.session_policies:
        found += read_policies(layers.session_policies, pointer="/session_policies").findings
    for arn, document in (layers.resource_policies or {}).items():
        at = pointer_join("/resource_policies", arn)
        read = read_policy(document, pointer=at).findings
        with_principals += [f for f in read if not (f.code == _NO_RESOURCE and is_role(arn))]
    for account, policies in (layers.accounts or {}).items():
        for kind, levels in (("scp", policies.scp_levels), ("rcp", policies.rcp_levels)):
            for i, level in enumerate(levels or ()):
                if level:
                    at = pointer_join("/accounts", account, f"{kind}_levels", i)
                    read = read_policies(level, pointer=at).findings
                    (with_principals if kind == "rcp" else found).extend(read)
    return found + [f for f in with_principals if f.code != _NAMES_PRINCIPALS]


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
    findings = _findings(identity, identity_pointer, layers)
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
