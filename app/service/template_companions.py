"""The trust, bucket and key policies the pipelines' own templates define, as the current
companion documents of a diff: each at its place in the template, as the role policies a
template attaches to the service role are."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from app.engine.companions.documents import DocumentKind
from app.engine.findings import Finding, FindingType
from app.engine.pipeline.template_values import dedupe_findings
from app.service.diff import VALIDATED_AS, CurrentCompanion, RequiredPermissions

# A target with a part the template does not determine (`*`): its document cannot be told apart
# from another's unless the pipelines' companion documents name it so.
_UNKNOWN_PART = ("*", "?")


def template_companions(required: RequiredPermissions) -> list[CurrentCompanion]:
    """Every trust, bucket and key policy the pipelines' templates define for a role, bucket or
    key the pipelines name, once (pipelines of one template may share them), each with the
    target compute's companion document of its kind has."""
    out: list[CurrentCompanion] = []
    for policies in required.companion_policies:
        for policy in policies.policies:
            if policy.kind not in VALIDATED_AS:
                continue
            companion = CurrentCompanion(
                policy.kind, policy.target, policy.document, policy.pointer, policy.undetermined
            )
            if companion not in out:
                out.append(companion)
    return out


def with_template_companions(
    given: Sequence[CurrentCompanion], required: RequiredPermissions
) -> tuple[list[CurrentCompanion], list[Finding]]:
    """`given` and the templates' companion policies of a kind and target not given (a policy
    given wins over the template's), with the findings of reading them. A template's policy
    for a target not known whole is compared only when the pipelines' companion documents name
    that target (else it would be said not to be needed) and no other of the templates' policies
    has that target too (roles of generated names are all `role/*`): a finding says so."""
    taken = {(c.kind, c.target) for c in given}
    needed = {(d.kind, d.target) for d in required.companions}
    # Pipelines of one template that share a key or bucket have the same findings about it.
    findings = dedupe_findings(
        [f for policies in required.companion_policies for f in policies.findings]
    )
    defined = template_companions(required)
    sharing = Counter((c.kind, c.target) for c in defined)
    out = list(given)
    for companion in defined:
        key = (companion.kind, companion.target)
        if key in taken:
            continue
        why = _not_told_apart(companion, key in needed, sharing[key])
        if why is not None:
            findings.append(_not_compared(companion, why))
            continue
        out.append(companion)
    return out, findings


def _not_told_apart(companion: CurrentCompanion, needed: bool, sharing: int) -> str | None:
    """Why a template's policy for a target not known whole cannot be compared; None when it
    can (or its target is known whole)."""
    if not any(part in companion.target for part in _UNKNOWN_PART):
        return None
    if not needed:
        return "the pipelines' companion documents name no such target"
    if sharing > 1:
        return (
            "another of the templates' policies of its kind has that target too, and which is "
            "which cannot be told"
        )
    return None


def _not_compared(companion: CurrentCompanion, why: str) -> Finding:
    what = {
        DocumentKind.TRUST_POLICY: "role",
        DocumentKind.BUCKET_POLICY: "bucket",
        DocumentKind.KEY_POLICY: "key",
    }.get(companion.kind, "resource")
    return Finding(
        code="COMPANION_POLICY_NOT_COMPARED",
        finding_type=FindingType.WARNING,
        message=f"the template defines the {companion.kind.value} of the {what} "
        f"`{companion.target}`, whose name is not known in full, and {why}; it is not compared",
        path=companion.pointer,
    )
