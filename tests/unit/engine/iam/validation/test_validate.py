"""The policy validator: one table row per finding code, then the peer and legacy regressions."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.engine.findings import FINDING_CODES, POLICY_CODES, Finding, FindingType
from app.engine.iam.catalog import Catalog
from app.engine.iam.validation import rules_catalog
from app.engine.iam.validation.validate import PolicyValidation, validate_policy
from app.service.catalog_import import default_catalog
from app.service.profile_files import baseline_files
from tests.documents import console_key_policy
from tests.hypothesis_profiles import examples

E = FindingType.ERROR
S = FindingType.SECURITY_WARNING
W = FindingType.WARNING
G = FindingType.SUGGESTION
V12 = "2012-10-17"
PIPELINE_CODES = {
    "EB_DESCRIBE_EVENTS_MISSING",
    "PIPELINE_PASSROLE_UNSCOPED",
    "ROLE_PREDATES_PROVIDER",
}


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return default_catalog()


def st_(**elements: Any) -> dict[str, Any]:
    """A statement: Allow s3:GetObject on an object ARN unless overridden (None removes)."""
    out: dict[str, Any] = {
        "Effect": "Allow",
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::my-bucket/*",
    }
    out.update(elements)
    return {k: v for k, v in out.items() if v is not None}


def glob_heavy(statements: int, seed: int = 0) -> dict[str, Any]:
    """Statements of random S3 patterns (`*a?b*a…`) whose pairwise containment is costly."""
    rng = random.Random(seed)

    def pattern() -> str:
        pieces = ["*a", "?b", "*", "a", "b", "?"]
        return "arn:aws:s3:::" + "".join(rng.choice(pieces) for _ in range(12))

    return doc(
        *(st_(Action="s3:*", Resource=[pattern() for _ in range(3)]) for _ in range(statements))
    )


def doc(*statements: dict[str, Any], **top: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"Version": V12, "Statement": list(statements)}
    out.update(top)
    return {k: v for k, v in out.items() if v is not None}


def cond(operator: str, key: str, value: Any, **elements: Any) -> dict[str, Any]:
    return doc(st_(Condition={operator: {key: value}}, **elements))


def sized(characters: int) -> dict[str, Any]:
    """A valid policy of exactly `characters` characters (white space excluded)."""
    base = doc(st_(Sid="X"))
    used = len("".join(json.dumps(base, separators=(",", ":")).split()))
    return doc(st_(Sid="X" * (characters - used + 1)))


BUCKET = "arn:aws:s3:::my-bucket"
MIN_2025 = doc(
    st_(
        Sid="AllowS3BucketAccess",
        Action=["s3:GetBucketVersioning", "s3:GetBucketAcl", "s3:GetBucketLocation"],
        Resource=["arn:aws:s3:::BucketName"],
        Condition={"StringEquals": {"aws:ResourceAccount": "111122223333"}},
    ),
    st_(
        Sid="AllowS3ObjectAccess",
        Action=[
            "s3:PutObject",
            "s3:PutObjectAcl",
            "s3:GetObject",
            "s3:GetObjectVersion",
            "s3:PutObjectTagging",
            "s3:GetObjectTagging",
            "s3:GetObjectVersionTagging",
        ],
        Resource=["arn:aws:s3:::BucketName/*"],
        Condition={"StringEquals": {"aws:ResourceAccount": "111122223333"}},
    ),
)

# (id, source, options, code, finding type, path)
ROWS: list[tuple[str, Any, dict[str, Any], str, FindingType, str]] = [
    # --- unreadable input: one finding
    ("invalid-json", '{"Version": ', {}, "INVALID_JSON", E, ""),
    ("json-string", '"a string"', {}, "NOT_A_POLICY", E, ""),
    ("empty-list", [], {}, "NOT_A_POLICY", E, ""),
    ("no-statement", {"Version": V12}, {}, "MISSING_STATEMENT", E, "/Statement"),
    # --- parse issues
    (
        "duplicate-key",
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",'
        ' "Action": "s3:PutObject", "Resource": "*"}]}',
        {},
        "DUPLICATE_KEY",
        E,
        "/Statement/0/Action",
    ),
    ("wrong-type", doc(st_(Effect=1)), {}, "WRONG_TYPE", E, "/Statement/0/Effect"),
    ("unknown-element", doc(st_(Foo="x")), {}, "UNKNOWN_ELEMENT", E, "/Statement/0/Foo"),
    ("empty-statement", doc(), {}, "EMPTY_STATEMENT", E, "/Statement"),
    (
        "statement-not-object",
        {"Version": V12, "Statement": ["x"]},
        {},
        "STATEMENT_NOT_OBJECT",
        E,
        "/Statement/0",
    ),
    ("missing-effect", doc(st_(Effect=None)), {}, "MISSING_EFFECT", E, "/Statement/0"),
    # --- resource policies: a Principal in IAM's grammar; none in a trust policy's Resource
    (
        "missing-principal",
        doc(st_()),
        {"policy_type": "bucket"},
        "MISSING_PRINCIPAL",
        E,
        "/Statement/0",
    ),
    (
        "wildcard-in-principal-arn",
        doc(st_(Principal={"AWS": ["111122223333", "arn:aws:iam::*:role/Deploy"]})),
        {"policy_type": "bucket"},
        "INVALID_PRINCIPAL",
        E,
        "/Statement/0/Principal/AWS/1",
    ),
    (
        "resource-in-trust-policy",
        doc(st_(Action="sts:AssumeRole", Principal={"Service": "codepipeline.amazonaws.com"})),
        {"policy_type": "trust"},
        "RESOURCE_IN_TRUST_POLICY",
        E,
        "/Statement/0/Resource",
    ),
    ("missing-action", doc(st_(Action=None)), {}, "MISSING_ACTION", E, "/Statement/0"),
    (
        "action-and-not-action",
        doc(st_(NotAction="s3:PutObject")),
        {},
        "ACTION_AND_NOT_ACTION",
        E,
        "/Statement/0",
    ),
    ("missing-resource", doc(st_(Resource=None)), {}, "MISSING_RESOURCE", E, "/Statement/0"),
    (
        "resource-and-not-resource",
        doc(st_(NotResource="arn:aws:s3:::other/*")),
        {},
        "RESOURCE_AND_NOT_RESOURCE",
        E,
        "/Statement/0",
    ),
    ("empty-action-array", doc(st_(Action=[])), {}, "EMPTY_ARRAY", E, "/Statement/0/Action"),
    (
        "empty-condition-block",
        doc(st_(Condition={"StringEquals": {}})),
        {},
        "EMPTY_CONDITION_BLOCK",
        E,
        "/Statement/0/Condition/StringEquals",
    ),
    (
        "principal",
        doc(st_(Principal={"AWS": "*"})),
        {},
        "PRINCIPAL_PRESENT",
        E,
        "/Statement/0/Principal",
    ),
    # --- Version, Effect, Sid, Id
    ("bad-version", doc(st_(), Version="2012-10-18"), {}, "INVALID_VERSION", E, "/Version"),
    ("managed-no-version", doc(st_(), Version=None), {}, "MISSING_VERSION", E, ""),
    (
        "managed-2008",
        doc(st_(), Version="2008-10-17"),
        {},
        "OLD_VERSION_IN_MANAGED",
        E,
        "/Version",
    ),
    ("inline-no-version", doc(st_(), Version=None), {"policy_type": "inline"}, "NO_VERSION", W, ""),
    (
        "inline-2008",
        doc(st_(), Version="2008-10-17"),
        {"policy_type": "inline"},
        "OLD_VERSION",
        W,
        "/Version",
    ),
    ("effect-case", doc(st_(Effect="allow")), {}, "INVALID_EFFECT", E, "/Statement/0/Effect"),
    ("sid-dash", doc(st_(Sid="my-sid")), {}, "INVALID_SID", E, "/Statement/0/Sid"),
    (
        "sid-duplicate",
        doc(st_(Sid="A"), st_(Sid="A", Action="s3:PutObject")),
        {},
        "DUPLICATE_SID",
        E,
        "/Statement/1/Sid",
    ),
    ("sid-empty", doc(st_(Sid="")), {}, "EMPTY_SID", G, "/Statement/0/Sid"),
    ("id", doc(st_(), Id="my-policy"), {}, "ID_PRESENT", W, "/Id"),
    (
        "character",
        doc(st_(Sid="Deploy\u2014Role")),
        {},
        "INVALID_CHARACTER",
        E,
        "/Statement/0/Sid",
    ),
    # --- size
    ("size-6200-managed", sized(6_200), {}, "POLICY_SIZE_EXCEEDED", E, ""),
    ("size-near-managed", sized(6_000), {}, "POLICY_SIZE_NEAR_QUOTA", W, ""),
    (
        "size-inline-total",
        [sized(5_500), sized(5_500)],
        {"policy_type": "inline", "pointer": "/inline"},
        "POLICY_SIZE_EXCEEDED",
        E,
        "/inline",
    ),
    # --- actions
    (
        "no-colon",
        doc(st_(Action="s3GetObject")),
        {},
        "INVALID_ACTION_FORMAT",
        E,
        "/Statement/0/Action",
    ),
    (
        "two-colons",
        doc(st_(Action=["s3:GetObject", "s3:Get:Object"])),
        {},
        "INVALID_ACTION_FORMAT",
        E,
        "/Statement/0/Action/1",
    ),
    (
        "prefix-wildcard",
        doc(st_(Action="s*:GetObject")),
        {},
        "SERVICE_PREFIX_WILDCARD",
        E,
        "/Statement/0/Action",
    ),
    (
        "star-prefix",
        doc(st_(Action="*:GetObject", Resource="*")),
        {},
        "WILDCARD_IN_SERVICE_NAME",
        G,
        "/Statement/0/Action",
    ),
    (
        "typo-prefix",
        doc(st_(Action=["s3:GetObject", "codepipline:StartPipelineExecution"], Resource="*")),
        {},
        "UNKNOWN_SERVICE",
        E,
        "/Statement/0/Action/1",
    ),
    (
        "typo-action",
        doc(st_(Action="s3:GetObjekt")),
        {},
        "UNKNOWN_ACTION",
        E,
        "/Statement/0/Action",
    ),
    (
        "pattern-matches-nothing",
        doc(st_(Action="codepipeline:Foo*", Resource="*")),
        {},
        "UNKNOWN_ACTION",
        E,
        "/Statement/0/Action",
    ),
    (
        "not-action-unknown",
        doc(st_(Effect="Deny", Action=None, NotAction=["s3:GetObjekt"], Resource="*")),
        {},
        "UNKNOWN_ACTION",
        E,
        "/Statement/0/NotAction/0",
    ),
    # --- resources
    ("not-arn", doc(st_(Resource="my-bucket")), {}, "INVALID_RESOURCE", E, "/Statement/0/Resource"),
    (
        "partition",
        doc(st_(Resource="arn:aws-moon:s3:::my-bucket/*")),
        {},
        "INVALID_ARN_PARTITION",
        E,
        "/Statement/0/Resource",
    ),
    (
        "arn-service-wildcard",
        doc(st_(Resource=["arn:aws:s3:::b/*", "arn:aws:s*:::b/*"])),
        {},
        "RESOURCE_SERVICE_WILDCARD",
        E,
        "/Statement/0/Resource/1",
    ),
    (
        "arn-service-case",
        doc(st_(Resource="arn:aws:S3:::my-bucket/*")),
        {},
        "RESOURCE_SERVICE_CASE",
        E,
        "/Statement/0/Resource",
    ),
    (
        "iam-region",
        doc(st_(Action="iam:GetRole", Resource="arn:aws:iam:us-east-1:111122223333:role/x")),
        {},
        "IAM_ARN_REGION",
        E,
        "/Statement/0/Resource",
    ),
    (
        "iam-path",
        doc(st_(Action="iam:GetRole", Resource="arn:aws:iam::111122223333:robot/x")),
        {},
        "IAM_ARN_PATH",
        E,
        "/Statement/0/Resource",
    ),
    (
        "malformed-variable-resource",
        doc(st_(Resource="arn:aws:s3:::my-bucket/${aws:username")),
        {},
        "MALFORMED_VARIABLE",
        E,
        "/Statement/0/Resource",
    ),
    (
        "variable-in-2008",
        doc(st_(Resource="arn:aws:s3:::my-bucket/${aws:username}/*"), Version="2008-10-17"),
        {"policy_type": "inline"},
        "VARIABLE_IN_OLD_VERSION",
        W,
        "/Statement/0/Resource",
    ),
    (
        "object-action-on-bucket",
        doc(st_(Resource=BUCKET)),
        {},
        "RESOURCE_MISMATCH",
        W,
        "/Statement/0/Resource",
    ),
    (
        "unscopable-action-on-arn",
        doc(st_(Action=["s3:ListBucket", "s3:ListAllMyBuckets"], Resource=BUCKET)),
        {},
        "RESOURCE_MISMATCH",
        W,
        "/Statement/0/Action/1",
    ),
    (
        "resource-star",
        doc(st_(Action="codebuild:StartBuild", Resource="*")),
        {},
        "RESOURCE_STAR",
        G,
        "/Statement/0/Resource",
    ),
    # --- conditions
    (
        "unknown-operator",
        cond("StringEqual", "aws:SourceAccount", "111122223333"),
        {},
        "UNKNOWN_OPERATOR",
        E,
        "/Statement/0/Condition/StringEqual",
    ),
    (
        "null-if-exists",
        cond("NullIfExists", "aws:SourceAccount", "true"),
        {},
        "NULL_IF_EXISTS",
        E,
        "/Statement/0/Condition/NullIfExists",
    ),
    (
        "numeric-value",
        cond("NumericLessThan", "aws:MultiFactorAuthAge", "an hour"),
        {},
        "INVALID_CONDITION_VALUE",
        E,
        "/Statement/0/Condition/NumericLessThan/aws:MultiFactorAuthAge",
    ),
    (
        "bool-value",
        cond("Bool", "aws:SecureTransport", ["true", "yes"]),
        {},
        "INVALID_CONDITION_VALUE",
        E,
        "/Statement/0/Condition/Bool/aws:SecureTransport/1",
    ),
    (
        "variable-in-numeric",
        cond("NumericLessThan", "aws:MultiFactorAuthAge", "${aws:username}"),
        {},
        "VARIABLE_NOT_ALLOWED",
        E,
        "/Statement/0/Condition/NumericLessThan/aws:MultiFactorAuthAge",
    ),
    (
        "malformed-variable-condition",
        cond("StringEquals", "aws:PrincipalTag/team", "${aws:username"),
        {},
        "MALFORMED_VARIABLE",
        E,
        "/Statement/0/Condition/StringEquals/aws:PrincipalTag~1team",
    ),
    (
        "unknown-service-key",
        cond(
            "StringEquals", "codebuild:NoSuchKey", "x", Action="codebuild:StartBuild", Resource="*"
        ),
        {},
        "UNKNOWN_CONDITION_KEY",
        E,
        "/Statement/0/Condition/StringEquals/codebuild:NoSuchKey",
    ),
    (
        "unknown-global-key",
        cond("StringEquals", "aws:NoSuchKey", "x"),
        {},
        "UNKNOWN_CONDITION_KEY",
        E,
        "/Statement/0/Condition/StringEquals/aws:NoSuchKey",
    ),
    (
        "key-not-for-actions",
        cond("StringLike", "s3:prefix", "home/*"),
        {},
        "CONDITION_KEY_NOT_FOR_ACTIONS",
        W,
        "/Statement/0/Condition/StringLike/s3:prefix",
    ),
    (
        "key-case-duplicate",
        doc(st_(Condition={"StringEquals": {"aws:SourceAccount": "1", "AWS:SourceAccount": "2"}})),
        {},
        "DUPLICATE_CONDITION_KEY_CASE",
        E,
        "/Statement/0/Condition/StringEquals/AWS:SourceAccount",
    ),
    (
        "wildcard-in-equals",
        cond("StringEquals", "aws:PrincipalTag/team", "dev*"),
        {},
        "WILDCARD_IN_NON_LIKE_OPERATOR",
        W,
        "/Statement/0/Condition/StringEquals/aws:PrincipalTag~1team",
    ),
    (
        "forallvalues-allow",
        cond("ForAllValues:StringEquals", "aws:TagKeys", ["team"]),
        {},
        "FORALLVALUES_WITH_ALLOW",
        W,
        "/Statement/0/Condition/ForAllValues:StringEquals/aws:TagKeys",
    ),
    (
        "forallvalues-single",
        cond("ForAllValues:StringEquals", "aws:SourceAccount", "1", Effect="Deny"),
        {},
        "FORALLVALUES_WITH_SINGLE_VALUED_KEY",
        S,
        "/Statement/0/Condition/ForAllValues:StringEquals/aws:SourceAccount",
    ),
    (
        "foranyvalue-single",
        cond("ForAnyValue:StringEquals", "aws:SourceAccount", "1"),
        {},
        "FORANYVALUE_WITH_SINGLE_VALUED_KEY",
        W,
        "/Statement/0/Condition/ForAnyValue:StringEquals/aws:SourceAccount",
    ),
    (
        "empty-string",
        cond("StringEquals", "aws:SourceAccount", ""),
        {},
        "CONDITION_NEVER_MATCHES",
        W,
        "/Statement/0/Condition/StringEquals/aws:SourceAccount",
    ),
    (
        "empty-value-list",
        cond("StringLike", "aws:SourceAccount", []),
        {},
        "CONDITION_NEVER_MATCHES",
        W,
        "/Statement/0/Condition/StringLike/aws:SourceAccount",
    ),
    (
        "type-mismatch",
        cond("NumericEquals", "aws:SourceAccount", "111122223333"),
        {},
        "CONDITION_TYPE_MISMATCH",
        W,
        "/Statement/0/Condition/NumericEquals/aws:SourceAccount",
    ),
    # --- broad grants
    (
        "all-actions",
        doc(st_(Action="*", Resource="*")),
        {},
        "ALL_ACTIONS",
        S,
        "/Statement/0/Action",
    ),
    (
        "allow-not-action",
        doc(st_(Action=None, NotAction="iam:*", Resource="*")),
        {},
        "ALLOW_WITH_NOT_ACTION",
        S,
        "/Statement/0/NotAction",
    ),
    (
        "allow-not-resource",
        doc(st_(Resource=None, NotResource="arn:aws:s3:::secret/*")),
        {},
        "ALLOW_WITH_NOT_RESOURCE",
        S,
        "/Statement/0/NotResource",
    ),
    (
        "service-wildcard",
        doc(st_(Action=["s3:*"], Resource=BUCKET)),
        {},
        "SERVICE_WIDE_WILDCARD",
        W,
        "/Statement/0/Action/0",
    ),
    (
        "passrole-star",
        doc(st_(Action="iam:PassRole", Resource="*")),
        {},
        "PASSROLE_WITHOUT_PASSED_TO_SERVICE",
        S,
        "/Statement/0/Action",
    ),
    (
        "passrole-via-iam-star",
        doc(st_(Action=["s3:GetObject", "iam:*"], Resource="*")),
        {},
        "PASSROLE_WITHOUT_PASSED_TO_SERVICE",
        S,
        "/Statement/0/Action/1",
    ),
    (
        "passrole-via-star",
        doc(st_(Action="*", Resource="*")),
        {},
        "PASSROLE_WITHOUT_PASSED_TO_SERVICE",
        S,
        "/Statement/0/Action",
    ),
    (
        "passrole-all-roles-arn",
        doc(st_(Action="iam:PassRole", Resource="arn:aws:iam::111122223333:role/*")),
        {},
        "PASSROLE_WITHOUT_PASSED_TO_SERVICE",
        S,
        "/Statement/0/Action",
    ),
    (
        "passrole-with-service",
        cond(
            "StringEquals",
            "iam:PassedToService",
            "cloudformation.amazonaws.com",
            Action="iam:PassRole",
            Resource="*",
        ),
        {},
        "PASSROLE_ON_ANY_ROLE",
        W,
        "/Statement/0/Action",
    ),
    (
        "privilege-escalation",
        doc(st_(Action=["iam:AttachRolePolicy"], Resource="*")),
        {},
        "PRIVILEGE_ESCALATION",
        S,
        "/Statement/0/Action/0",
    ),
    # --- redundancy
    (
        "redundant-action",
        doc(st_(Action=["s3:GetObject", "s3:Get*"])),
        {},
        "REDUNDANT_ACTION",
        G,
        "/Statement/0/Action/0",
    ),
    (
        "duplicate-action",
        doc(st_(Action=["s3:GetObject", "S3:getobject"])),
        {},
        "REDUNDANT_ACTION",
        G,
        "/Statement/0/Action/1",
    ),
    (
        "redundant-resource",
        doc(st_(Resource=["arn:aws:s3:::my-bucket/logs/*", "arn:aws:s3:::my-bucket/*"])),
        {},
        "REDUNDANT_RESOURCE",
        G,
        "/Statement/0/Resource/0",
    ),
    (
        "redundant-statement",
        doc(st_(Action="s3:Get*"), st_(Resource="arn:aws:s3:::my-bucket/logs/*")),
        {},
        "REDUNDANT_STATEMENT",
        G,
        "/Statement/1",
    ),
    ("redundancy-budget", glob_heavy(40), {}, "REDUNDANCY_CHECK_LIMITED", G, ""),
    ("baseline", MIN_2025, {"baselines": {"minimum-2025": MIN_2025}}, "BASELINE_RECOGNISED", G, ""),
    # --- pointers: a list of documents, and a caller's base pointer
    (
        "second-document",
        [doc(st_()), doc(st_(Action="s3:GetObjekt"))],
        {},
        "UNKNOWN_ACTION",
        E,
        "/1/Statement/0/Action",
    ),
    (
        "base-pointer",
        doc(st_(Action=["s3:GetObjekt"])),
        {"pointer": "/role/policies/0"},
        "UNKNOWN_ACTION",
        E,
        "/role/policies/0/Statement/0/Action/0",
    ),
]


@pytest.mark.parametrize(
    ("source", "options", "code", "finding_type", "path"),
    [pytest.param(*row[1:], id=row[0]) for row in ROWS],
)
def test_finding(
    catalog: Catalog,
    source: Any,
    options: dict[str, Any],
    code: str,
    finding_type: FindingType,
    path: str,
) -> None:
    result = validate_policy(source, catalog, **options)
    hits = [f for f in result.findings if f.code == code and f.path == path]
    assert hits, [(f.code, f.path) for f in result.findings]
    assert all(f.finding_type is finding_type for f in hits)
    assert FINDING_CODES[code].finding_type is finding_type
    assert result.valid is not any(f.finding_type is E for f in result.findings)


def test_the_table_has_a_row_for_every_policy_code() -> None:
    assert len(ROWS) >= 60
    assert {row[3] for row in ROWS} == POLICY_CODES - PIPELINE_CODES


def _codes(result: PolicyValidation) -> list[tuple[str, str]]:
    return [(f.code, f.path) for f in result.findings]


def test_clean_policy_has_no_findings(catalog: Catalog) -> None:
    result = validate_policy(doc(st_(Sid="ReadObjects")), catalog)
    assert result.findings == ()
    assert result.valid
    assert result.size.documents == (result.size.total,)


def test_unreadable_input_is_one_error_not_an_exception(catalog: Catalog) -> None:
    result = validate_policy("not json", catalog)
    assert [f.code for f in result.findings] == ["INVALID_JSON"]
    assert result.valid is False
    assert result.size.total == 0


def test_typo_suggests_the_action(catalog: Catalog) -> None:
    result = validate_policy(doc(st_(Action="s3:GetObjekt")), catalog)
    (hit,) = [f for f in result.findings if f.code == "UNKNOWN_ACTION"]
    assert "s3:GetObject" in hit.detail["suggestions"]
    assert "did you mean `s3:GetObject`" in hit.message
    assert not result.valid


def test_the_redundancy_budget_is_not_reached_by_ordinary_policies(catalog: Catalog) -> None:
    # 100 statements on distinct buckets, the first repeated at the end: the one redundancy is
    # found and no budget finding appears.
    buckets = [
        st_(Action="s3:GetObject", Resource=f"arn:aws:s3:::bucket-{i}/*") for i in range(100)
    ]
    widened = st_(Action="s3:GetObject", Resource="arn:aws:s3:::bucket-1*/*")
    result = validate_policy(doc(*buckets, widened), catalog)
    codes = {f.code for f in result.findings}
    assert "REDUNDANCY_CHECK_LIMITED" not in codes
    assert ("REDUNDANT_STATEMENT", "/Statement/10") in _codes(result)


def test_the_redundancy_budget_gives_the_same_answer_warm_and_cold(catalog: Catalog) -> None:
    # Patterns no other test uses, so the first call really is cold.
    first = validate_policy(glob_heavy(40, seed=1), catalog).findings
    again = validate_policy(glob_heavy(40, seed=1), catalog).findings  # searches now cached
    assert "REDUNDANCY_CHECK_LIMITED" in {f.code for f in first}  # the budget was reached
    assert first == again


def test_near_name_searches_are_bounded_per_policy(catalog: Catalog) -> None:
    limit = rules_catalog.MAX_SUGGESTION_SEARCHES
    typos = [f"s3:GetObjekt{i}" for i in range(limit + 20)]
    result = validate_policy(doc(st_(Action=[*typos, "s3:" + "G" * 300])), catalog)
    unknown = [f for f in result.findings if f.code == "UNKNOWN_ACTION"]
    assert len(unknown) == len(typos) + 1  # every unknown name is still reported
    suggested = [f for f in unknown if f.detail["suggestions"]]
    assert len(suggested) == limit
    assert all(len(f.detail["suggestions"]) <= 3 for f in suggested)


def test_typo_prefix_suggests_the_service(catalog: Catalog) -> None:
    source = doc(st_(Action="codepipline:StartPipelineExecution", Resource="*"))
    (hit,) = [f for f in validate_policy(source, catalog).findings if f.code == "UNKNOWN_SERVICE"]
    assert hit.detail["suggestions"][0] == "codepipeline:StartPipelineExecution"


def test_unknown_name_in_not_action_excludes_nothing(catalog: Catalog) -> None:
    source = doc(st_(Action=None, NotAction="prowler:action", Resource="*"))
    result = validate_policy(source, catalog)
    (hit,) = [f for f in result.findings if f.code == "UNKNOWN_SERVICE"]
    assert "excludes nothing" in hit.message
    (grant,) = [f for f in result.findings if f.code == "ALLOW_WITH_NOT_ACTION"]
    assert grant.detail["granted_actions"] == grant.detail["catalogued_actions"]


def test_6200_character_policy_is_over_the_managed_quota(catalog: Catalog) -> None:
    source = sized(6_200)
    managed = validate_policy(source, catalog)
    assert managed.size.total == 6_200
    assert ("POLICY_SIZE_EXCEEDED", "") in _codes(managed)
    assert not managed.valid
    inline = validate_policy(source, catalog, policy_type="inline")
    assert inline.size.quota == 10_240
    assert all(f.code != "POLICY_SIZE_EXCEEDED" for f in inline.findings)


def test_size_ignores_white_space(catalog: Catalog) -> None:
    compact = validate_policy(json.dumps(doc(st_())), catalog).size.total
    indented = validate_policy(json.dumps(doc(st_()), indent=4), catalog).size.total
    assert compact == indented


def test_passrole_on_star_without_condition_is_a_security_warning(catalog: Catalog) -> None:
    result = validate_policy(doc(st_(Action="iam:PassRole", Resource="*")), catalog)
    (hit,) = [f for f in result.findings if f.code == "PASSROLE_WITHOUT_PASSED_TO_SERVICE"]
    assert hit.finding_type is S
    assert hit.path == "/Statement/0/Action"


def test_deny_statements_raise_no_security_warnings(catalog: Catalog) -> None:
    source = doc(st_(Effect="Deny", Action=None, NotAction="iam:*", Resource="*"))
    types = {f.finding_type for f in validate_policy(source, catalog).findings}
    assert S not in types


def test_findings_are_sorted_by_severity_then_path(catalog: Catalog) -> None:
    result = validate_policy(BAD_POLICY, catalog)
    assert list(result.findings) == sorted(result.findings, key=Finding.sort_key)


# --- peers.md §1.3: the "bad policy" every peer gets partly wrong ---------------------------------

BAD_POLICY = doc(
    st_(Sid="Typos", Action=["s3:GetObjekt", "codepipline:StartPipelineExecution"], Resource="*"),
    st_(Sid="NoMatch", Action="codepipeline:Foo*", Resource="*"),
    st_(Sid="Mismatch", Action="s3:GetObject", Resource=BUCKET),
    st_(
        Sid="BadKey",
        Action="codebuild:StartBuild",
        Resource="arn:aws:codebuild:eu-west-1:111122223333:project/p",
        Condition={"StringEquals": {"codebuild:NoSuchKey": "x"}},
    ),
    st_(Sid="Everything", Action=None, NotAction="iam:*", Resource="*"),
    st_(Sid="NoDeletes", Effect="Deny", Action="s3:DeleteObject", Resource="*"),
)


@pytest.mark.parametrize(
    ("code", "path"),
    [
        ("UNKNOWN_ACTION", "/Statement/0/Action/0"),
        ("UNKNOWN_SERVICE", "/Statement/0/Action/1"),
        ("UNKNOWN_ACTION", "/Statement/1/Action"),
        ("RESOURCE_MISMATCH", "/Statement/2/Resource"),
        ("UNKNOWN_CONDITION_KEY", "/Statement/3/Condition/StringEquals/codebuild:NoSuchKey"),
        ("ALLOW_WITH_NOT_ACTION", "/Statement/4/NotAction"),
    ],
)
def test_bad_policy_case_is_flagged(catalog: Catalog, code: str, path: str) -> None:
    assert (code, path) in _codes(validate_policy(BAD_POLICY, catalog))


def test_allow_not_action_iam_is_everything_but_iam(catalog: Catalog) -> None:
    result = validate_policy(BAD_POLICY, catalog)
    on_it = [f for f in result.findings if f.path.startswith("/Statement/4")]
    (grant,) = [f for f in on_it if f.code == "ALLOW_WITH_NOT_ACTION"]
    assert "every action except `iam:*`" in grant.message
    assert grant.detail["granted_actions"] > 20_000
    (escalation,) = [f for f in on_it if f.code == "PRIVILEGE_ESCALATION"]
    granted = escalation.detail["actions"]
    assert "ec2:RunInstances" in granted
    assert not any(a.lower().startswith("iam:") for a in granted)
    for finding in on_it:
        listed = finding.detail.get("actions") or []
        assert not (listed and all(str(a).lower().startswith("iam:") for a in listed))


def test_bad_policy_mismatch_names_the_object_format(catalog: Catalog) -> None:
    result = validate_policy(BAD_POLICY, catalog)
    (hit,) = [f for f in result.findings if f.code == "RESOURCE_MISMATCH"]
    assert any(fmt.endswith(":::*/*") for fmt in hit.detail["expected_formats"])


# --- the legacy 2019 console default ------------------------------------------------------------


def test_legacy_policy_wildcards_and_passrole(catalog: Catalog, legacy: dict[str, Any]) -> None:
    result = validate_policy(legacy, catalog)
    wildcards = [f for f in result.findings if f.code == "SERVICE_WIDE_WILDCARD"]
    assert len(wildcards) == 11
    assert {f.detail["service"] for f in wildcards} >= {"ec2", "s3", "cloudformation"}
    assert all(f.path.startswith("/Statement/3/Action/") for f in wildcards)
    passrole = [f for f in result.findings if f.code.startswith("PASSROLE")]
    assert [(f.code, f.path) for f in passrole] == [
        ("PASSROLE_ON_ANY_ROLE", "/Statement/0/Action/0")
    ]
    assert passrole[0].detail["if_exists"] is True
    assert result.valid
    assert ("REDUNDANT_STATEMENT", "/Statement/10") in _codes(result)


def test_legacy_policy_is_recognised_as_its_baseline(
    catalog: Catalog, legacy: dict[str, Any]
) -> None:
    baselines = {f.document["name"]: f.document for f in baseline_files()}
    result = validate_policy(legacy, catalog, baselines=baselines)
    assert result.recognised_baseline == "legacy-2019"
    (hit,) = [f for f in result.findings if f.code == "BASELINE_RECOGNISED"]
    assert hit.message.startswith("this is the legacy-2019 baseline (Console default")


# --- robustness -----------------------------------------------------------------------------------

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=12,
)
_element = st.sampled_from(
    ["Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition", "Principal"]
)
_statement = st.dictionaries(
    _element, _json | st.sampled_from(["*", "s3:Get*", "Allow"]), max_size=6
)


@settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    statements=st.lists(_statement, max_size=3),
    version=st.sampled_from([V12, "2008-10-17", None, 7]),
)
def test_any_json_shape_validates_without_raising(
    catalog: Catalog, statements: list[dict[str, Any]], version: Any
) -> None:
    source: dict[str, Any] = {"Statement": statements}
    if version is not None:
        source["Version"] = version
    result = validate_policy(source, catalog, policy_type="inline")
    assert result.valid is not any(f.finding_type is E for f in result.findings)
    assert all(f.code in POLICY_CODES for f in result.findings)


TRUST = {"Effect": "Allow", "Principal": {"Service": "codepipeline.amazonaws.com"}}


@pytest.mark.parametrize(
    ("policy_type", "statement"),
    [
        ("trust", {**TRUST, "Action": "sts:AssumeRole"}),
        (
            "trust",
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::111122223333:role/service-role/Pipeline"},
                "Action": "sts:AssumeRole",
            },
        ),
        ("bucket", st_(Principal={"AWS": ["arn:aws:iam::222233334444:role/Deploy"]})),
        (
            "key",
            {
                "Effect": "Allow",
                "Principal": {"AWS": "222233334444"},
                "Action": ["kms:Decrypt", "kms:DescribeKey"],
                "Resource": "*",
            },
        ),
        ("bucket", st_(Effect="Deny", Principal="*", Action="s3:*")),
    ],
)
def test_resource_policies_are_valid_as_what_they_are(
    catalog: Catalog, policy_type: Any, statement: dict[str, Any]
) -> None:
    """A trust policy (no Resource) and bucket and key policies (with a Principal) pass as
    their own kind, and fail as an identity policy, which has no Principal."""
    result = validate_policy(doc(statement), catalog, policy_type=policy_type)
    assert result.valid, [(f.code, f.path) for f in result.findings]
    assert not [f for f in result.findings if f.code == "RESOURCE_STAR"]
    assert result.size.policy_type == policy_type
    identity = validate_policy(doc(statement), catalog)
    assert "PRINCIPAL_PRESENT" in {f.code for f in identity.findings}


def test_a_trust_policy_over_its_quota(catalog: Catalog) -> None:
    principals = [f"arn:aws:iam::111122223333:role/Role{i:04}" for i in range(60)]
    statement = {"Effect": "Allow", "Principal": {"AWS": principals}, "Action": "sts:AssumeRole"}
    result = validate_policy(doc(statement), catalog, policy_type="trust")
    (hit,) = [f for f in result.findings if f.code == "POLICY_SIZE_EXCEEDED"]
    assert hit.detail["quota"] == 2048
    assert "trust policy" in hit.message
    assert not result.size.fits


_KEY_USE = {
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::111122223333:role/Deploy"},
    "Action": ["kms:Decrypt", "kms:DescribeKey"],
    "Resource": "*",
}
_TRUST_STATEMENT = {**TRUST, "Action": "sts:AssumeRole"}
_BUCKET_STATEMENT = st_(Principal={"AWS": "arn:aws:iam::111122223333:role/Deploy"})


@pytest.mark.parametrize(
    ("policy_type", "statement", "invalid"),
    [
        pytest.param("managed", st_(), True, id="managed"),
        pytest.param("inline", st_(), True, id="inline"),
        pytest.param("trust", _TRUST_STATEMENT, True, id="trust"),
        pytest.param("bucket", _BUCKET_STATEMENT, False, id="bucket"),
        pytest.param("key", _KEY_USE, False, id="key"),
    ],
)
@pytest.mark.parametrize("sid_value", ["Enable IAM User Permissions", "Allow get requests."])
def test_the_alphanumeric_sid_rule_binds_the_policies_iam_stores(
    catalog: Catalog, policy_type: Any, statement: dict[str, Any], invalid: bool, sid_value: str
) -> None:
    """IAM's letters-and-digits Sid binds identity and trust policies; KMS and S3 accept a Sid
    with spaces and periods in a key or bucket policy. The Sid's other rules hold everywhere."""
    named = {**statement, "Sid": sid_value}
    result = validate_policy(doc(named, named), catalog, policy_type=policy_type)
    codes = {(f.code, f.path) for f in result.findings}
    assert (("INVALID_SID", "/Statement/0/Sid") in codes) is invalid
    assert ("DUPLICATE_SID", "/Statement/1/Sid") in codes
    assert result.valid is False


