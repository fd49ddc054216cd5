"""Crash safety: a server killed with SIGKILL in the middle of a stream of profile publishes loses
no acknowledged revision and leaves no half-written one, on SQLite and on PostgreSQL.

Each run: a fresh database (migrated and seeded by the CLI), a `write` key, a server; a client
thread publishes revisions of one profile in a loop (PUT with the current ETag in If-Match) and
records every 2xx; at a random moment the server gets SIGKILL; a new server starts on the same
database, and then:
- every acknowledged revision is there, with the exact document and content hash it was
  acknowledged with;
- every revision row parses as a profile, has its profile-set revision, hashes to its stored
  hash, and (past the first) has its `profile.publish` audit event; revisions are numbered 1..n;
- the current profile-set revision is the highest one any revision names, and the server says so.
That is repeated CRASH_ROUNDS times (default 3) on each database; the seed of the random
moments is printed, and CRASH_SEED replays it.
"""

from __future__ import annotations

import os
import random
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from app.engine.profile_schema import validate_document
from app.service.profile_files import content_sha256
from app.store.database import make_engine, make_session_factory
from app.store.models import ActionType, AuditEvent, ProfileRevision, ProfileSetRevision

from ..documents import with_note
from ..servers import Server, cli_key, prepare_database

pytestmark = pytest.mark.slow  # real server processes: left out of `make test-fast`

ROUNDS = int(os.environ.get("CRASH_ROUNDS", "3"))
SEED = int(os.environ.get("CRASH_SEED", str(random.SystemRandom().randrange(2**32))))
PROFILE = "/v1/profiles/Source/AWS/CodeCommit/1"
LABEL = "Source/AWS/CodeCommit/1"
KILL_AFTER_SECONDS = (0.0, 1.5)  # after the first acknowledgement of a round


@dataclass
class Ack:
    revision: int
    document: dict[str, Any]
    sha256: str


@dataclass
class Writer:
    """Publishes revisions until the server goes away; keeps what was acknowledged."""

    base: str
    key: str
    tag: str
    acks: list[Ack] = field(default_factory=list)
    failure: str | None = None
    first_ack: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        try:
            with httpx.Client(base_url=self.base, timeout=10) as http:
                current = http.get(PROFILE)
                assert current.status_code == 200, current.text
                etag, document = current.headers["etag"], current.json()["document"]
                n = 0
                while True:
                    n += 1
                    sent = with_note(document, f"{self.tag} write {n}")
                    response = http.put(
                        PROFILE,
                        json=sent,
                        headers={"Authorization": f"Bearer {self.key}", "If-Match": etag},
                    )
                    if response.status_code != 200:
                        self.failure = f"{response.status_code}: {response.text[:500]}"
                        return
                    body = response.json()
                    self.acks.append(Ack(body["revision"], sent, body["content_sha256"]))
                    self.first_ack.set()
                    etag, document = response.headers["etag"], sent
        except httpx.TransportError:
            return  # the server was killed: what was acknowledged is in self.acks
        except Exception as exc:  # surfaced in the test's thread
            self.failure = repr(exc)
        finally:
            self.first_ack.set()


def _check_database(url: str) -> tuple[int, int]:
    """Every revision row whole; returns (revisions of the profile, current set revision)."""
    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as session:
            set_ids = set(session.scalars(select(ProfileSetRevision.id)))
            newest_set = max(set_ids)
            rows = session.execute(
                select(ProfileRevision, ActionType).join(
                    ActionType, ProfileRevision.action_type_id == ActionType.id
                )
            ).all()
            by_type: dict[str, list[int]] = {}
            for row, action_type in rows:
                label = (
                    f"{action_type.category}/{action_type.owner}/"
                    f"{action_type.provider}/{action_type.version}"
                )
                validate_document(row.document)  # raises on a torn document
                assert row.content_sha256 == content_sha256(row.document), (label, row.revision)
                assert row.set_revision in set_ids, (label, row.revision, row.set_revision)
                by_type.setdefault(label, []).append(row.revision)
            for label, numbers in by_type.items():
                assert sorted(numbers) == list(range(1, len(numbers) + 1)), (label, numbers)
            highest = session.scalar(select(func.max(ProfileRevision.set_revision)))
            assert newest_set == highest, (newest_set, highest)
            published = set(
                session.scalars(
                    select(AuditEvent.after_revision).where(
                        AuditEvent.action == "profile.publish",
                        AuditEvent.target == f"profile:{LABEL}",
                    )
                )
            )
            ours = by_type[LABEL]
            assert published == set(range(2, len(ours) + 1)), (published, len(ours))
            return len(ours), newest_set
    finally:
        engine.dispose()


def _check_acknowledged(base: str, acks: list[Ack]) -> None:
    with httpx.Client(base_url=base, timeout=10) as http:
        for ack in acks:
            got = http.get(f"{PROFILE}/revisions/{ack.revision}")
            assert got.status_code == 200, (ack.revision, got.text[:300])
            body = got.json()
            assert body["document"] == ack.document, ack.revision
            assert body["content_sha256"] == ack.sha256, ack.revision


@pytest.fixture
def crash_database(empty_database_url: str) -> str:
    prepare_database(empty_database_url)
    return empty_database_url


def test_sigkill_during_publishes_loses_no_acknowledged_revision(
    crash_database: str, tmp_path: Path, record_property: Any
) -> None:
    print(f"CRASH_SEED={SEED}")  # noqa: T201
    rng = random.Random(SEED)
    url = crash_database
    key = cli_key(url, "write", "crash-writer")
    acknowledged: list[Ack] = []
    server = Server(url, tmp_path / "server.log").start()
    try:
        for round_ in range(ROUNDS):
            writer = Writer(server.base, key, f"round {round_}")
            thread = threading.Thread(target=writer.run, daemon=True)
            thread.start()
            assert writer.first_ack.wait(30), "no publish was acknowledged"
            time.sleep(rng.uniform(*KILL_AFTER_SECONDS))
            server.kill()
            thread.join(15)
            assert not thread.is_alive(), "the writer hung on a killed server"
            assert writer.failure is None, writer.failure
            assert writer.acks, "nothing acknowledged before the kill"
            acknowledged += writer.acks

            server = Server(url, tmp_path / "server.log").start()
            revisions, set_revision = _check_database(url)
            _check_acknowledged(server.base, acknowledged)
            # The newest revision is the last acknowledged one, or the one in flight at the kill.
            assert revisions - acknowledged[-1].revision in (0, 1)
            ready = httpx.get(f"{server.base}/readyz", timeout=10).json()
            assert f"set revision {set_revision})" in ready["checks"]["profiles"], ready
    finally:
        server.stop()
    record_property("acknowledged_revisions", len(acknowledged))
    print(f"{ROUNDS} kills, {len(acknowledged)} acknowledged revisions, none lost")  # noqa: T201
