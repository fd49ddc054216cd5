"""Load the shipped profiles and baselines into the database, idempotently.

Every file is checked against the profile schema, a file that extends another resolved with
that file (app.engine.profile_extends). A profile file whose canonical content differs
from its newest stored revision is also checked against the IAM catalogue in use (every action
known, every grant that needs a reason stating it) and becomes a new revision; all revisions
published by one seed run share one profile-set revision. A profile whose newest revision was
published through the API (not by the seed) is left alone: when its file is unchanged since the
last seed that is the operator's newer revision, and when the file changed too the two conflict
and an operator decides (the report names them).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from app.engine.iam.catalog import Catalog
from app.service.audit import Actor, record
from app.service.catalog_revisions import catalog_in_use
from app.service.profile_checks import check_grants
from app.service.profile_files import DataFile, baseline_files, compiled_files, profile_files
from app.store.baseline_repository import BaselineRepository, StoredBaseline
from app.store.profile_repository import ProfileRepository

SEED_ACTOR = "seed"


@dataclass
class SeedReport:
    profiles_published: list[str] = field(default_factory=list)
    profiles_unchanged: int = 0
    profiles_kept: list[str] = field(default_factory=list)
    profiles_conflicting: list[str] = field(default_factory=list)
    baselines_changed: list[str] = field(default_factory=list)
    set_revision: int = 0


def seed(session: Session) -> SeedReport:
    report = SeedReport()
    repo = ProfileRepository(session)
    repo.lock_for_write()  # two replicas starting at once must not both publish a file
    actor = Actor.command(SEED_ACTOR)
    set_revision: int | None = None
    catalog: Catalog | None = None
    # Every file is checked with the files it extends (or is extended by), before any is stored.
    files, compiled = compiled_files(profile_files())
    if compiled.problems:
        raise next(iter(compiled.problems.values()))
    for key, data in files.items():
        document = compiled.documents[key]
        profile = compiled.profiles[key]
        latest = repo.latest(profile.key)
        if latest is not None and latest.content_sha256 == data.sha256:
            report.profiles_unchanged += 1
            continue
        if latest is not None and latest.published_by != SEED_ACTOR:
            seeded = repo.latest(profile.key, published_by=SEED_ACTOR)
            if seeded is None or seeded.content_sha256 == data.sha256:
                report.profiles_kept.append(profile.key.label)
            else:
                report.profiles_conflicting.append(profile.key.label)
            continue
        catalog = catalog or catalog_in_use(session)
        # The seed is the operator's command: reasoned grants stand as with an `admin` key.
        check_grants(
            document,
            catalog,
            reasoned_grants_allowed=True,
            pointer=data.path.name,
            written=data.document,
        )
        if set_revision is None:
            set_revision = repo.new_set_revision("seed from app/data/profiles")
        stored = repo.publish(
            profile.key,
            document=data.document,
            title=profile.title,
            effective_date=profile.effective_date,
            supported_since=profile.supported_since,
            content_sha256=data.sha256,
            set_revision=set_revision,
            published_by=SEED_ACTOR,
        )
        record(
            session,
            actor,
            "profile.seed",
            f"profile:{profile.key.label}",
            before=latest.revision if latest else None,
            after=stored.revision,
            detail={"set_revision": set_revision, "file": data.path.name},
        )
        report.profiles_published.append(profile.key.label)
    baselines = BaselineRepository(session)
    for data in baseline_files():
        if baselines.upsert(_baseline(data)):
            report.baselines_changed.append(str(data.document["name"]))
    report.set_revision = repo.current_set_revision()
    return report


def _baseline(data: DataFile) -> StoredBaseline:
    doc = data.document
    end = doc.get("effective_to")
    return StoredBaseline(
        name=str(doc["name"]),
        title=str(doc["title"]),
        effective_from=dt.date.fromisoformat(str(doc["effective_from"])),
        effective_to=dt.date.fromisoformat(str(end)) if end else None,
        description=str(doc.get("description", "")),
        source=dict(doc["source"]),
        document=dict(doc["document"]),
        content_sha256=data.sha256,
    )
