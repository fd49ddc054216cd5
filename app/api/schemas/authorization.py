"""The authorization context POST /v1/policies/evaluate takes beyond identity policies, and the
layered answer: per request, the layer and statement that decided it and every layer's outcome
(app/engine/authorization)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetPydanticSchema,
    StringConstraints,
    model_validator,
)
from pydantic_core import PydanticCustomError, core_schema

from app.api.schemas.common import Answer, FindingOut, ProvenanceOut, Schema, decision_fields
from app.api.schemas.examples import AUTHORIZATION_RESPONSE
from app.engine.authorization import AccountPolicies, Principal
from app.engine.authorization.context import PrincipalKind
from app.engine.iam.errors import PolicyParseError
from app.engine.iam.policy.parse import decode_document
from app.engine.iam.validation.rules_principal import SERVICE_PRINCIPAL
from app.engine.strict_model import located_error
from app.service.authorization import AuthorizationOutcome

AccountId = Annotated[str, StringConstraints(pattern=r"^\d{12}$")]
ResourceArn = Annotated[
    str,
    StringConstraints(pattern=r"^arn:[a-z-]+:[a-z0-9-]*:[a-z0-9-]*:\d{0,12}:.+$", max_length=2048),
]


def _one_policy_document_error(
    source: Any, handler: GetCoreSchemaHandler
) -> core_schema.CoreSchema:
    # A value that is neither fails once, in the request's terms, not once per member with
    # pydantic's names for them (`dict[str,any]`, `str`).
    return {
        **handler(source),
        "custom_error_type": "policy_document_type",
        "custom_error_message": "Input should be a policy document: an object or JSON text",
    }


def _one_document(value: dict[str, Any] | str) -> dict[str, Any] | str:
    # The rule every place of one document reads it by (decode_document); the text itself is
    # kept, so that the keys it repeats are reported where it is read.
    try:
        decode_document(value, "")
    except PolicyParseError as error:
        raise PydanticCustomError("policy_document", error.message) from None
    return value


# One policy document: an object, or JSON text of one.
PolicyDocumentIn = Annotated[
    dict[str, Any] | str,
    GetPydanticSchema(_one_policy_document_error),
    AfterValidator(_one_document),
]
# One of a role's policy documents: an object, or JSON text of one or of a list of them (a file
# holding several).
RoleDocumentIn = Annotated[dict[str, Any] | str, GetPydanticSchema(_one_policy_document_error)]
# An organisation's root, up to five levels of OUs, and the account [R1.4].
MAX_ORGANISATION_LEVELS = 7

Decision = Literal["allowed", "explicitly_denied", "implicitly_denied"]
LayerName = Literal[
    "scp", "rcp", "resource", "identity", "boundary", "session", "root", "service_rule"
]


# What a caller's ARN is, by the kind of caller: IAM names are of letters, digits and `_+=,.@-`,
# a path of any printable character; a session ARN names its role without the role's path. A
# service is named by its service principal, an anonymous caller by nothing.
_IAM = r"arn:aws[a-z-]*:iam::\d{12}:"
_STS = r"arn:aws[a-z-]*:sts::\d{12}:"
_NAME = r"[A-Za-z0-9_+=,.@-]+"
_PATH = r"(?:[!-~]+/)?"
_ARN_FORMS: Mapping[PrincipalKind, tuple[re.Pattern[str], str]] = {
    "root": (
        re.compile(rf"{_IAM}root"),
        "an account's root ARN: `arn:aws:iam::111122223333:root`",
    ),
    "user": (
        re.compile(rf"{_IAM}user/{_PATH}{_NAME}"),
        "an IAM user's ARN: `arn:aws:iam::111122223333:user/name`",
    ),
    "role": (
        re.compile(rf"{_IAM}role/{_PATH}{_NAME}"),
        "an IAM role's ARN: `arn:aws:iam::111122223333:role/name`",
    ),
    "assumed_role": (
        re.compile(rf"{_STS}assumed-role/{_NAME}/{_NAME}"),
        "a role session's ARN: `arn:aws:sts::111122223333:assumed-role/role-name/session`",
    ),
    "federated_user": (
        re.compile(rf"{_STS}federated-user/{_NAME}"),
        "a federated user's ARN: `arn:aws:sts::111122223333:federated-user/name`",
    ),
    "service": (
        SERVICE_PRINCIPAL,
        "a service principal: `codepipeline.amazonaws.com`",
    ),
    "anonymous": (re.compile(""), "nothing: an anonymous caller has no ARN"),
}


class PrincipalIn(Schema):
    arn: str = Field(
        default="",
        max_length=2048,
        description="the caller's ARN, as its `type` has it: a role session's "
        "(`arn:aws:sts::111122223333:assumed-role/ROLE/SESSION`), a role's, a user's, the "
        "root's, a federated user's (`arn:aws:sts::111122223333:federated-user/NAME`); the "
        "service principal of a service (`codepipeline.amazonaws.com`); empty for an "
        "anonymous caller",
        examples=["arn:aws:sts::111122223333:assumed-role/pipeline-role/session"],
    )
    type: Literal[
        "root", "user", "role", "assumed_role", "federated_user", "service", "anonymous"
    ] = Field(description="who calls: `role` is a role known without a session name")
    account: AccountId | None = Field(
        default=None, description="the caller's account; read from the ARN when not given"
    )
    tags: dict[str, str] = Field(default_factory=dict, max_length=50)
    org_id: str = Field(default="", pattern=r"^(o-[a-z0-9]{10,32})?$")

    @model_validator(mode="after")
    def _named(self) -> Self:
        if not self.arn and self.type != "anonymous":
            raise ValueError(f"a `{self.type}` caller needs its `arn`")
        form, expected = _ARN_FORMS[self.type]
        if form.fullmatch(self.arn) is None:
            message = f"the `arn` of a caller of type `{self.type}` is {expected}"
            raise located_error(type(self), [(("arn",), message, self.arn)])
        return self

    def to_principal(self) -> Principal:
        return Principal(
            self.arn, self.type, account=self.account or "", tags=self.tags, org_id=self.org_id
        )


class AccountPoliciesIn(Schema):
    scp_levels: list[list[PolicyDocumentIn]] | None = Field(
        default=None,
        max_length=MAX_ORGANISATION_LEVELS,
        description="the SCPs binding the account's principals, one list per level (root, "
        "each OU, the account); each level needs an Allow; absent: no SCPs",
    )
    rcp_levels: list[list[PolicyDocumentIn]] | None = Field(
        default=None,
        max_length=MAX_ORGANISATION_LEVELS,
        description="the RCPs binding the account's resources, one list per level",
    )
    management: bool = Field(
        default=False, description="the organisation's management account: neither binds it"
    )

    def to_policies(self) -> AccountPolicies:
        return AccountPolicies(self.scp_levels, self.rcp_levels, self.management)


class AuthorizationContextIn(Schema):
    """The layers beyond identity policies; any of them makes the answer layered."""

    permissions_boundary: PolicyDocumentIn | None = Field(
        default=None, description="the principal's permissions boundary"
    )
    session_policies: list[PolicyDocumentIn] | None = Field(
        default=None,
        max_length=11,
        description="the session policies of a role session; empty or absent: none was passed",
    )
    resource_policies: dict[ResourceArn, PolicyDocumentIn] | None = Field(
        default=None,
        max_length=200,
        description="resource-based policies by the ARN of their resource (a bucket's covers "
        "its objects): bucket, key, role trust, function, repository, topic policies",
    )
    accounts: dict[AccountId, AccountPoliciesIn] | None = Field(
        default=None,
        max_length=50,
        description="the SCP and RCP levels of the accounts involved, by account ID",
    )

    def account_policies(self) -> dict[str, AccountPolicies]:
        return {account: p.to_policies() for account, p in (self.accounts or {}).items()}


class LayerStatementOut(Answer):
    layer: LayerName
    level: int | None = Field(description="the organisation level of an SCP or RCP")
    document: int
    statement: int
    sid: str | None
    path: str = Field(validation_alias="pointer", description="where it is in the request")


class LayerOutcomeOut(Answer):
    layer: LayerName
    level: int | None
    decision: Decision
    definite: bool
    statements: list[LayerStatementOut]
    note: str


class AuthorizationResultOut(Schema):
    index: int
    action: str
    resource: str
    decision: Decision
    definite: bool
    layer: LayerName = Field(description="the layer that decided the request")
    level: int | None = Field(description="its organisation level, for an SCP or RCP")
    reason: str
    statement: LayerStatementOut | None = Field(description="the statement that decided it")
    layers: list[LayerOutcomeOut] = Field(description="each layer's own outcome")
    findings: list[FindingOut]


class AuthorizationResponse(Schema):
    """The answer when the request gives a `principal` (and any layer beyond identity
    policies)."""

    model_config = ConfigDict(json_schema_extra={"examples": [AUTHORIZATION_RESPONSE]})

    decision_id: str
    provenance: ProvenanceOut
    results: list[AuthorizationResultOut]
    findings: list[FindingOut]

    @classmethod
    def of(cls, outcome: AuthorizationOutcome, asked: Sequence[tuple[str, str]]) -> Self:
        return cls(
            **decision_fields(outcome.provenance),
            results=[
                AuthorizationResultOut(
                    index=i,
                    action=action,
                    resource=resource,
                    decision=d.decision,
                    definite=d.definite,
                    layer=d.layer,
                    level=d.level,
                    reason=d.reason,
                    statement=None
                    if d.statement is None
                    else LayerStatementOut.model_validate(d.statement),
                    layers=[LayerOutcomeOut.model_validate(o) for o in d.layers],
                    findings=FindingOut.all(findings),
                )
                for i, ((d, findings), (action, resource)) in enumerate(
                    zip(outcome.decisions, asked, strict=True)
                )
            ],
            findings=FindingOut.all(outcome.findings),
        )
