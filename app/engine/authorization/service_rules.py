"""The documented service-specific rules that change a decision (§4, §7 of
shared/reference/iam-evaluation-layers.md)."""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

from app.engine.authorization.context import AuthorizationRequest, Principal

# How the resource-based policy counts for a request:
# `either`: identity or resource policy, as §2 says [ENF];
# `must_allow`: the resource policy must allow in every case (KMS key policies, role trust
#   policies) [R2.2, R4.1, R4.5];
# `identity_only`: the resource policy does not take part (`ecr:GetAuthorizationToken`) [R4.12].
ResourceRule = Literal["either", "must_allow", "identity_only"]

GET_CALLER_IDENTITY = "sts:getcalleridentity"

# Operations on a KMS key that work from another account; any other fails there even when both
# the key policy and the IAM policy allow it [KPX, R4.3].
_KMS_CROSS_ACCOUNT = frozenset(
    {
        "kms:decrypt",
        "kms:encrypt",
        "kms:generatedatakey",
        "kms:generatedatakeypair",
        "kms:generatedatakeypairwithoutplaintext",
        "kms:generatedatakeywithoutplaintext",
        "kms:generatemac",
        "kms:reencryptfrom",
        "kms:reencryptto",
        "kms:sign",
        "kms:verify",
        "kms:verifymac",
        "kms:creategrant",
        "kms:describekey",
        "kms:getkeyrotationstatus",
        "kms:getpublickey",
        "kms:listgrants",
        "kms:retiregrant",
        "kms:revokegrant",
    }
)

# Actions on a role's trust relationship: the trust policy is the role's resource policy.
_TRUST_ACTIONS = frozenset(
    {
        "sts:assumerole",
        "sts:assumerolewithsaml",
        "sts:assumerolewithwebidentity",
        "sts:tagsession",
        "sts:setsourceidentity",
    }
)

# Services whose resources RCPs govern: those the reference names ([RCP] lists more).
_RCP_SERVICES = frozenset(
    {
        "s3",
        "sts",
        "kms",
        "sqs",
        "secretsmanager",
        "cognito-idp",
        "logs",
        "dynamodb",
        "ecr",
        "codebuild",
        "codecommit",
    }
)

# Writes to a policy AWS manages (`arn:aws:iam::aws:policy/…`) [AMP, R7.2 SIM].
_MANAGED_POLICY_WRITES = frozenset(
    {
        "iam:createpolicy",
        "iam:createpolicyversion",
        "iam:deletepolicy",
        "iam:deletepolicyversion",
        "iam:setdefaultpolicyversion",
        "iam:tagpolicy",
        "iam:untagpolicy",
    }
)

# Writes to an IAM Identity Center role (`role/aws-reserved/…`), which Identity Center's
# service-linked role manages [SSOP, R7.4]. SIM refuses 16 write actions; these are the role
# writes of the IAM API, PassRole among them (the list is ours).
_RESERVED_ROLE_WRITES = frozenset(
    {
        "iam:attachrolepolicy",
        "iam:createrole",
        "iam:deleterole",
        "iam:deleterolepermissionsboundary",
        "iam:deleterolepolicy",
        "iam:detachrolepolicy",
        "iam:passrole",
        "iam:putrolepermissionsboundary",
        "iam:putrolepolicy",
        "iam:tagrole",
        "iam:untagrole",
        "iam:updateassumerolepolicy",
        "iam:updaterole",
        "iam:updateroledescription",
        "iam:createservicelinkedrole",
        "iam:deleteservicelinkedrole",
    }
)


def _arn_fields(arn: str) -> list[str]:
    parts = arn.split(":", 5)
    return parts if len(parts) == 6 and parts[0] == "arn" else []


def is_kms_key(resource: str) -> bool:
    fields = _arn_fields(resource)
    return bool(fields) and fields[2] == "kms" and fields[5].startswith("key/")


def is_role(resource: str) -> bool:
    fields = _arn_fields(resource)
    return bool(fields) and fields[2] == "iam" and fields[5].startswith("role/")


