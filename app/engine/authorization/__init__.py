"""Authorization with the whole context: identity policies, permissions boundary, SCP and RCP
levels, session policies and resource-based policies, for one principal's requests, each answer
naming the layer and statement that decided it.

The rules are those of shared/reference/iam-evaluation-layers.md; the source tags in brackets
([ENF], [KP], …) are its labels. Modules: `context` (the model and the answer), `principals`
(Principal/NotPrincipal in resource policies, §5), `context_keys` (derived keys, §5 R5.6, §6),
`layers` (each layer's own decision, through the identity evaluator's statement matching),
`combine` (order, combination and the cross-account rule, §1-§3), `service_rules` (§4, §7),
`evaluate` (`authorize`, `Authorizer`).

What each layer implements, and what it does not:

- Identity policies, permissions boundary, session policies (§1 R1.5-R1.7): implemented. A
  session policy counts only for role and federated sessions; a federated session with no
  session policy is treated like a role session without one (§8, as SIM does), not as one with
  no permissions [GFT].
- SCPs (§1 R1.4, §3 R3.3): levels of the principal's account, each needing an `Allow`; not for
  the management account, service-linked roles, service principals or anonymous callers.
  Not implemented: the root-only tasks SCPs do not restrict.
- RCPs (§1 R1.3, §3 R3.3, §8): levels of the resource owner's account, for the services the
  reference names; not for the management account's resources, service-linked roles or
  `kms:RetireGrant`. Not implemented: the exemption of AWS managed keys (an ARN does not say a
  key is AWS managed); RCP syntax rules (Deny-only, no NotPrincipal) are not checked here.
- Resource-based policies, same account (§2) and cross-account (§3): implemented, including
  partitions (a principal never matches across them [R3.5]) and anonymous and service callers
  [R3.6, R3.7]. Where §8 lets the docs and SIM differ, a grant naming the session ARN is not
  limited by the session policy (the docs). Not implemented: VPC endpoint policies [R1.9], S3
  ACLs and Block Public Access (Bucket owner enforced is assumed [R4.9]), object ownership by
  another account, `Federated` and `CanonicalUser` principals (they match nothing).
- KMS key policies (§4.1): the key policy must allow, directly or through the account; the
  cross-account operation list [R4.3]; an SSE-KMS object's read or write also needs the KMS
  call S3 makes as the caller [R4.10]. Not implemented: grants, aliases, Regions of key
  policies.
- Role trust policies (§4.2): must allow; naming only the account needs an identity `Allow`
  [R4.6 SIM]; NotPrincipal ignored [R4.5]; unique-ID principals match only a caller with that
  ID [R4.7].
- S3, Lambda, ECR, SNS (§4.3, §4.4): bucket policies cover the bucket's objects [R4.8]; Lambda
  and SNS follow §2 and §3; `ecr:GetAuthorizationToken` is decided by IAM alone [R4.12];
  `AWS:SourceOwner` and `aws:SourceAccount` are one key [R4.13].
- Principal matching (§5): `"*"`, account IDs and root ARNs, user, role (any of its sessions),
  session and federated-user ARNs, services; partial wildcards never match; a statement without
  Principal never applies; NotPrincipal with Deny, including its boundary rule [R5.5]; Allow
  with NotPrincipal is not supported [NOTP] (SIM evaluates it).
- Context keys (§6): principal keys, `aws:ResourceAccount`, `aws:ViaAWSService`; the CalledVia
  family only for the KMS call of an SSE-KMS object, otherwise as the caller gives them.
- Service rules (§7): `sts:GetCallerIdentity` [R7.1]; writes to AWS managed policies [R7.2] and
  to Identity Center roles [R7.4] are refused by the service (an implicit deny of layer
  `service_rule`). Not implemented: the refusal of writes to service-linked roles [R7.3] (only
  their SCP and RCP exemption is).
"""

from app.engine.authorization.context import (
    AccountPolicies,
    AuthorizationContext,
    AuthorizationDecision,
    AuthorizationInputError,
    AuthorizationRequest,
    DocumentPointers,
    LayerOutcome,
    Principal,
    StatementRef,
)
from app.engine.authorization.evaluate import Authorizer, authorize

__all__ = [
    "AccountPolicies",
    "AuthorizationContext",
    "AuthorizationDecision",
    "AuthorizationInputError",
    "AuthorizationRequest",
    "Authorizer",
    "DocumentPointers",
    "LayerOutcome",
    "Principal",
    "StatementRef",
    "authorize",
]
