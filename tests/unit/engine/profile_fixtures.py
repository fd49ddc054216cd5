"""Compile the shipped profile files once for engine tests (no database involved)."""

from __future__ import annotations

from functools import cache

from app.engine.profiles import ProfileSet, parse_profile
from app.service.profile_files import profile_files


@cache
def shipped_profiles() -> ProfileSet:
    profiles = [parse_profile(f.document, revision=1, pointer=f.path.name) for f in profile_files()]
    return ProfileSet(revision=1, profiles={p.key: p for p in profiles})
