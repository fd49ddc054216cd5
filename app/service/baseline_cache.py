"""Baselines for the hot endpoints: read once, kept for a short time, so a diff against a named
baseline does not go to the database on every request."""

from __future__ import annotations

import threading
import time
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from app.store.baseline_repository import BaselineRepository, StoredBaseline


class BaselineCache:
    def __init__(self, session_factory: sessionmaker[Session], ttl_seconds: float) -> None:
        self._factory = session_factory
        self._ttl = ttl_seconds
        self._entries: dict[str, tuple[float, StoredBaseline | None]] = {}
        self._all: tuple[float, dict[str, StoredBaseline]] | None = None
        self._lock = threading.Lock()

    def documents(self) -> dict[str, dict[str, Any]]:
        """Every baseline's policy document by name (for recognising a policy as one)."""
        now = time.monotonic()
        with self._lock:
            if self._all is not None and now - self._all[0] < self._ttl:
                return {name: b.document for name, b in self._all[1].items()}
        with self._factory() as session:
            everything = {b.name: b for b in BaselineRepository(session).all()}
        with self._lock:
            self._all = (now, everything)
        return {name: b.document for name, b in everything.items()}

    def get(self, name: str) -> StoredBaseline | None:
        now = time.monotonic()
        with self._lock:
            hit = self._entries.get(name)
            if hit is not None and now - hit[0] < self._ttl:
                return hit[1]
        with self._factory() as session:
            baseline = BaselineRepository(session).get(name)
        with self._lock:
            self._entries[name] = (now, baseline)
        return baseline
