"""The authorization context of a request, and the answer: what every layer decided and which
layer and statement decided the request (shared/reference/iam-evaluation-layers.md)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

from app.engine.errors import EngineError
from app.engine.iam.conditions.facts import KeyFact

Decision = Literal["allowed", "explicitly_denied", "implicitly_denied"]

# Who calls [VAR, R6.1]. A `role` is a caller known only by its role (no session name); an
# `assumed_role` is a role session; `federated_user` is a GetFederationToken session [GFT].
PrincipalKind = Literal[
    "root", "user", "role", "assumed_role", "federated_user", "service", "anonymous"
]

Layer = Literal["scp", "rcp", "resource", "identity", "boundary", "session", "root", "service_rule"]

# A policy document as given: its JSON text or its decoded object.
Document = Any


class AuthorizationInputError(EngineError):
    """A context the rules cannot be applied to (a resource whose owner nobody can tell)."""


# A caller's ARN is read for its partition and account on every request it makes: the answers
# are kept on the (frozen) instance.
@dataclass(frozen=True)
class Principal:
    """The caller. `arn` is the caller's ARN (a session ARN for a role session, the service
    name for a service principal, empty for an anonymous caller); `account` is read from field 5
    of the ARN unless given [R3.4]. `role_arn` is the role of a session, with its path, which
    the session ARN omits [R5.3]; without it the role ARN is rebuilt without a path.
    `federated_by` is the IAM user who called GetFederationToken [ENF, GFT]."""

    arn: str
    kind: PrincipalKind
    account: str = ""
    role_arn: str = ""
    federated_by: str = ""
    unique_id: str = ""
    tags: Mapping[str, str] = field(default_factory=dict)
    org_id: str = ""
    org_paths: tuple[str, ...] = ()

    @cached_property
    def partition(self) -> str:
        parts = self.arn.split(":")
        return parts[1] if len(parts) > 5 and parts[0] == "arn" else "aws"

    @cached_property
    def account_id(self) -> str:
        if self.account or self.kind in ("service", "anonymous"):
            return self.account
        parts = self.arn.split(":")
        return parts[4] if len(parts) > 5 else ""

    @cached_property
    def session_role_arn(self) -> str:
        """The role ARN of a role session (or of a role caller); empty for other callers, and
        for a session ARN that names no role (`assumed-role/ROLE/SESSION` is its resource)."""
        if self.kind == "role":
            return self.arn
        if self.kind != "assumed_role":
            return ""
        if self.role_arn:
            return self.role_arn
        parts = self.arn.split(":", 5)
        resource = parts[5].split("/") if len(parts) == 6 else []
        if len(resource) < 3 or resource[0] != "assumed-role" or not resource[1]:
            return ""
        return f"arn:{self.partition}:iam::{self.account_id}:role/{resource[1]}"

    @property
    def is_service_linked_role(self) -> bool:
        """A session of a role under `role/aws-service-role/` [R7.3]."""
        return ":role/aws-service-role/" in self.session_role_arn


@dataclass(frozen=True)
class AccountPolicies:
    """An account's place in its organisation: the SCP levels that bind its principals and the
    RCP levels that bind its resources, each level (root, each OU, the account) a list of
    policies [R1.3, R1.4]. `management` exempts it from both [SCP, RCP]. `None` for a kind of
    level list means the account has none of that kind (no organisation, or the policy type is
    not enabled); an empty level is a level with no policy, which allows nothing [R1.4 SIM]."""

    scp_levels: Sequence[Sequence[Document]] | None = None
    rcp_levels: Sequence[Sequence[Document]] | None = None
    management: bool = False


@dataclass(frozen=True)
class AuthorizationRequest:
    """One request. `resource_account` is the owner of the resource, required when the ARN
    carries none (S3) [R3.4]; `resource_policy` overrides the context's policy for the ARN.
    `sse_kms_key` is the KMS key an S3 object is encrypted with: reading or writing it makes a
    call to KMS as the caller [R4.10].

    With `facts`, `resource` is a pattern standing for every resource it matches, and each
    layer is decided for all of them at once: it allows only when its grants take in the whole
    pattern, and a Deny that may reach part of it makes the answer indefinite. `facts` says
    what is known of the requests' condition keys (lower-case names) beyond `context`."""

    action: str
    resource: str
    context: Mapping[str, Sequence[str] | str] = field(default_factory=dict)
    resource_account: str = ""
    resource_policy: Document | None = None
    sse_kms_key: str = ""
    facts: Mapping[str, KeyFact] | None = None


@dataclass(frozen=True)
class DocumentPointers:
    """Where each layer's documents sit in the caller's input, so that every statement an
    answer names carries a JSON pointer into what the caller sent. `identity`, `session` and
    the organisation levels are lists of documents; `boundary` is one document; a resource
    policy sits under `resource_policies` at its ARN, or at `request_policy` (a format with
    `{index}`) when a request carries its own."""

    identity: str = "/identity_policies"
    # Where each identity policy sits, when they are not one list (read from a template).
    identity_each: tuple[str, ...] = ()
    boundary: str = "/permission_boundary"
    session: str = "/session_policies"
    accounts: str = "/accounts"
    resource_policies: str = "/resource_policies"
    request_policy: str = "/requests/{index}/resource_policy"


@dataclass(frozen=True)
class AuthorizationContext:
    """Everything that decides the principal's requests. `session_policies` is `None` (or
    empty) when no session policy was passed [R1.7]; `permission_boundary` is `None` for an
    entity without one [R1.6]. `resource_policies` maps a resource ARN (a bucket ARN covers
    its objects) to its policy: bucket, key, role trust, function, repository, topic…"""

    principal: Principal
    identity_policies: Sequence[Document] = ()
    permission_boundary: Document | None = None
    session_policies: Sequence[Document] | None = None
    resource_policies: Mapping[str, Document] = field(default_factory=dict)
    accounts: Mapping[str, AccountPolicies] = field(default_factory=dict)
    pointers: DocumentPointers = field(default_factory=DocumentPointers)
    # Where a resource policy sits when not under `pointers.resource_policies` at its ARN (one
    # read from a template, or given as a companion document).
    resource_policy_pointers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class StatementRef:
    """Where a statement is: its layer, the organisation level (SCP/RCP), the document's index
    in the layer, the statement's index in the document, its Sid and JSON pointer."""

    layer: Layer
    level: int | None
    document: int
    statement: int
    sid: str | None
    pointer: str


@dataclass(frozen=True)
class LayerOutcome:
    """One layer's own decision on the request, with the statements that made it."""

    layer: Layer
    decision: Decision
    definite: bool
    statements: tuple[StatementRef, ...] = ()
    level: int | None = None
    note: str = ""


@dataclass(frozen=True)
class AuthorizationDecision:
    """The request's decision, the layer (and level) that decided it, the deciding statement
    when one did, why, and every layer's own outcome."""

    decision: Decision
    layer: Layer
    reason: str
    definite: bool = True
    statement: StatementRef | None = None
    level: int | None = None
    layers: tuple[LayerOutcome, ...] = ()
    dependent: AuthorizationDecision | None = None
