"""Catalogue snapshots for tests: the shipped one with parts removed, and gzip bombs."""

from __future__ import annotations

import gzip
import struct
import zlib
from collections.abc import Iterable
from typing import Any

import orjson

from app.service.catalog_import import load_snapshot

_MIB = 1 << 20


def zeros_gzip(expanded_mib: int) -> bytes:
    """A valid gzip file of `expanded_mib` MiB of zeros, built without holding them: one MiB is
    deflated once, ending in a full flush (which resets the compressor, so the block stands on
    its own), and the block is repeated."""
    zeros = bytes(_MIB)
    deflater = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    block = deflater.compress(zeros) + deflater.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(expanded_mib):
        crc = zlib.crc32(zeros, crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"  # deflate, no name, mtime 0, unix
    final = b"\x03\x00"  # an empty final block
    trailer = struct.pack("<II", crc, (expanded_mib * _MIB) & 0xFFFFFFFF)
    return header + block * expanded_mib + final + trailer


def shipped_document() -> dict[str, Any]:
    document: dict[str, Any] = orjson.loads(gzip.decompress(load_snapshot()))
    return document


def encode_document(document: dict[str, Any], version: str) -> bytes:
    """Snapshot bytes of a (changed) snapshot document, its counts made right."""
    document["m"]["ver"] = version
    document["m"]["ns"] = len(document["s"])
    document["m"]["na"] = sum(len(s["a"]) for s in document["s"].values())
    raw = orjson.dumps(document, option=orjson.OPT_SORT_KEYS)
    return gzip.compress(raw, compresslevel=6, mtime=0)


def shipped_without(
    version: str, *, actions: Iterable[str] = (), services: Iterable[str] = ()
) -> bytes:
    """The shipped snapshot without some actions (`prefix:Name`, any case) and services."""
    document = shipped_document()
    for prefix in services:
        del document["s"][prefix]
    for action in actions:
        prefix, _, name = action.lower().partition(":")
        service = document["s"][prefix]
        j = [a.lower() for a in service["a"]].index(name)
        for column in ("a", "ar", "ac"):
            del service[column][j]
        service["l"] = service["l"][:j] + service["l"][j + 1 :]
    return encode_document(document, version)


def services_outside(profile_prefixes: Iterable[str], count: int, *, largest: bool) -> list[str]:
    """`count` services of the shipped snapshot that no profile names, the largest or the
    smallest (by actions)."""
    used = {p.lower() for p in profile_prefixes}
    services = shipped_document()["s"]
    free = [p for p in services if p not in used]
    sign = -1 if largest else 1
    return sorted(free, key=lambda p: (sign * len(services[p]["a"]), p))[:count]
