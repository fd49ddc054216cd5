"""IAM glob semantics: tables from the reference (§1.4, §3.3, §4) and brute-force properties."""

from __future__ import annotations

import itertools
import time
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.engine.iam.errors import GlobLimitExceededError
from app.engine.iam.patterns.containment import decide_containment
from app.engine.iam.patterns.glob import (
    glob_contains,
    glob_intersects,
    glob_match,
    glob_union_contains,
    glob_witness_not_contained,
    tokenize_pattern,
)
from app.engine.iam.patterns.instances import instances_verdict
from app.engine.iam.patterns.product import search_counterexample
from app.engine.iam.patterns.tokens import Var, Wild
from tests.hypothesis_profiles import examples

PROPERTY = settings(max_examples=examples(150), deadline=None)

# Two literals in patterns plus a third letter only strings use (the "any other character").
# Brute force over strings up to length 6 is exact for patterns of length <= 4: checked
# exhaustively against length 8 when this suite was written.
WORDS = tuple("".join(w) for n in range(7) for w in itertools.product("abc", repeat=n))
patterns = st.text(alphabet="ab*?", max_size=4)


def reference_match(pattern: str, text: str) -> bool:
    """Textbook DP, independent of the engine: `*` any run, `?` one char, else literal."""
    m, n = len(pattern), len(text)
    table = [[False] * (n + 1) for _ in range(m + 1)]
    table[0][0] = True
    for i in range(1, m + 1):
        p = pattern[i - 1]
        table[i][0] = table[i - 1][0] and p == "*"
        for j in range(1, n + 1):
            if p == "*":
                table[i][j] = table[i - 1][j] or table[i][j - 1]
            elif p == "?":
                table[i][j] = table[i - 1][j - 1]
            else:
                table[i][j] = table[i - 1][j - 1] and p == text[j - 1]
    return table[m][n]


@cache
def language(pattern: str) -> frozenset[str]:
    return frozenset(w for w in WORDS if reference_match(pattern, w))


# --- tables ---------------------------------------------------------------------------------

CONTAINMENT = [
    ("arn:aws:s3:::bucket/*", "arn:aws:s3:::*", True),
    ("*", "arn:aws:s3:::*", False),
    ("arn:aws:s3:::*", "*", True),
    ("arn:aws:s3:::b/*a", "arn:aws:s3:::b/?*", True),
    ("*a", "?*", True),
    ("?*", "*a", False),
    ("s3:*", "s3:?", False),
    ("s3:?", "s3:*", True),
    ("s3:get*", "s3:*", True),
    ("s3:*", "s3:get*", False),
    ("a*b", "a*", True),
    ("*?*", "?*", True),
    ("?*", "*?*", True),
    ("a?c", "a*c", True),
    ("a*c", "a?c", False),
    ("arn:aws:s3:::a.b", "arn:aws:s3:::a?b", True),
    ("arn:aws:s3:::a?b", "arn:aws:s3:::a.b", False),
    ("arn:aws:s3:::a[bc]", "arn:aws:s3:::a[bc]", True),
    ("arn:aws:s3:::ab", "arn:aws:s3:::a[bc]", False),
    ("", "*", True),
    ("", "?", False),
    ("x", "", False),
]


@pytest.mark.parametrize(("a", "b", "expected"), CONTAINMENT)
def test_glob_contains_table(a: str, b: str, expected: bool) -> None:
    assert glob_contains(a, b) is expected


MATCHES = [
    ("s3:?etObject", "s3:GetObject", True),
    ("s3:?etObject", "s3:etObject", False),
    ("arn:aws:s3:::BUCKET/*/test/*", "arn:aws:s3:::BUCKET/a/b/test/c/d", True),
    ("arn:aws:s3:::*", "arn:aws:s3:::x:y/z", True),
    ("arn:aws:s3:::a.b", "arn:aws:s3:::aXb", False),
    ("arn:aws:s3:::a.b", "arn:aws:s3:::a.b", True),
    ("a[bc]", "ab", False),
    ("a[bc]", "a[bc]", True),
    ("a[!b]", "a[!b]", True),
    ("b/a+b", "b/aab", False),
    ("b/a+b", "b/a+b", True),
    ("^a$", "^a$", True),
    ("(a|b)", "a", False),
    ("a\\d", "a\\d", True),
    ("a\\d", "a1", False),
    ("a b*", "a b c", True),
    ("k/*", "k/ünïcødé ☃", True),
    ("k/?", "k/☃", True),
    ("a*", "a\nb", True),
    ("*a*a*a*a*a*a*a*b", "a" * 3000, False),
    ("", "", True),
    ("?", "", False),
]


