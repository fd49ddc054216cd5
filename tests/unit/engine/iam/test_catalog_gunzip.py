"""Bounded decompression of catalogue snapshots: same bytes as gzip, refused past a limit."""

from __future__ import annotations

import gzip
import time
import tracemalloc
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.engine.iam.catalog import Catalog, SnapshotTooLargeError, gunzip
from tests.hypothesis_profiles import examples

from ....catalogs import zeros_gzip
from ....documents import snapshot

MIB = 1 << 20


@settings(max_examples=examples(50), deadline=None)
@given(st.lists(st.binary(max_size=3 * MIB // 2), min_size=1, max_size=3))
def test_property_gunzip_agrees_with_gzip(members: list[bytes]) -> None:
    data = b"".join(gzip.compress(m, compresslevel=1) for m in members)
    assert gunzip(data) == gzip.decompress(data)
    assert gunzip(data, len(b"".join(members))) == gzip.decompress(data)


@pytest.mark.parametrize(
    ("size", "limit", "refused"),
    [
        (0, 0, False),
        (1000, 1000, False),
        (1001, 1000, True),
        (3 * MIB, 3 * MIB, False),
        (3 * MIB + 1, 3 * MIB, True),
        (3 * MIB, 1, True),
    ],
)
def test_the_limit_is_exact(size: int, limit: int, refused: bool) -> None:
    data = gzip.compress(b"x" * size)
    if refused:
        with pytest.raises(SnapshotTooLargeError) as caught:
            gunzip(data, limit)
        assert caught.value.limit == limit
    else:
        assert len(gunzip(data, limit)) == size


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"", EOFError),
        # mtime=0: the ids (the bytes) must not change with the second a test worker collects in
        (gzip.compress(b"{}" * 1000, mtime=0)[:-20], EOFError),
        (gzip.compress(b"{}", mtime=0) + b"trailing", zlib.error),
        (b"not gzip at all", zlib.error),
    ],
)
def test_bad_data(data: bytes, error: type[Exception]) -> None:
    with pytest.raises(error):
        gunzip(data, 10 * MIB)


@pytest.mark.parametrize("expanded_mib", [64, 256, 1024])
def test_bombs_are_refused_at_once_holding_no_more_than_the_limit(expanded_mib: int) -> None:
    """Zeros deflate about a thousand to one: a megabyte of gzip is a gigabyte expanded."""
    bomb = zeros_gzip(expanded_mib)
    limit = 40 * MIB
    tracemalloc.start()
    started = time.monotonic()
    try:
        with pytest.raises(SnapshotTooLargeError):
            Catalog.from_snapshot(bomb, max_expanded_bytes=limit)
        elapsed = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # Expanding 40 MiB takes tens of milliseconds; expanding the whole of 1 GiB, seconds.
    assert elapsed < 2.0, elapsed
    # The expanded bytes held, one step of output and the growth of the buffer.
    assert peak < 3 * limit, peak


def test_a_real_snapshot_decodes_within_a_limit_of_its_size() -> None:
    data = snapshot("v1")
    expanded = len(gzip.decompress(data))
    assert Catalog.from_snapshot(data, max_expanded_bytes=expanded).meta.counts.actions == 3
    with pytest.raises(SnapshotTooLargeError):
        Catalog.from_snapshot(data, max_expanded_bytes=expanded - 1)
