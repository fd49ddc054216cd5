"""ARN parsing and the three Resource matching models (reference §1.4)."""

from __future__ import annotations

import itertools
import re
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.engine.iam.patterns.arn import (
    ARN_MODES,
    Arn,
    ArnMode,
    arn_contains,
    arn_intersects,
    arn_match,
    arn_union_contains,
    arn_witness_not_contained,
    parse_arn,
    split_arn,
)
from tests.hypothesis_profiles import examples

PROPERTY = settings(max_examples=examples(120), deadline=None)

# --- parsing --------------------------------------------------------------------------------

PARSE = [
    ("arn:aws:s3:::bucket", Arn("aws", "s3", "", "", "bucket")),
    ("arn:aws:s3:::bucket/key:with:colons", Arn("aws", "s3", "", "", "bucket/key:with:colons")),
    (
        "arn:aws-cn:iam::123456789012:role/path/Name",
        Arn("aws-cn", "iam", "", "123456789012", "role/path/Name"),
    ),
    (
        "arn:aws:codebuild:us-east-1:123456789012:project/p",
        Arn("aws", "codebuild", "us-east-1", "123456789012", "project/p"),
    ),
    (
        "arn:aws:logs:us-east-1:1:log-group:/aws/codebuild/x:*",
        Arn("aws", "logs", "us-east-1", "1", "log-group:/aws/codebuild/x:*"),
    ),
    ("arn:aws:s3:::", None),
    ("arn::s3:::b", None),
    ("arn:aws::::b", None),
    ("arn:aws:s3::b", None),
    ("ARN:aws:s3:::b", None),
    ("urn:aws:s3:::b", None),
    ("*", None),
    ("", None),
]


@pytest.mark.parametrize(("text", "expected"), PARSE)
def test_parse_arn(text: str, expected: Arn | None) -> None:
    assert parse_arn(text) == expected
    if expected is not None:
        assert str(expected) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("arn:aws:s3:::", Arn("aws", "s3", "", "", "")),
        ("arn::::123456789012:", Arn("", "", "", "123456789012", "")),
        ("arn:aws:s3::b", None),
        ("urn:aws:s3:::b", None),
    ],
)
def test_split_arn_keeps_empty_segments(text: str, expected: Arn | None) -> None:
    assert split_arn(text) == expected
    assert parse_arn(text) is None


# --- matching tables ------------------------------------------------------------------------

ACCESSPOINT = "arn:aws:s3:*:123456789012:accesspoint/*"
OBJECT_WITH_COLON = "arn:aws:s3:::b/x:123456789012:accesspoint/y"
FINANCE = "arn:aws:someservice:*:111122223333:finance/*"
STORE = "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"

# (pattern, arn, segment, strict-segment, whole-string)
MODE_TABLE = [
    # §1.4: the region `*` ends its segment, so the documented relaxation lets it cross colons.
    (ACCESSPOINT, OBJECT_WITH_COLON, True, False, True),
    (ACCESSPOINT, "arn:aws:s3:us-east-1:123456789012:accesspoint/ap", True, True, True),
    (FINANCE, STORE, True, False, True),
    # A `*` inside a segment (not its last character) never crosses a colon per segment.
    (
        "arn:aws:ec2:us-*-1:123:instance/*",
        "arn:aws:ec2:us-x:y-1:123:instance/i",
        False,
        False,
        True,
    ),
    ("arn:aws:ec2:us-*-1:123:instance/*", "arn:aws:ec2:us-east-1:123:instance/i", True, True, True),
    ("arn:aws:s3:?:1:x", "arn:aws:s3:::1:x", False, False, True),
    ("arn:aws:s3:::b/*", "arn:aws:s3:::b/k:e:y", True, True, True),
    ("arn:aws:s3:::b/?", "arn:aws:s3:::b/:", True, True, True),
    ("arn:aws:s3:::BUCKET/*/test/*", "arn:aws:s3:::BUCKET/a/b/test/c/d", True, True, True),
    ("*", "arn:aws:s3:::anything:at/all", True, True, True),
    ("*", "not-even-an-arn", True, True, True),
    ("arn:aws:*", "arn:aws:s3:::b", True, False, True),
    ("arn:aws:s3:::a.b", "arn:aws:s3:::aXb", False, False, False),
    ("arn:aws:s3:::${aws:username}/*", "arn:aws:s3:::alice/x", False, False, False),
    ("arn:aws:s3:::${*}", "arn:aws:s3:::*", True, True, True),
]


