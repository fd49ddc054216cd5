"""What changed between two revisions of a profile, as written: statements by id, notes, sources,
fields (the `structure` and `extends` of the documents among them, whole)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.store.profile_repository import StoredRevision

_FIELDS = ("title", "effective_date", "supported_since", "status")
_DOCUMENT_FIELDS = ("extends", "structure")


@dataclass(frozen=True)
class Change:
    before: Any
    after: Any


@dataclass(frozen=True)
class StatementChange:
    id: str
    fields: dict[str, Change]
    actions_added: list[str]
    actions_removed: list[str]


@dataclass(frozen=True)
class ProfileDiff:
    from_revision: int
    to_revision: int
    fields: dict[str, Change] = field(default_factory=dict)
    statements_added: list[dict[str, Any]] = field(default_factory=list)
    statements_removed: list[dict[str, Any]] = field(default_factory=list)
    statements_changed: list[StatementChange] = field(default_factory=list)
    notes_added: list[str] = field(default_factory=list)
    notes_removed: list[str] = field(default_factory=list)
    sources_added: dict[str, Any] = field(default_factory=dict)
    sources_removed: dict[str, Any] = field(default_factory=dict)
    sources_changed: dict[str, Change] = field(default_factory=dict)
    pitfalls_added: list[Any] = field(default_factory=list)
    pitfalls_removed: list[Any] = field(default_factory=list)


def _by_id(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {str(s["id"]): s for s in document.get("statements") or []}


def _lower_set(values: Any) -> dict[str, str]:
    items = [values] if isinstance(values, str) else list(values or [])
    return {str(v).lower(): str(v) for v in items}


def _statement_change(sid: str, old: dict[str, Any], new: dict[str, Any]) -> StatementChange | None:
    fields = {
        k: Change(old.get(k), new.get(k))
        for k in sorted(set(old) | set(new))
        if k != "id" and old.get(k) != new.get(k)
    }
    if not fields:
        return None
    before, after = _lower_set(old.get("actions")), _lower_set(new.get("actions"))
    return StatementChange(
        id=sid,
        fields=fields,
        actions_added=sorted(after[k] for k in after.keys() - before.keys()),
        actions_removed=sorted(before[k] for k in before.keys() - after.keys()),
    )


def _in_order(values: Any) -> list[Any]:
    return list(values or [])


def diff_revisions(old: StoredRevision, new: StoredRevision) -> ProfileDiff:
    a, b = old.document, new.document
    before, after = _by_id(a), _by_id(b)
    changed = [
        c
        for sid in sorted(before.keys() & after.keys())
        if (c := _statement_change(sid, before[sid], after[sid])) is not None
    ]
    old_sources, new_sources = dict(a.get("sources") or {}), dict(b.get("sources") or {})
    old_notes, new_notes = _in_order(a.get("notes")), _in_order(b.get("notes"))
    old_pitfalls, new_pitfalls = _in_order(a.get("pitfalls")), _in_order(b.get("pitfalls"))
    return ProfileDiff(
        from_revision=old.revision,
        to_revision=new.revision,
        fields={
            **{
                f: Change(str(x) if x is not None else None, str(y) if y is not None else None)
                for f in _FIELDS
                if (x := getattr(old, f)) != (y := getattr(new, f))
            },
            **{f: Change(x, y) for f in _DOCUMENT_FIELDS if (x := a.get(f)) != (y := b.get(f))},
        },
        statements_added=[after[s] for s in sorted(after.keys() - before.keys())],
        statements_removed=[before[s] for s in sorted(before.keys() - after.keys())],
        statements_changed=changed,
        notes_added=[n for n in new_notes if n not in old_notes],
        notes_removed=[n for n in old_notes if n not in new_notes],
        sources_added={k: new_sources[k] for k in sorted(new_sources.keys() - old_sources.keys())},
        sources_removed={
            k: old_sources[k] for k in sorted(old_sources.keys() - new_sources.keys())
        },
        sources_changed={
            k: Change(old_sources[k], new_sources[k])
            for k in sorted(old_sources.keys() & new_sources.keys())
            if old_sources[k] != new_sources[k]
        },
        pitfalls_added=[p for p in new_pitfalls if p not in old_pitfalls],
        pitfalls_removed=[p for p in old_pitfalls if p not in new_pitfalls],
    )