def resource_rule(action: str, resource: str) -> ResourceRule:
    lowered = action.lower()
    if lowered == "ecr:getauthorizationtoken":
        return "identity_only"
    if is_kms_key(resource) and lowered.startswith("kms:"):
        return "must_allow"
    if is_role(resource):
        # The trust policy governs the role's trust actions only; IAM's own actions on the
        # role have no resource policy.
        return "must_allow" if lowered in _TRUST_ACTIONS else "identity_only"
    return "either"


def needs_no_permission(action: str, principal: Principal) -> bool:
    """`sts:GetCallerIdentity` succeeds for any authenticated caller, even when a policy denies
    it [GCI, R7.1]."""
    return action.lower() == GET_CALLER_IDENTITY and principal.kind != "anonymous"


def service_refusal(action: str, resource: str) -> str:
    """Why AWS refuses the request whatever the policies say (empty: it does not). AWS calls
    these entity protections; the answer is an implicit deny by the service, not an IAM deny
    [R7.2, R7.4 and the reference's recommendation]."""
    lowered = action.lower()
    if lowered in _MANAGED_POLICY_WRITES and resource.startswith("arn:aws:iam::aws:policy/"):
        return "policies managed by AWS cannot be changed by customers [AMP, R7.2]"
    if lowered in _RESERVED_ROLE_WRITES and ":role/aws-reserved/" in resource:
        return (
            "roles under role/aws-reserved/ are managed by IAM Identity Center's "
            "service-linked role [SSOP, R7.4]"
        )
    return ""


def kms_refuses_cross_account(action: str, resource: str) -> bool:
    return is_kms_key(resource) and action.lower() not in _KMS_CROSS_ACCOUNT


def rcps_govern(action: str, principal: Principal) -> bool:
    """RCPs bind only supported services, never calls made by service-linked roles, and never
    `kms:RetireGrant` [RCP, R1.3, R4.4, R7.3]."""
    service = action.partition(":")[0].lower()
    return (
        service in _RCP_SERVICES
        and not principal.is_service_linked_role
        and action.lower() != "kms:retiregrant"
    )


def scps_govern(principal: Principal) -> bool:
    """SCPs bind principals of member accounts, not service principals, not anonymous callers
    (SIM), not service-linked roles [SCP, R1.4, R3.6, R7.3]."""
    return principal.kind not in ("service", "anonymous") and not principal.is_service_linked_role


_OBJECT_READS = ("s3:getobject",)
_OBJECT_WRITES = ("s3:putobject",)


def kms_call_for(request: AuthorizationRequest) -> AuthorizationRequest | None:
    """The call S3 makes to KMS as the caller when it reads or writes an SSE-KMS object: a
    forward access session, so the caller needs the KMS permission too [FAS, R4.10, §9 D5]."""
    if not request.sse_kms_key:
        return None
    lowered = request.action.lower()
    if lowered.startswith(_OBJECT_READS):
        kms_action = "kms:Decrypt"
    elif lowered.startswith(_OBJECT_WRITES):
        kms_action = "kms:GenerateDataKey"
    else:
        return None
    region = _arn_fields(request.sse_kms_key)[3] if _arn_fields(request.sse_kms_key) else ""
    context = dict(request.context)
    context.setdefault("aws:ViaAWSService", "true")
    context.setdefault("aws:CalledVia", ["s3.amazonaws.com"])
    context.setdefault("aws:CalledViaFirst", "s3.amazonaws.com")
    context.setdefault("aws:CalledViaLast", "s3.amazonaws.com")
    if region:
        context.setdefault("kms:ViaService", f"s3.{region}.amazonaws.com")
    return replace(
        request,
        action=kms_action,
        resource=request.sse_kms_key,
        context=context,
        resource_account="",
        resource_policy=None,
        sse_kms_key="",
        # A request for every object of a pattern makes its KMS call on what is known of it:
        # the keys the forward access session sets, and the caller's.
        facts=None if request.facts is None else {},
    )