@pytest.mark.parametrize(("pattern", "arn", "segment", "strict", "whole"), MODE_TABLE)
def test_arn_match_modes(pattern: str, arn: str, segment: bool, strict: bool, whole: bool) -> None:
    assert arn_match(pattern, arn) is segment
    assert arn_match(pattern, arn, "segment") is segment
    assert arn_match(pattern, arn, "strict-segment") is strict
    assert arn_match(pattern, arn, "whole-string") is whole


def test_arn_match_accepts_parsed_arn() -> None:
    arn = parse_arn("arn:aws:s3:::bucket/key")
    assert arn is not None
    assert arn_match("arn:aws:s3:::bucket/*", arn)


@pytest.mark.parametrize("mode", ARN_MODES)
def test_arns_are_case_sensitive(mode: ArnMode) -> None:
    assert not arn_match("arn:aws:s3:::Bucket/*", "arn:aws:s3:::bucket/x", mode)
    assert not arn_match("arn:aws:S3:::bucket/*", "arn:aws:s3:::bucket/x", mode)
    assert arn_contains("arn:aws:s3:::Bucket/*", "arn:aws:s3:::bucket/*", mode) is False
    assert arn_intersects("arn:aws:s3:::Bucket/*", "arn:aws:s3:::bucket/*", mode) is False


CONTAINS_ALL_MODES = [
    ("arn:aws:s3:::bucket/*", "arn:aws:s3:::*", True),
    ("*", "arn:aws:s3:::*", False),
    ("arn:aws:s3:::*", "*", True),
    ("arn:aws:s3:::b/*a", "arn:aws:s3:::b/?*", True),
    ("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket", False),
    ("arn:aws:codebuild:us-east-1:1:project/p", "arn:aws:codebuild:*:*:project/*", True),
    ("arn:aws:codebuild:*:1:project/p", "arn:aws:codebuild:us-*:1:project/p", False),
    ("arn:aws:s3:::home/${aws:username}/*", "arn:aws:s3:::home/*", True),
]


@pytest.mark.parametrize("mode", ARN_MODES)
@pytest.mark.parametrize(("a", "b", "expected"), CONTAINS_ALL_MODES)
def test_arn_contains_all_modes(a: str, b: str, expected: bool, mode: ArnMode) -> None:
    assert arn_contains(a, b, mode) is expected


# (a, b, segment, strict-segment, whole-string)
CONTAINS_BY_MODE = [
    # A strict region `*` can only produce colon-free regions; the relaxed one cannot.
    ("arn:aws:s3:*:1:x", "arn:aws:s3:*:1:x", True, True, True),
    ("arn:aws:s3:*:1:x", "arn:aws:s3:?*:1:x", False, False, False),
    ("arn:aws:s3:a*:1:x", "arn:aws:s3:a*:*:x", True, True, True),
    ("arn:aws:s3:a*:1:x", "arn:aws:s3:a*:1:*", True, True, True),
    # Literal ARNs whose region and account "absorb" colons only under the looser models.
    ("arn:aws:s3:x:z:1:y", "arn:aws:s3:x*:1:y", True, False, True),
    ("arn:aws:s3:x:zw:1:y", "arn:aws:s3:x*w:1:y", False, False, True),
]


@pytest.mark.parametrize(("a", "b", "segment", "strict", "whole"), CONTAINS_BY_MODE)
def test_arn_contains_by_mode(a: str, b: str, segment: bool, strict: bool, whole: bool) -> None:
    assert arn_contains(a, b, "segment") is segment
    assert arn_contains(a, b, "strict-segment") is strict
    assert arn_contains(a, b, "whole-string") is whole


