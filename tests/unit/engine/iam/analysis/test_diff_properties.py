"""Properties of the semantic diff, and regressions for the defects peers.md §1.3 measured."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.engine.compute import compute_policy
from app.engine.iam.analysis.diff import Requirement, diff_policy
from app.engine.iam.analysis.evaluate import evaluate_request
from app.engine.iam.policy.view import read_policies
from app.engine.iam.validation.validate import validate_policy
from app.engine.pipeline.detect import parse_pipeline_source
from app.engine.requirements import requirements_from_computed, requirements_from_statement
from app.service.catalog_import import default_catalog
from tests.hypothesis_profiles import examples

from ...profile_fixtures import shipped_profiles

CATALOG = default_catalog()
CORPUS = Path(__file__).resolve().parents[6] / "shared" / "corpus"

ACTIONS = [
    "s3:GetObject",
    "s3:Get*",
    "s3:*",
    "*",
    "ec2:RunInstances",
    "iam:PassRole",
    "kms:Decrypt",
]
RESOURCES = [
    "*",
    "arn:aws:s3:::a/*",
    "arn:aws:s3:::a/x",
    "arn:aws:s3:::b/*",
    "arn:aws:iam::1:role/r",
]
CONDITIONS: list[dict[str, Any] | None] = [
    None,
    {"StringEquals": {"aws:ResourceAccount": "1"}},
    {"StringEqualsIfExists": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
    {"Bool": {"aws:SecureTransport": "true"}},
]


# Required actions stay narrow: `*` as a requirement expands to every catalogue action.


@st.composite
def statements(
    draw: st.DrawFn, effect: str | None = None, actions: list[str] = ACTIONS
) -> dict[str, Any]:
    stmt: dict[str, Any] = {"Effect": effect or draw(st.sampled_from(["Allow", "Allow", "Deny"]))}
    stmt["NotAction" if draw(st.integers(0, 5)) == 0 else "Action"] = draw(
        st.lists(st.sampled_from(actions), min_size=1, max_size=3)
    )
    stmt["NotResource" if draw(st.integers(0, 5)) == 0 else "Resource"] = draw(
        st.lists(st.sampled_from(RESOURCES), min_size=1, max_size=2)
    )
    condition = draw(st.sampled_from(CONDITIONS))
    if condition:
        stmt["Condition"] = condition
    return stmt


def _statements(policy: list[dict[str, Any]]) -> Any:
    return read_policies([{"Version": "2012-10-17", "Statement": policy}], pointer="").statements


def _requirements(policy: list[dict[str, Any]]) -> list[Requirement]:
    out: list[Requirement] = []
    for stmt in policy:
        if stmt["Effect"] == "Allow" and "Action" in stmt and "Resource" in stmt:
            out += requirements_from_statement(
                stmt["Action"], stmt["Resource"], stmt.get("Condition"), CATALOG
            )
    return out


def _missing(current: list[dict[str, Any]], required: list[Requirement]) -> set[tuple[str, str]]:
    result = diff_policy(_statements(current), required, CATALOG)
    return {(o.requirement.action, o.requirement.resource) for o in result.missing}


policies = st.lists(statements(), min_size=1, max_size=4)
allow_only = st.lists(
    statements("Allow").filter(lambda s: "Action" in s and "Resource" in s), min_size=1, max_size=3
)


@settings(max_examples=examples(20), deadline=None)
@given(policy=allow_only)
def test_diff_of_a_policy_with_itself_misses_nothing(policy: list[dict[str, Any]]) -> None:
    result = diff_policy(_statements(policy), _requirements(policy), CATALOG)
    assert result.missing == ()
    assert result.conditional == ()
    assert result.excess.total_actions == 0


@settings(max_examples=examples(20), deadline=None)
@given(current=policies, required=allow_only, extra=statements("Allow"))
def test_adding_an_allow_never_adds_to_missing(
    current: list[dict[str, Any]], required: list[dict[str, Any]], extra: dict[str, Any]
) -> None:
    needs = _requirements(required)
    assert _missing([*current, extra], needs) <= _missing(current, needs)


@settings(max_examples=examples(20), deadline=None)
@given(current=policies, required=allow_only, extra=statements("Deny"))
def test_adding_a_deny_never_shrinks_missing(
    current: list[dict[str, Any]], required: list[dict[str, Any]], extra: dict[str, Any]
) -> None:
    needs = _requirements(required)
    assert _missing(current, needs) <= _missing([*current, extra], needs)


def _corpus_pipelines() -> list[str]:
    manifest = CORPUS / "MANIFEST.tsv"
    if not manifest.is_file():
        return []
    with manifest.open(encoding="utf-8") as handle:
        return [row["file"] for row in csv.DictReader(handle, delimiter="\t")]


@pytest.mark.skipif(not _corpus_pipelines(), reason="../shared/corpus is absent")
@pytest.mark.parametrize("name", _corpus_pipelines())
def test_computed_policy_of_a_corpus_pipeline_validates_and_suffices(name: str) -> None:
    try:
        parsed = parse_pipeline_source((CORPUS / name).read_text(encoding="utf-8"))
    except Exception as exc:  # a definition the parsers reject is covered by the corpus tests
        pytest.skip(f"not a readable pipeline: {exc}")
    result = compute_policy(parsed.pipelines, shipped_profiles())
    validation = validate_policy(result.document, CATALOG, policy_type="inline")
    errors = [f for f in validation.findings if f.finding_type.value == "ERROR"]
    # Widened values may leave a pattern matching no catalogue action; nothing else may fail.
    assert not [f for f in errors if f.code != "POLICY_SIZE_EXCEEDED"], errors
    diff = diff_policy(
        _statements(result.document["Statement"]),
        requirements_from_computed(result.statements, CATALOG),
        CATALOG,
    )
    assert diff.verdict == "sufficient"


# -- regressions for the peers' measured defects (peers.md §1.3, iam-semantics §3.3) ----------


def _decide(policy: list[dict[str, Any]], action: str, resource: str = "*", **context: str) -> str:
    return evaluate_request(_statements(policy), action, resource, context).decision


def test_not_action_is_not_inverted() -> None:
    """parliament reported `Allow NotAction iam:*` as granting the IAM actions."""
    policy = [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]
    assert _decide(policy, "iam:CreateUser") == "implicitly_denied"
    assert _decide(policy, "s3:GetObject") == "allowed"
    result = diff_policy(_statements(policy), [], CATALOG)
    assert result.excess.total_actions > 20_000
    assert not any(s.service == "iam" for s in result.excess.services)


def test_statements_with_conditions_are_not_skipped() -> None:
    """cloudsplaining ignores every statement that has a Condition."""
    policy = [
        {
            "Effect": "Allow",
            "Action": "iam:PassRole",
            "Resource": "*",
            "Condition": {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}},
        }
    ]
    findings = validate_policy({"Version": "2012-10-17", "Statement": policy}, CATALOG).findings
    assert any(f.code == "PASSROLE_ON_ANY_ROLE" for f in findings)
    result = diff_policy(_statements(policy), [], CATALOG)
    assert "iam:PassRole" in result.excess.privilege_escalation


def test_typo_does_not_crash_and_is_named() -> None:
    """policy_sentry crashed on a mistyped action; policyuniverse dropped it silently."""
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": [
                    "s3:GetObjekt",
                    "codepipline:StartPipelineExecution",
                    "codepipeline:Foo*",
                ],
                "Resource": "*",
            }
        ],
    }
    codes = [f.code for f in validate_policy(policy, CATALOG).findings]
    assert codes.count("UNKNOWN_ACTION") == 2
    assert "UNKNOWN_SERVICE" in codes


def test_question_mark_matches_one_character() -> None:
    """moto turned `?` into a regex quantifier; policyuniverse left `s3:?etObject` unexpanded."""
    assert (
        _decide([{"Effect": "Allow", "Action": "s3:?etObject", "Resource": "*"}], "s3:GetObject")
        == "allowed"
    )
    assert set(CATALOG.expand("s3:?etObject")) >= {"s3:GetObject"}


def test_regex_characters_are_literal_in_resources() -> None:
    """moto matched `a.b` against `aXb`; PMapper matched `a+b` against `aab`."""
    dots = [
        {
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": ["arn:aws:s3:::a.b", "arn:aws:s3:::b/a+b"],
        }
    ]
    assert _decide(dots, "s3:GetObject", "arn:aws:s3:::aXb") == "implicitly_denied"
    assert _decide(dots, "s3:GetObject", "arn:aws:s3:::b/aab") == "implicitly_denied"
    assert _decide(dots, "s3:GetObject", "arn:aws:s3:::a.b") == "allowed"


def test_action_names_are_case_insensitive() -> None:
    """moto matched actions case-sensitively."""
    assert (
        _decide([{"Effect": "Allow", "Action": "S3:getobject", "Resource": "*"}], "s3:GetObject")
        == "allowed"
    )


def test_resources_are_case_sensitive() -> None:
    """IAMSpy and PMapper lower-cased resource patterns."""
    policy = [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::Bucket/*"}]
    assert _decide(policy, "s3:GetObject", "arn:aws:s3:::bucket/x") == "implicitly_denied"


def test_failed_allow_condition_is_not_a_deny() -> None:
    """moto turned an Allow with an unmet condition into an explicit deny."""
    policy = [
        {
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": "*",
            "Condition": {"Bool": {"aws:SecureTransport": "true"}},
        },
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
    ]
    assert (
        _decide(policy, "s3:GetObject", "arn:aws:s3:::b/x", **{"aws:SecureTransport": "false"})
        == "allowed"
    )


def test_deny_with_not_resource_denies_outside_it() -> None:
    """moto ignored NotResource and let `Deny` + `NotResource` permit."""
    policy = [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "s3:*", "NotResource": "arn:aws:s3:::safe/*"},
    ]
    assert _decide(policy, "s3:GetObject", "arn:aws:s3:::other/x") == "explicitly_denied"
    assert _decide(policy, "s3:GetObject", "arn:aws:s3:::safe/x") == "allowed"


def test_two_entry_not_resource_excludes_both() -> None:
    """IAMSpy encoded NotResource as an OR of negations."""
    policy = [
        {
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "NotResource": ["arn:aws:s3:::keep/*", "arn:aws:s3:::also/*"],
        }
    ]
    assert _decide(policy, "s3:GetObject", "arn:aws:s3:::keep/k") == "implicitly_denied"


def test_string_not_like_with_absent_key_is_true() -> None:
    """PMapper returned False for StringNotLike on an absent key."""
    policy = [
        {
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": "*",
            "Condition": {"StringNotLike": {"aws:SourceVpc": "vpc-*"}},
        }
    ]
    assert _decide(policy, "s3:GetObject", "arn:aws:s3:::b/x") == "allowed"


def test_fnmatch_subset_is_not_used() -> None:
    """PolicyGlass claimed `s3:*` ⊆ `s3:?`; its zip of ARN segments claimed `a:b` ⊆ `a`."""
    required = requirements_from_statement(
        ["s3:GetObject", "s3:PutObject"], ["arn:aws:s3:::a:b"], None, CATALOG
    )
    current = [{"Effect": "Allow", "Action": "s3:?", "Resource": "arn:aws:s3:::a"}]
    assert len(_missing(current, required)) == 2


def test_service_prefix_wildcard_does_not_crash() -> None:
    """parliament raised UnknownPrefixException on `s3*:GetObject`."""
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3*:GetObject", "Resource": "*"}],
    }
    codes = {f.code for f in validate_policy(policy, CATALOG).findings}
    assert "SERVICE_PREFIX_WILDCARD" in codes


def test_legacy_policy_is_read_without_error() -> None:
    if not CORPUS.parent.is_dir():
        pytest.skip("../shared is absent")
    legacy = json.loads(
        (CORPUS.parent / "examples" / "legacy-default-policy-2019.json").read_text()
    )
    validation = validate_policy(legacy, CATALOG)
    assert validation.valid