def test_kms_default_key_policy_is_a_valid_key_policy(catalog: Catalog) -> None:
    """The key policy KMS writes for a key made in the console, with a key-user statement."""
    policy = console_key_policy("111111111111", ["arn:aws:iam::111111111111:role/x"])
    result = validate_policy(policy, catalog, policy_type="key")
    assert "INVALID_SID" not in {f.code for f in result.findings}
    assert result.valid, [(f.code, f.path, f.message) for f in result.findings]


_ROOT_A = {"AWS": "arn:aws:iam::111111111111:root"}
_USERS = {"AWS": ["arn:aws:iam::111111111111:role/x", "arn:aws:iam::222222222222:root"]}


def _kms(principal: Any, *actions: str) -> dict[str, Any]:
    return {"Effect": "Allow", "Principal": principal, "Action": list(actions), "Resource": "*"}


@pytest.mark.parametrize(
    ("policy_type", "statements", "redundant"),
    [
        pytest.param(
            "key", [_kms(_ROOT_A, "kms:*"), _kms(_USERS, "kms:Decrypt")], None, id="root-vs-users"
        ),
        pytest.param(
            "key", [_kms(_USERS, "kms:*"), _kms(_USERS, "kms:Decrypt")], "/Statement/1", id="same"
        ),
        pytest.param(
            "key", [_kms("*", "kms:*"), _kms(_USERS, "kms:Decrypt")], "/Statement/1", id="star"
        ),
        pytest.param(
            "key", [_kms(_USERS, "kms:Decrypt"), _kms(_ROOT_A, "kms:Decrypt")], None, id="subset"
        ),
        pytest.param(
            "bucket",
            [st_(Principal=_USERS, Action="s3:*"), st_(Principal=_ROOT_A)],
            None,
            id="bucket-root",
        ),
        pytest.param(
            "trust",
            [
                {**TRUST, "Action": "sts:*"},
                {"Effect": "Allow", "Principal": _ROOT_A, "Action": "sts:AssumeRole"},
            ],
            None,
            id="trust-other-principal",
        ),
        pytest.param(
            "bucket",
            [st_(Principal=_USERS, Action="s3:*"), st_(Principal={"AWS": _USERS["AWS"][1]})],
            "/Statement/1",
            id="bucket-one-of-them",
        ),
        pytest.param("managed", [st_(Action="s3:*"), st_()], "/Statement/1", id="identity"),
    ],
)
def test_a_statement_is_redundant_only_for_principals_the_other_names(
    catalog: Catalog, policy_type: Any, statements: list[dict[str, Any]], redundant: str | None
) -> None:
    """A resource policy's statement covers another only if it names all of its principals;
    the account's root does not name the account's roles (in a key policy it delegates to IAM)."""
    result = validate_policy(doc(*statements), catalog, policy_type=policy_type)
    found = [f.path for f in result.findings if f.code == "REDUNDANT_STATEMENT"]
    assert found == ([redundant] if redundant else [])
