"""The trust policies of the roles a pipeline runs as: its service role (assumed by
CodePipeline) and each action or rule role (assumed by the service role)."""

from __future__ import annotations

from collections.abc import Sequence

from app.engine.companions import citations
from app.engine.companions.documents import DocumentKind, PrincipalKind
from app.engine.companions.drafts import Draft, member_reason, pipeline_reason
from app.engine.companions.members import Home, Member, arn_account, is_role_arn
from app.engine.findings import Finding, FindingType
from app.engine.json_pointer import pointer_join
from app.engine.pipeline.model import Pipeline

ASSUME_ROLE = ("sts:AssumeRole",)
CODEPIPELINE_PRINCIPAL = "codepipeline.amazonaws.com"


def service_role_trust(pipeline: Pipeline, home: Home) -> Draft:
    return Draft(
        kind=DocumentKind.TRUST_POLICY,
        target=pipeline.role_arn,
        account=home.account,
        region=None,
        statement="CodePipelineAssumesServiceRole",
        effect="Allow",
        principal_kind=PrincipalKind.SERVICE,
        principal=CODEPIPELINE_PRINCIPAL,
        actions=ASSUME_ROLE,
        resources=(),
        condition=(),
        reason=pipeline_reason(
            pipeline,
            "CodePipelineAssumesServiceRole",
            "CodePipeline runs the pipeline as its service role, which must trust it",
            citations.SERVICE_ROLE_TRUST,
            inferred=False,
        ),
    )


def action_role_trusts(
    pipeline: Pipeline, home: Home, members: Sequence[Member]
) -> tuple[list[Draft], list[Finding]]:
    """The statement each action or rule role's trust policy needs: the service role may
    assume it. Its principal is the service role's ARN, as the cross-account walkthrough
    ends with (step 16 replaces the console's account principal); AWS documents no condition
    for it."""
    drafts: list[Draft] = []
    findings: list[Finding] = []
    declared = [m for m in members if m.declares_role]
    if declared and not home.service_role_known:
        findings.append(
            Finding(
                code="COMPANION_TRUSTED_ROLE_UNKNOWN",
                finding_type=FindingType.WARNING,
                message=f"the service role `{pipeline.role_arn}` is not a whole role ARN; the "
                "trust policies of the action roles, which must name it, are not given (a "
                "principal cannot be a pattern)",
                path=pointer_join(pipeline.pointer, "roleArn"),
            )
        )
        return drafts, findings
    for member in declared:
        if not is_role_arn(member.role_arn):
            findings.append(_unknown_role(member))
        drafts.append(
            Draft(
                kind=DocumentKind.TRUST_POLICY,
                target=member.role_arn,
                account=arn_account(member.role_arn),
                region=None,
                statement="ServiceRoleAssumesActionRole",
                effect="Allow",
                principal_kind=PrincipalKind.AWS,
                principal=home.service_role,
                actions=ASSUME_ROLE,
                resources=(),
                condition=(),
                reason=member_reason(
                    member,
                    "ServiceRoleAssumesActionRole",
                    "the service role assumes the role the action or rule declares in roleArn "
                    "to run it",
                    citations.CROSS_ACCOUNT,
                    inferred=False,
                ),
            )
        )
    return drafts, findings


def _unknown_role(member: Member) -> Finding:
    return Finding(
        code="COMPANION_ROLE_UNKNOWN",
        finding_type=FindingType.WARNING,
        message=f"the role `{member.role_arn}` is not a whole role ARN; its trust policy is "
        "given under that name, and the role it belongs to must be found by hand",
        path=member.role_pointer,
    )


def trust_drafts(
    pipeline: Pipeline, home: Home, members: Sequence[Member]
) -> tuple[list[Draft], list[Finding]]:
    drafts, findings = action_role_trusts(pipeline, home, members)
    return [service_role_trust(pipeline, home), *drafts], findings
