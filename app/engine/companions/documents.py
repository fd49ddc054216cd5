"""The companion documents of a pipeline: the policies besides its service-role policy that
decide whether it runs (role trust policies, artifact bucket and key policies, other resources'
policies), each statement with its reasons and citations.

A document is the statements its resource's policy must hold for the pipelines given; a bucket
or key policy keeps the statements its owner already has (the key's administrators, say), and
these are added to them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from app.engine.findings import Finding
from app.engine.pipeline.model import ActionTypeKey
from app.engine.profiles import Citation

POLICY_VERSION = "2012-10-17"


class DocumentKind(StrEnum):
    TRUST_POLICY = "trust-policy"
    BUCKET_POLICY = "bucket-policy"
    KEY_POLICY = "key-policy"
    LAMBDA_FUNCTION_POLICY = "lambda-function-policy"
    SNS_TOPIC_POLICY = "sns-topic-policy"


class PrincipalKind(StrEnum):
    AWS = "AWS"
    SERVICE = "Service"
    EVERYONE = "*"


@dataclass(frozen=True)
class CompanionReason:
    """Why one pipeline action (or rule, or the pipeline itself) needs a statement."""

    pipeline: str
    stage: str | None
    action: str | None
    statement: str  # the id of the fact or profile companion behind it
    reason: str
    citation: Citation
    inferred: bool
    pointer: str
    rule: str | None = None
    # The action type whose profile holds the statement (None: a CodePipeline fact).
    action_type: ActionTypeKey | None = None
    profile_revision: int | None = None

    def sort_key(self) -> tuple[str, str, str, str, str]:
        return (self.pipeline, self.stage or "", self.action or "", self.rule or "", self.statement)


@dataclass(frozen=True)
class CompanionStatement:
    sid: str
    effect: str
    principal_kind: PrincipalKind
    principals: tuple[str, ...]  # empty for `*`
    actions: tuple[str, ...]
    resources: tuple[str, ...]  # empty in a trust policy, which has no Resource element
    condition: Mapping[str, Mapping[str, str]] | None
    reasons: tuple[CompanionReason, ...]
    # Not part of the policy: the KMS key (its ARN) the uploads the statement allows are
    # encrypted with, which a Condition of the policy as it stands may test.
    sse_kms_key: str | None = None

    def to_policy_statement(self) -> dict[str, Any]:
        stmt: dict[str, Any] = {"Sid": self.sid, "Effect": self.effect}
        if self.principal_kind is PrincipalKind.EVERYONE:
            stmt["Principal"] = "*"
        else:
            names = self.principals
            stmt["Principal"] = {
                self.principal_kind.value: list(names) if len(names) > 1 else names[0]
            }
        stmt["Action"] = list(self.actions) if len(self.actions) > 1 else self.actions[0]
        if self.resources:
            res = self.resources
            stmt["Resource"] = list(res) if len(res) > 1 else res[0]
        if self.condition:
            stmt["Condition"] = {op: dict(block) for op, block in self.condition.items()}
        return stmt


@dataclass(frozen=True)
class CompanionDocument:
    kind: DocumentKind
    # The role ARN, bucket name, key ARN (or the key as the pipeline names it), function or
    # topic ARN whose policy this is.
    target: str
    account: str | None  # the account that owns the target, when known
    region: str | None  # the Region of a bucket or key
    statements: tuple[CompanionStatement, ...]

    @property
    def document(self) -> dict[str, Any]:
        return {
            "Version": POLICY_VERSION,
            "Statement": [s.to_policy_statement() for s in self.statements],
        }


@dataclass(frozen=True)
class RegionStore:
    """The artifact store a Region with actions needs, and whether the pipeline has one."""

    pipeline: str
    region: str | None  # None: the pipeline's own Region, not known
    location: str | None  # the bucket; None when the pipeline has no store for the Region
    kms_key: str | None  # the encryption key as the pipeline names it
    # The accounts, other than the pipeline's, whose roles read or write artifacts there.
    other_accounts: tuple[str, ...]


@dataclass(frozen=True)
class CompanionResult:
    documents: tuple[CompanionDocument, ...]
    artifact_stores: tuple[RegionStore, ...]
    findings: tuple[Finding, ...]

    def of_kind(self, kind: DocumentKind) -> tuple[CompanionDocument, ...]:
        return tuple(d for d in self.documents if d.kind is kind)

    def get(self, kind: DocumentKind, target: str) -> CompanionDocument | None:
        return next((d for d in self.documents if d.kind is kind and d.target == target), None)