@pytest.mark.parametrize(("pattern", "text", "expected"), MATCHES)
def test_glob_match_table(pattern: str, text: str, expected: bool) -> None:
    assert glob_match(pattern, text) is expected
    assert reference_match(pattern, text) is expected


def test_glob_match_case() -> None:
    assert not glob_match("s3:getobject", "S3:GetObject")
    assert glob_match("S3:getobject", "s3:GetObject", ignore_case=True)
    assert glob_match("iam:*AccessKey*", "IAM:listaccesskeys", ignore_case=True)


VARIABLE_MATCHES = [
    ("a${*}b", "a*b", True),
    ("a${*}b", "axb", False),
    ("a${?}", "a?", True),
    ("a${?}", "ab", False),
    ("cost${$}", "cost$", True),
    ("home/${aws:username}/*", "home/alice/x", False),
    ("home/${aws:username}/*", "home/${aws:username}/x", False),
    ("a${", "a${", True),
    ("a${}", "a${}", True),
]


@pytest.mark.parametrize(("pattern", "text", "expected"), VARIABLE_MATCHES)
def test_glob_match_variables(pattern: str, text: str, expected: bool) -> None:
    assert glob_match(pattern, text) is expected


def test_variables_are_literal_text_when_disabled() -> None:
    assert glob_match("home/${aws:username}", "home/${aws:username}", variables=False)
    assert not glob_match("a${*}b", "a*b", variables=False)
    assert glob_match("a${*}b", "a${xyz}b", variables=False)


def test_tokenize_pattern() -> None:
    tokens = tokenize_pattern("a*${aws:UserName}?${*}")
    assert tokens[:2] == ("a", Wild.STAR)
    assert tokens[2] == Var("aws:username", "${aws:UserName}")
    assert isinstance(tokens[2], Var)
    assert tokens[2].text == "${aws:UserName}"
    assert tokens[3:] == (Wild.ANY, "*")
    assert tokenize_pattern("${ aws:username }")[0] == Var("aws:username", "")
    assert tokenize_pattern("x${a}", variables=False) == ("x", "$", "{", "a", "}")


VARIABLE_CONTAINMENT = [
    ("arn:aws:s3:::home/${aws:username}/*", "arn:aws:s3:::home/*", True),
    ("arn:aws:s3:::home/*", "arn:aws:s3:::home/${aws:username}/*", False),
    ("home/${aws:username}/*", "home/${aws:UserName}/*", True),
    ("home/${aws:username}", "home/${aws:userid}", False),
    # The variable may be empty or long, so `?` never covers it (sound, §4.5).
    ("home/${aws:username}", "home/?*", False),
    ("home/${aws:username}", "home/*", True),
    ("${aws:username}", "*", True),
    ("x${*}", "x*", True),
    ("x*", "x${*}", False),
]


@pytest.mark.parametrize(("a", "b", "expected"), VARIABLE_CONTAINMENT)
def test_glob_contains_variables(a: str, b: str, expected: bool) -> None:
    assert glob_contains(a, b) is expected


UNIONS = [
    ("b/*", ["b/", "b/?*"], True),
    ("b/*", ["b/?*"], False),
    ("b/*", ["b/a*", "b/b*", "b/"], False),
    ("s3:get*", ["s3:getobject", "s3:get?*"], False),
    ("s3:get*", ["s3:get", "s3:get?*"], True),
    ("*", [], False),
    ("a", [], False),
    ("a*", ["a", "a?", "a??*"], True),
]


@pytest.mark.parametrize(("a", "bs", "expected"), UNIONS)
def test_glob_union_contains_table(a: str, bs: list[str], expected: bool) -> None:
    assert glob_union_contains(a, bs) is expected


INTERSECTIONS = [
    ("arn:aws:s3:::b/*", "arn:aws:s3:::*/x", True),
    ("arn:aws:s3:::a/*", "arn:aws:s3:::b/*", False),
    ("*a", "b*", True),
    ("a?c", "*b*", True),
    ("a?c", "abd", False),
    ("??", "???", False),
    ("[a]", "a", False),
    # Variables count as "any value" so that "disjoint" is safe for every value.
    ("home/${aws:username}", "home/alice", True),
    ("a${aws:username}", "b", False),
]


@pytest.mark.parametrize(("a", "b", "expected"), INTERSECTIONS)
def test_glob_intersects_table(a: str, b: str, expected: bool) -> None:
    assert glob_intersects(a, b) is expected
    assert glob_intersects(b, a) is expected


WITNESSES = [
    ("*", ["arn:aws:s3:::*"]),
    ("arn:aws:s3:::b/*", ["arn:aws:s3:::b/", "arn:aws:s3:::b/x?*"]),
    ("s3:*", ["s3:?"]),
    ("a[x]*", ["a[x]", "a[x]x*"]),
]