@pytest.mark.parametrize("mode", ARN_MODES)
def test_arn_union_and_witness(mode: ArnMode) -> None:
    parts = ["arn:aws:s3:::b/", "arn:aws:s3:::b/?*"]
    assert arn_union_contains("arn:aws:s3:::b/*", parts, mode) is True
    assert arn_union_contains("arn:aws:s3:::b/*", parts[1:], mode) is False
    assert arn_witness_not_contained("arn:aws:s3:::b/*", parts, mode) is None
    witness = arn_witness_not_contained("arn:aws:s3:::*", parts, mode)
    assert witness is not None
    assert arn_match("arn:aws:s3:::*", witness, mode)
    assert not any(arn_match(p, witness, mode) for p in parts)


def test_intersects_differs_by_mode() -> None:
    a, b = "arn:aws:s3:::b/x:1:ap/*", "arn:aws:s3:*:1:ap/*"
    assert arn_intersects(a, b, "whole-string") is True
    assert arn_intersects(a, b, "segment") is True
    assert arn_intersects(a, b, "strict-segment") is False


# --- properties against independent references ----------------------------------------------
#
# Patterns and ARNs share the prefix `arn:p:s:`, so the next two colons end the region and the
# account, and everything after them is the resource part. Strings after the prefix go up to
# length 7 over {a, b, :}; pattern tails stay short enough for that bound to be exact.

PREFIX = "arn:p:s:"
TAILS = tuple("".join(w) for n in range(8) for w in itertools.product("ab:", repeat=n))
tails = st.text(alphabet="a:*?", max_size=4)


def _segment_regex(pattern: str, relaxed: bool) -> re.Pattern[str]:
    """ArnLike as a regex built segment by segment (independent of the engine's tokens)."""
    pieces = pattern.split(":", 5)
    out: list[str] = []
    for index, piece in enumerate(pieces):
        resource = index == 5
        body = ""
        for pos, ch in enumerate(piece):
            if ch == "*":
                last = pos == len(piece) - 1
                body += ".*" if resource or (relaxed and last) else "[^:]*"
            elif ch == "?":
                body += "." if resource else "[^:]"
            else:
                body += re.escape(ch)
        out.append(body)
    return re.compile(":".join(out), re.DOTALL)


def reference_match(pattern: str, arn: str, mode: ArnMode) -> bool:
    if pattern == "*":
        return True
    if mode == "whole-string":
        body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
        return re.fullmatch(body, arn, re.DOTALL) is not None
    return _segment_regex(pattern, mode == "segment").fullmatch(arn) is not None


@cache
def language(tail: str, mode: ArnMode) -> frozenset[str]:
    return frozenset(t for t in TAILS if reference_match(PREFIX + tail, PREFIX + t, mode))


modes = st.sampled_from(ARN_MODES)


@PROPERTY
@given(tails, st.text(alphabet="ab:", max_size=7), modes)
def test_match_agrees_with_reference(tail: str, text: str, mode: ArnMode) -> None:
    assert arn_match(PREFIX + tail, PREFIX + text, mode) is reference_match(
        PREFIX + tail, PREFIX + text, mode
    )


@PROPERTY
@given(tails, st.lists(tails, min_size=1, max_size=3), modes)
def test_union_contains_agrees_with_brute_force(a: str, bs: list[str], mode: ArnMode) -> None:
    expected = language(a, mode) <= frozenset().union(*(language(b, mode) for b in bs))
    full_bs = [PREFIX + b for b in bs]
    assert arn_union_contains(PREFIX + a, full_bs, mode) is expected
    if len(bs) == 1:
        assert arn_contains(PREFIX + a, full_bs[0], mode) is expected


@PROPERTY
@given(tails, tails, modes)
def test_intersects_agrees_with_brute_force(a: str, b: str, mode: ArnMode) -> None:
    expected = bool(language(a, mode) & language(b, mode))
    assert arn_intersects(PREFIX + a, PREFIX + b, mode) is expected
