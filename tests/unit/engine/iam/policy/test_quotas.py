"""Policy size as IAM counts it, and splitting into managed policies."""

from __future__ import annotations

import re
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.engine.iam.policy.quotas import policy_characters, split_statements


def _by_definition(document: Any) -> int:
    """The compact JSON's characters, less every character `\\s` matches."""
    text = orjson.dumps(document).decode()
    return len(re.sub(r"\s", "", text))


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ({}, 2),
        ({"a": "x y"}, 10),  # {"a":"xy"}
        ({"a": "tab\there"}, 17),  # the tab is written as the two characters \t
        ({"a": "\u00a0nbsp"}, 12),  # a no-break space is white space too (`\s`)
        ({"a": "é"}, 9),
        ({"Statement": [{"Sid": "A B", "Action": ["s3:Get*", " s3:Put* "]}]}, 59),
    ],
)
def test_policy_characters(document: dict[str, Any], expected: int) -> None:
    assert policy_characters(document) == expected == _by_definition(document)


documents = st.recursive(
    st.text() | st.integers(min_value=-(2**63), max_value=2**63 - 1) | st.booleans() | st.none(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(documents)
def test_policy_characters_counts_as_the_definition(document: Any) -> None:
    assert policy_characters(document) == _by_definition(document)


@given(st.lists(st.integers(min_value=1, max_value=700), max_size=40))
def test_split_keeps_every_statement_within_the_quota(sizes: list[int]) -> None:
    parts = split_statements(list(range(len(sizes))), size_of=lambda i: sizes[i], quota=1_000)
    assert sorted(i for part in parts for i in part) == list(range(len(sizes)))
    for part in parts:
        assert len(part) == 1 or sum(sizes[i] + 1 for i in part) <= 1_000 - 39
