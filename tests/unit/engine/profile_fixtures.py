"""Compile the shipped profile files once for engine tests (no database involved)."""

from __future__ import annotations

from functools import cache

from app.engine.profiles import CompiledProfiles, ProfileSet
from app.service.profile_files import compiled_files, profile_files


@cache
def shipped_compiled() -> CompiledProfiles:
    """The shipped files compiled as the seed compiles them (each that extends another resolved
    with it)."""
    _files, compiled = compiled_files(profile_files(), revision=1)
    assert not compiled.problems, compiled.problems
    return compiled


@cache
def shipped_profiles() -> ProfileSet:
    return ProfileSet(revision=1, profiles=shipped_compiled().profiles)
