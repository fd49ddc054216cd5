"""Every corpus template that defines companion policies (trust policies of the roles its
pipeline names, the artifact bucket's policy, the artifact key's policy) has them read and
compared as a diff with `current.from_sources` compares them. Those templates run in
production: every statement a compared policy is said to miss must be one AWS documents as
needed, and the verdicts are kept as a golden file reviewed when they change (`make golden`)."""

from __future__ import annotations

from typing import Any

import pytest

from app.engine.companions.assemble import compute_companions
from app.engine.companions.comparison import compare_companion
from app.engine.compute import ComputeContext
from app.engine.pipeline.detect import parse_pipeline_source
from app.engine.pipeline.template_values import TemplateContext
from app.service.catalog_import import default_catalog
from app.service.diff import RequiredPermissions
from app.service.template_companions import template_companions, with_template_companions
from tests.corpus.golden_files import GOLDEN, check_golden
from tests.corpus.test_corpus_own_policies import AWS_DOCUMENTATION, CORPUS, TEMPLATES
from tests.unit.engine.profile_fixtures import shipped_profiles

# The templates' names use the account and Region; with them, most roles are named whole.
CONTEXT = {"account": "123456789012", "region": "us-east-1"}


def _compared(name: str) -> dict[str, Any]:
    try:
        parsed = parse_pipeline_source(
            (CORPUS / name).read_text(encoding="utf-8"), context=TemplateContext(**CONTEXT)
        )
    except Exception:
        return {}
    if not any(cp.policies for cp in parsed.companion_policies):
        return {}
    profiles = shipped_profiles()
    needed = compute_companions(parsed.pipelines, profiles, context=ComputeContext(**CONTEXT))
    required = RequiredPermissions(
        requirements=[],
        statements=[],
        findings=[],
        companions=needed.documents,
        companion_policies=tuple(parsed.companion_policies),
    )
    companions, findings = with_template_companions([], required)
    catalog = default_catalog()
    out: dict[str, Any] = {"compared": [], "_gaps": [], "read": len(template_companions(required))}
    for companion in companions:
        result = compare_companion(
            needed.get(companion.kind, companion.target),
            companion.document,
            kind=companion.kind,
            target=companion.target,
            pointer=companion.pointer,
            catalog=catalog,
            profiles=profiles,
        )
        out["compared"].append(
            {
                "kind": companion.kind.value,
                "target": companion.target,
                "path": companion.pointer,
                "verdict": result.verdict,
                "missing": sorted(f"{g.sid} {g.principal}" for g in result.missing),
                "unneeded": len(result.unneeded),
            }
        )
        out["_gaps"].extend(result.missing)
    out["not_compared"] = sorted(f"{f.code} {f.path}" for f in findings)
    return out


@pytest.mark.skipif(not TEMPLATES, reason="../shared/corpus is absent")
@pytest.mark.parametrize("name", TEMPLATES)
def test_every_policy_read_is_compared_or_said_not_to_be(name: str) -> None:
    found = _compared(name)
    if not found:
        return
    assert found["read"] == len(found["compared"]) + sum(
        1 for f in found["not_compared"] if f.startswith("COMPANION_POLICY_NOT_COMPARED")
    )
    for gap in found["_gaps"]:
        documented = [r for r in gap.reasons if not r.inferred]
        assert documented, f"{name}: {gap.sid} for {gap.principal} is inferred"
        assert any(r.citation.url.startswith(AWS_DOCUMENTATION) for r in documented), gap.sid


@pytest.mark.skipif(not TEMPLATES, reason="../shared/corpus is absent")
def test_the_verdicts_on_the_authors_own_companion_policies_are_the_reviewed_ones() -> None:
    got = {}
    for name in TEMPLATES:
        found = _compared(name)
        if found:
            got[name] = {k: v for k, v in found.items() if not k.startswith("_")}
    assert got  # the corpus has templates that define them
    check_golden(GOLDEN / "own_companion_diffs.json", got)
