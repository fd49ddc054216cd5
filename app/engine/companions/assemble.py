"""Pipelines + profile set + context -> every companion document they need, merged across the
pipelines (a role or bucket several of them share has one document)."""

from __future__ import annotations

from collections.abc import Sequence

from app.engine.companions.artifacts import artifact_drafts
from app.engine.companions.documents import CompanionResult, RegionStore
from app.engine.companions.drafts import Draft, merge
from app.engine.companions.members import home_of, members_of
from app.engine.companions.profile_statements import profile_drafts
from app.engine.companions.trust import trust_drafts
from app.engine.compute import ComputeContext
from app.engine.findings import Finding
from app.engine.pipeline.model import Pipeline
from app.engine.profiles import ProfileSet


def compute_companions(
    pipelines: Sequence[Pipeline],
    profiles: ProfileSet,
    *,
    context: ComputeContext | None = None,
) -> CompanionResult:
    context = context or ComputeContext()
    drafts: list[Draft] = []
    findings: list[Finding] = []
    stores: list[RegionStore] = []
    for pipeline in pipelines:
        home = home_of(pipeline, context)
        members = members_of(pipeline, home)
        for part_drafts, part_findings in (
            trust_drafts(pipeline, home, members),
            profile_drafts(home, members, profiles),
        ):
            drafts.extend(part_drafts)
            findings.extend(part_findings)
        store_drafts, store_findings, needed = artifact_drafts(pipeline, home, members)
        drafts.extend(store_drafts)
        findings.extend(store_findings)
        stores.extend(needed)
    unique = {(f.code, f.path, f.message): f for f in findings}
    return CompanionResult(
        documents=merge(drafts),
        artifact_stores=tuple(stores),
        findings=tuple(sorted(unique.values(), key=Finding.sort_key)),
    )
