"""The companion statements of action-type profiles (`companions:`), rendered per action: a
role's trust policy for the service it is handed to, a function or topic policy for a role of
another account. A resource whose ARN has an unknown part is never widened: the statement is
left out, with a finding at the action."""

from __future__ import annotations

from collections.abc import Sequence

from app.engine.companions.documents import DocumentKind, PrincipalKind
from app.engine.companions.drafts import Draft, member_reason
from app.engine.companions.members import Home, Member, arn_account, is_role_arn
from app.engine.findings import Finding, FindingType
from app.engine.json_pointer import pointer_join
from app.engine.placeholders import KnownValues, render
from app.engine.profiles import CompanionTemplate, Profile, ProfileSet
from app.engine.triggers import trigger_holds


def profile_drafts(
    home: Home, members: Sequence[Member], profiles: ProfileSet
) -> tuple[list[Draft], list[Finding]]:
    drafts: list[Draft] = []
    findings: list[Finding] = []
    for member in members:
        profile = profiles.get(member.type)
        if profile is None:
            continue  # compute names the type without a profile
        for template in profile.companions:
            _render(home, member, profile, template, drafts, findings)
    return drafts, findings


def _render(
    home: Home,
    member: Member,
    profile: Profile,
    template: CompanionTemplate,
    drafts: list[Draft],
    findings: list[Finding],
) -> None:
    holds = trigger_holds(
        template.when, member.configuration, member.environment_variables, member.pipeline
    )
    if holds is False:
        return
    where = member.pointer
    label = f"`{template.id}` of `{profile.key.label}`"
    if holds is None:
        findings.append(
            Finding(
                code="COMPANION_UNRESOLVED_TRIGGER",
                finding_type=FindingType.WARNING,
                message=f"whether {label} is needed depends on a value not known before run "
                "time; it is given",
                path=pointer_join(where, "configuration"),
            )
        )
    scope = KnownValues(
        partition=home.partition,
        # A bare name is resolved in the account and Region of the role that runs the action.
        account=member.role_account,
        region=member.region,
        pipeline_name=member.pipeline.name,
        configuration=member.configuration,
        role_arn=member.role_arn if member.declares_role else None,
    )
    targets, widenings = render(template.target, scope)
    if widenings or any("*" in t or "?" in t for t in targets):
        unknown = ", ".join(sorted({w.placeholder for w in widenings})) or "a part"
        findings.append(
            Finding(
                code="COMPANION_TARGET_UNKNOWN",
                finding_type=FindingType.WARNING,
                message=f"{label} is for a resource whose {unknown} is not known before run "
                f"time (`{targets[0] if targets else template.target.text}`); its policy "
                "statement is not given (a policy is never widened to guess it)",
                path=where,
                detail={"statement": template.id},
            )
        )
        return
    service = template.service
    if service is None and not is_role_arn(member.role_arn):
        return  # the role is unknown: the trust and artifact findings name it
    for target in targets:
        account = arn_account(target)
        if template.cross_account_only:
            if account is None or member.role_account is None:
                findings.append(
                    Finding(
                        code="COMPANION_TARGET_ACCOUNT_UNKNOWN",
                        finding_type=FindingType.WARNING,
                        message=f"whether `{target}` is in another account than the role "
                        f"`{member.role_arn}` is not known; {label}, needed only then, is not "
                        "given",
                        path=where,
                        detail={"statement": template.id},
                    )
                )
                continue
            if account == member.role_account:
                continue
        drafts.append(
            Draft(
                kind=DocumentKind(template.policy),
                target=target,
                account=account,
                region=None,
                statement=template.id,
                effect="Allow",
                principal_kind=PrincipalKind.SERVICE if service else PrincipalKind.AWS,
                principal=service or member.role_arn,
                actions=template.actions,
                resources=() if template.policy == DocumentKind.TRUST_POLICY else (target,),
                condition=(),
                reason=member_reason(
                    member,
                    template.id,
                    template.description,
                    template.source,
                    inferred=template.inferred,
                    profile=profile,
                ),
            )
        )
