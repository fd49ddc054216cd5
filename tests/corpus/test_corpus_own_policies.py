"""Every corpus template (CloudFormation, or a Terraform file) that defines its pipeline's
service-role policy beside the pipeline is diffed against that policy. Those policies run in
production, so every `missing` claim must be a permission AWS documents as required for that
configuration, and the verdicts, with what each policy grants beyond the needs, are kept as a
golden file reviewed when they change (`make golden` rewrites it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app.engine.compute import ComputeContext, RequiredBy, compute_policy
from app.engine.iam.analysis.diff import diff_policy
from app.engine.iam.analysis.excess import ExcessResult
from app.engine.iam.policy.view import read_policies_at
from app.engine.pipeline.detect import parse_pipeline_source
from app.engine.requirements import requirements_from_computed
from app.service.catalog_import import default_catalog
from tests.corpus.golden_files import GOLDEN, check_golden
from tests.unit.engine.profile_fixtures import shipped_profiles

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
# Where AWS documents what a pipeline needs: the user guide (current or its archived source).
AWS_DOCUMENTATION = ("https://docs.aws.amazon.com/", "https://github.com/awsdocs/")


def _templates() -> list[str]:
    if not CORPUS.is_dir():
        return []
    return sorted(
        p.name
        for p in CORPUS.iterdir()
        if p.suffix in (".json", ".yaml", ".yml", ".tf") and ".sib-" not in p.name
    )


def _excess(excess: ExcessResult) -> dict[str, Any]:
    """What the policy grants beyond the needs, in brief: counts per service, and the actions
    granted on broader resources, the wildcards and the escalation paths by name."""
    return {
        "actions": excess.total_actions,
        "services": {s.service: s.total for s in excess.services},
        "broader_resources": sorted({b.action for b in excess.broader_resources}),
        "wildcards": sorted({w.pattern for w in excess.wildcards}),
        "privilege_escalation": sorted(excess.privilege_escalation),
    }


def _diffs(name: str) -> dict[str, Any]:
    """Per pipeline whose template defines its role's policy: the verdict and the claims."""
    try:
        parsed = parse_pipeline_source((CORPUS / name).read_text(encoding="utf-8"))
    except Exception:
        return {}
    catalog = default_catalog()
    out: dict[str, Any] = {}
    for policies in parsed.role_policies:
        if not policies.documents:
            continue
        pipeline = next(p for p in parsed.pipelines if p.pointer == policies.pipeline_pointer)
        computed = compute_policy([pipeline], shipped_profiles(), context=ComputeContext())
        requirements = requirements_from_computed(computed.statements, catalog)
        # What the policy grants whatever the values its template does not determine are, and
        # what it may grant, as the diff of `from_sources` reads it.
        current = read_policies_at(policies.sure)
        possible = read_policies_at(policies.possible) if policies.undetermined else None
        result = diff_policy(
            current.statements,
            requirements,
            catalog,
            possible=possible.statements if possible is not None else None,
        )
        out[pipeline.name] = {
            "verdict": result.verdict,
            "missing": sorted(
                f"{o.requirement.action} {o.requirement.resource}" for o in result.missing
            ),
            "excess": _excess(result.excess),
            "unverifiable": len(result.unverifiable),
            "optional": len(result.optional),
            "_outcomes": result.missing,
        }
    return out


TEMPLATES = _templates()


@pytest.mark.skipif(not TEMPLATES, reason="../shared/corpus is absent")
@pytest.mark.parametrize("name", TEMPLATES)
def test_every_missing_claim_is_a_documented_requirement(name: str) -> None:
    for pipeline, found in _diffs(name).items():
        for outcome in found["_outcomes"]:
            requirement = outcome.requirement
            reasons = [r for r in requirement.sources if isinstance(r, RequiredBy)]
            sure = [r for r in reasons if r.certain]
            assert sure, f"{name} {pipeline}: {requirement.action} is not surely needed"
            assert any(r.citation.url.startswith(AWS_DOCUMENTATION) for r in sure), (
                f"{name} {pipeline}: {requirement.action} cites no AWS documentation"
            )
            assert requirement.necessity == "required"


@pytest.mark.skipif(not TEMPLATES, reason="../shared/corpus is absent")
def test_the_verdicts_on_the_authors_own_policies_are_the_reviewed_ones() -> None:
    got = {}
    for name in TEMPLATES:
        for pipeline, found in _diffs(name).items():
            got[f"{name} {pipeline}"] = {k: v for k, v in found.items() if not k.startswith("_")}
    check_golden(GOLDEN / "own_policy_diffs.json", got)
