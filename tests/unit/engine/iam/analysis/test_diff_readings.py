"""The diff of a policy its template does not determine in full: what it grants whatever the
values are (its sure reading) is granted; what only its possible reading grants is unverifiable,
never granted; what neither grants is as the sure reading has it."""

from __future__ import annotations

from typing import Any

import pytest

from app.engine.iam.analysis.coverage import Coverage
from app.engine.iam.analysis.diff import UNDETERMINED_GRANT, DiffResult, Requirement, diff_policy
from app.engine.iam.policy.view import read_policy
from app.engine.pipeline.policy_readings import policy_readings
from app.engine.pipeline.template_values import UNKNOWN
from app.service.catalog_import import default_catalog
from tests.documents import allow, deny, policy_of

OBJECT = "arn:aws:s3:::artifacts/app.zip"
GET = Requirement("s3:GetObject", OBJECT)
GRANTED_IF = UNDETERMINED_GRANT[Coverage.GRANTED]


def diff(requirements: list[Requirement], *statements: dict[str, Any]) -> DiffResult:
    readings = policy_readings(policy_of(*statements))
    sure = read_policy(readings.sure, pointer="/sure").statements
    possible = read_policy(readings.possible, pointer="/possible").statements
    return diff_policy(sure, requirements, default_catalog(), possible=possible)


def outcome(result: DiffResult) -> tuple[str, str | None]:
    """Where the one requirement is, and why."""
    for kind in ("missing", "conditional", "unverifiable", "optional"):
        for found in getattr(result, kind):
            return kind, found.reason
    assert result.granted == 1
    return "granted", None


@pytest.mark.parametrize(
    ("requirement", "statements", "expected"),
    [
        pytest.param(
            GET,
            [allow(Action="s3:GetObject", Resource=f"arn:aws:s3:::{UNKNOWN}/*")],
            ("unverifiable", GRANTED_IF),
            id="unknown-resource",
        ),
        pytest.param(
            GET,
            [allow(Action=["sns:Publish", UNKNOWN], Resource="*")],
            ("unverifiable", GRANTED_IF),
            id="unknown-action",
        ),
        pytest.param(
            GET,
            [
                allow(
                    Action="s3:GetObject",
                    Resource="*",
                    Condition={"StringEquals": {"aws:ResourceAccount": UNKNOWN}},
                )
            ],
            ("unverifiable", GRANTED_IF),
            id="unknown-condition-value",
        ),
        pytest.param(
            GET,
            [
                allow(Action="s3:*", Resource="*"),
                deny(Action="s3:GetObject", Resource=f"arn:aws:s3:::{UNKNOWN}/*"),
            ],
            ("unverifiable", GRANTED_IF),
            id="unknown-in-a-deny",
        ),
        pytest.param(
            GET,
            [
                allow(
                    Action="s3:GetObject",
                    Resource=f"arn:aws:s3:::{UNKNOWN}/*",
                    Condition={"StringEquals": {"s3:ExistingObjectTag/stage": "prod"}},
                )
            ],
            ("unverifiable", UNDETERMINED_GRANT[Coverage.CONDITIONAL]),
            id="possibly-granted-under-conditions",
        ),
        pytest.param(
            GET,
            [
                allow(Action="s3:GetObject", Resource="arn:aws:s3:::artifacts/*"),
                allow(Action=UNKNOWN, Resource="*"),
            ],
            ("granted", None),
            id="granted-whatever-the-values",
        ),
        pytest.param(
            GET,
            [allow(Action="s3:PutObject", Resource=f"arn:aws:s3:::{UNKNOWN}/*")],
            ("missing", None),
            id="granted-by-no-value",
        ),
        pytest.param(
            Requirement("s3:GetObject", OBJECT, necessity="optional", note="works without"),
            [allow(Action="s3:GetObject", Resource=f"arn:aws:s3:::{UNKNOWN}/*")],
            ("optional", f"works without; {GRANTED_IF}"),
            id="optional",
        ),
    ],
)
def test_each_requirement_is_granted_only_whatever_the_values_are(
    requirement: Requirement, statements: list[dict[str, Any]], expected: tuple[str, str | None]
) -> None:
    assert outcome(diff([requirement], *statements)) == expected


def test_a_requirement_denied_only_through_a_value_is_not_granted_nor_denied_for_sure() -> None:
    result = diff([GET], deny(Action="s3:GetObject", Resource=f"arn:aws:s3:::{UNKNOWN}/*"))
    (missing,) = result.missing
    assert missing.result.coverage is Coverage.NOT_GRANTED
    assert missing.result.denying == ()


def test_what_the_policy_grants_beyond_is_what_it_may_grant() -> None:
    result = diff([GET], allow(Action=["s3:GetObject", UNKNOWN], Resource="*"))
    assert [w.pattern for w in result.excess.wildcards] == ["*"]
    assert result.excess.total_actions > 1000