@pytest.mark.parametrize(("a", "bs"), WITNESSES)
def test_witness_is_in_a_and_outside_every_b(a: str, bs: list[str]) -> None:
    witness = glob_witness_not_contained(a, bs)
    assert witness is not None
    assert glob_match(a, witness)
    assert not any(glob_match(b, witness) for b in bs)


def test_witness_keeps_variables_as_written() -> None:
    witness = glob_witness_not_contained("home/${aws:username}", ["home/?*"])
    assert witness == "home/${aws:username}"


def test_no_witness_when_contained() -> None:
    assert glob_witness_not_contained("arn:aws:s3:::b/*a", ["arn:aws:s3:::b/?*"]) is None


def test_pathological_pair_finishes_quickly() -> None:
    def a(n: int) -> str:
        return "*b*a" + "?" * n

    def b(n: int) -> str:
        return "*a" + "?" * n

    assert a(14) == "*b*a??????????????"
    started = time.process_time()
    assert glob_contains(a(14), b(16)) is False
    assert glob_contains(a(16), b(16)) is True
    assert glob_contains(a(16), b(14)) is False
    assert time.process_time() - started < 5.0


def test_both_caps_exceeded_is_unknown_not_a_hang() -> None:
    a, b = "*a*b*a*b*a*b*a*b*a" + "?" * 10, "*a" + "?" * 20 + "*"
    started = time.process_time()
    assert glob_contains(a, b) is None
    with pytest.raises(GlobLimitExceededError):
        glob_witness_not_contained(a, [b])
    assert time.process_time() - started < 5.0


def test_small_caps_give_unknown() -> None:
    a, b = tokenize_pattern("*a*b"), tokenize_pattern("*b?")
    assert decide_containment(a, [b], state_cap=1, instance_cap=1).contained is None
    assert decide_containment(a, [b]).contained is False


# --- properties against brute force -------------------------------------------------------


@PROPERTY
@given(patterns, patterns)
def test_contains_matches_brute_force(a: str, b: str) -> None:
    assert glob_contains(a, b) is (language(a) <= language(b))


@PROPERTY
@given(patterns, st.lists(patterns, min_size=1, max_size=3))
def test_union_contains_matches_brute_force(a: str, bs: list[str]) -> None:
    expected = language(a) <= frozenset().union(*(language(b) for b in bs))
    assert glob_union_contains(a, bs) is expected
    witness = glob_witness_not_contained(a, bs)
    assert (witness is None) is expected
    if witness is not None:
        assert glob_match(a, witness)
        assert not any(glob_match(b, witness) for b in bs)


@PROPERTY
@given(patterns, st.lists(patterns, min_size=1, max_size=3))
def test_both_procedures_agree_with_brute_force(a: str, bs: list[str]) -> None:
    """Each exact procedure on its own, so the fallback is tested even when rarely used."""
    expected = language(a) <= frozenset().union(*(language(b) for b in bs))
    ta, tbs = tokenize_pattern(a), [tokenize_pattern(b) for b in bs]
    assert search_counterexample(ta, tbs, state_cap=10**6).contained is expected
    assert instances_verdict(ta, tbs, instance_cap=10**6).contained is expected


@PROPERTY
@given(patterns, patterns)
def test_intersects_matches_brute_force(a: str, b: str) -> None:
    assert glob_intersects(a, b) is bool(language(a) & language(b))


@PROPERTY
@given(st.text(alphabet="ab*?[.$:", max_size=6), st.text(alphabet="ab[.$:x", max_size=8))
def test_match_agrees_with_reference(pattern: str, text: str) -> None:
    assert glob_match(pattern, text) is reference_match(pattern, text)


VARIABLE_VALUES = ("", "a", "b", "ab", "ba", "aa")
var_patterns = st.lists(st.sampled_from(["a", "b", "*", "?", "${u}"]), max_size=4).map("".join)


@PROPERTY
@given(var_patterns, var_patterns)
def test_variable_containment_is_sound(a: str, b: str) -> None:
    """Contained over the opaque symbol implies contained for every value of the variable."""
    if glob_contains(a, b):
        for value in VARIABLE_VALUES:
            sa, sb = a.replace("${u}", value), b.replace("${u}", value)
            assert language(sa) <= language(sb), (value, sa, sb)


@PROPERTY
@given(var_patterns, var_patterns)
def test_variable_intersection_is_conservative(a: str, b: str) -> None:
    """Reported disjoint implies disjoint for every value of the variable."""
    if not glob_intersects(a, b):
        for value in VARIABLE_VALUES:
            sa, sb = a.replace("${u}", value), b.replace("${u}", value)
            assert not language(sa) & language(sb), (value, sa, sb)
