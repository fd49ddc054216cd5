"""The answer cache: bounded by bytes, least recently used out first, emptied by a new basis."""

from __future__ import annotations

import uuid
from collections import OrderedDict

from hypothesis import given
from hypothesis import strategies as st

from app.service.answer_cache import AnswerCache, CachedAnswer, cached_answer

BASIS = (object(), object())
OVERHEAD = 512  # what the cache counts per entry beyond its bytes


def _answer(size: int = 10, verdict: str = "clean") -> CachedAnswer:
    return CachedAnswer(body=b"x" * size, media_type="application/json", verdicts=(verdict,))


def test_a_kept_answer_is_found_on_its_basis_only() -> None:
    cache = AnswerCache(1 << 20)
    cache.put(("k",), BASIS, _answer())
    assert cache.get(("k",), BASIS) == _answer()
    assert cache.get(("other",), BASIS) is None
    # Equal objects are not the same basis: a reloaded profile set is a new object.
    assert cache.get(("k",), (BASIS[0], object())) is None
    assert cache.get(("k",), BASIS[:1]) is None


def test_a_new_basis_empties_the_cache() -> None:
    cache = AnswerCache(1 << 20)
    cache.put(("a",), BASIS, _answer())
    new = (object(), BASIS[1])
    cache.put(("b",), new, _answer())
    assert len(cache) == 1
    assert cache.get(("a",), BASIS) is None
    assert cache.get(("a",), new) is None
    assert cache.get(("b",), new) == _answer()


def test_least_recently_used_goes_first() -> None:
    entry = 100 + OVERHEAD + 1 + 8  # a one-character key, one verdict
    cache = AnswerCache(entry * 16)  # room for 16; an entry may take a sixteenth
    for name in "abcdefghijklmnop":
        cache.put((name,), BASIS, _answer(100))
    assert len(cache) == 16
    assert cache.get(("a",), BASIS) is not None  # "a" is now the most recently used
    cache.put(("q",), BASIS, _answer(100))
    assert cache.get(("b",), BASIS) is None  # the least recently used went
    assert cache.get(("a",), BASIS) is not None
    assert cache.held_bytes == entry * 16


def test_an_answer_over_a_sixteenth_of_the_bound_is_not_kept() -> None:
    cache = AnswerCache(16 * (1000 + 8 + OVERHEAD))
    cache.put(("",), BASIS, _answer(1000))
    assert len(cache) == 1
    cache.put(("big",), BASIS, _answer(1001))
    assert cache.get(("big",), BASIS) is None
    assert len(cache) == 1


def test_zero_bytes_keeps_nothing() -> None:
    cache = AnswerCache(0)
    assert not cache.enabled
    cache.put(("k",), BASIS, _answer(0))
    assert cache.get(("k",), BASIS) is None


def test_a_kept_answer_gets_a_new_decision_id_each_time() -> None:
    old = str(uuid.uuid4())
    body = b'{"decision_id":"' + old.encode() + b'","policy":{"Version":"2012-10-17"}}'
    kept = cached_answer(body, "application/json", ("clean",), old)
    first, second = kept.fresh_body(), kept.fresh_body()
    assert first != second
    assert old.encode() not in first
    for fresh in (first, second):
        prefix, new_id, rest = fresh[:16], fresh[16:52], fresh[52:]
        assert prefix == body[:16]
        assert rest == body[52:]
        assert uuid.UUID(new_id.decode()).version == 4


def test_an_answer_without_its_decision_id_is_kept_as_it_is() -> None:
    kept = cached_answer(b"Resources: {}\n", "text/yaml", ("clean",), str(uuid.uuid4()))
    assert kept.decision_id_at is None
    assert kept.fresh_body() == b"Resources: {}\n"


_ops = st.lists(
    st.tuples(
        st.sampled_from(["put", "get", "rebase"]),
        st.integers(0, 7),  # key
        st.integers(0, 600),  # body size
    ),
    max_size=80,
)


@given(max_bytes=st.integers(0, 8000), ops=_ops)
def test_agrees_with_a_plain_lru_and_stays_within_its_bound(
    max_bytes: int, ops: list[tuple[str, int, int]]
) -> None:
    cache = AnswerCache(max_bytes)
    model: OrderedDict[tuple[str], tuple[CachedAnswer, int]] = OrderedDict()
    basis: tuple[object, ...] = (object(),)
    model_basis: tuple[object, ...] = basis
    for op, k, size in ops:
        key = (str(k),)
        if op == "rebase":
            basis = (object(),)
        elif op == "get":
            found = cache.get(key, basis)
            expected = model.get(key) if basis is model_basis else None
            assert found == (expected[0] if expected else None)
            if expected:
                model.move_to_end(key)
        else:
            answer = _answer(size, verdict=f"v{size}")
            cost = size + len(key[0]) + 8 + OVERHEAD  # one verdict
            cache.put(key, basis, answer)
            if cost > max_bytes // 16:
                continue
            if basis is not model_basis:
                model.clear()
                model_basis = basis
            model.pop(key, None)
            model[key] = (answer, cost)
            while sum(c for _, c in model.values()) > max_bytes:
                model.popitem(last=False)
        assert cache.held_bytes == sum(c for _, c in model.values()) <= max_bytes
        assert len(cache) == len(model)
