"""The sessions a request runs in, as dependencies: a read in a session that is always rolled
back, a write in one unit of work (committed when the use case returns, rolled back when it
raises)."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy.orm import Session, sessionmaker

from app.store.database import unit_of_work


def read_session(factory: sessionmaker[Session]) -> Iterator[Session]:
    with factory() as session:
        yield session


def write_transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    with unit_of_work(factory) as session:
        yield session
