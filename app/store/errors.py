"""Errors the repositories raise instead of driver exceptions."""

from __future__ import annotations


class StoreConflictError(Exception):
    """A write lost to a concurrent one, or would duplicate a unique key."""
