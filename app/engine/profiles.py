"""Permission profiles: statement templates with placeholders, triggers, hints and citations.

A profile document (one YAML file of app/data/profiles, or a revision stored in the database) is
checked and compiled here once; compute then renders it for every action of its type.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from app.engine.errors import ProfileDefinitionError
from app.engine.findings import pointer_join
from app.engine.pipeline.model import ActionTypeKey
from app.engine.placeholders import Template, parse_template

BEHAVIOURS = frozenset({"CREATE", "FAST", "LATE", "HANG", "DEGRADED", "TRANSIENT"})
EVIDENCE = frozenset({"V", "P", "D", "I"})
_SID = re.compile(r"^[A-Za-z0-9]+$")
_ACTION = re.compile(r"^[A-Za-z0-9-]+:[A-Za-z0-9*?]+$")


@dataclass(frozen=True)
class Citation:
    id: str
    title: str
    url: str
    as_of: str | None = None


@dataclass(frozen=True)
class Impact:
    behaviour: str
    message: str
    evidence: str


@dataclass(frozen=True)
class HintSpec:
    name: str
    description: str
    fallback: Template


@dataclass(frozen=True)
class StatementTemplate:
    id: str
    description: str
    actions: tuple[str, ...]
    resources: tuple[Template, ...]
    condition: Mapping[str, Mapping[Template, tuple[Template, ...]]] | None
    when: Mapping[str, Any] | None
    hints: Mapping[str, HintSpec]
    source: Citation
    inferred: bool
    inferred_note: str | None
    since: dt.date | None
    impact: Impact | None
    # What works without the permission, when AWS documents it as optional.
    optional: str | None = None
    # Another policy that may grant it instead of the role's own (a KMS key policy, say).
    alternative: str | None = None
    # What the statement's condition takes for granted (the bucket is in the pipeline's account).
    assumes: str | None = None
    # (lower-case, as written) for each action: merging compares action names without case.
    action_names: tuple[tuple[str, str], ...] = field(init=False, repr=False, compare=False)
    action_set: frozenset[str] = field(init=False, repr=False, compare=False)  # lower-cased

    def __post_init__(self) -> None:
        object.__setattr__(self, "action_names", tuple((a.lower(), a) for a in self.actions))
        object.__setattr__(self, "action_set", frozenset(a.lower() for a in self.actions))


@dataclass(frozen=True)
class Pitfall:
    text: str
    source: Citation | None


@dataclass(frozen=True)
class Profile:
    key: ActionTypeKey
    revision: int
    title: str
    effective_date: dt.date
    supported_since: dt.date | None
    statements: tuple[StatementTemplate, ...]
    notes: tuple[str, ...]
    pitfalls: tuple[Pitfall, ...]
    sources: Mapping[str, Citation]


@dataclass(frozen=True)
class ProfileSet:
    """Every profile in force, keyed by action type, as of one profile-set revision."""

    revision: int
    profiles: Mapping[ActionTypeKey, Profile]

    def get(self, key: ActionTypeKey) -> Profile | None:
        return self.profiles.get(key)


def action_type_key(doc: Mapping[str, Any], pointer: str = "") -> ActionTypeKey:
    raw = doc.get("action_type")
    if not isinstance(raw, Mapping):
        raise ProfileDefinitionError("`action_type` must be an object", pointer)
    values = []
    for part in ("category", "owner", "provider", "version"):
        value = raw.get(part)
        if not isinstance(value, str | int) or isinstance(value, bool) or str(value) == "":
            raise ProfileDefinitionError(
                f"`action_type.{part}` must be a non-empty string",
                pointer_join(pointer, "action_type", part),
            )
        values.append(str(value))
    return ActionTypeKey(*values)


def parse_profile(doc: Mapping[str, Any], revision: int, pointer: str = "") -> Profile:
    """Check a profile document against the schema and compile its templates."""
    if not isinstance(doc, Mapping):
        raise ProfileDefinitionError("a profile must be an object", pointer)
    key = action_type_key(doc, pointer)
    sources = _parse_sources(doc.get("sources"), pointer_join(pointer, "sources"))
    raw_statements = doc.get("statements")
    if not isinstance(raw_statements, list):
        raise ProfileDefinitionError(
            "`statements` must be a list", pointer_join(pointer, "statements")
        )
    statements = tuple(
        _parse_statement(s, sources, pointer_join(pointer, "statements", i))
        for i, s in enumerate(raw_statements)
    )
    ids = [s.id for s in statements]
    if len(ids) != len(set(ids)):
        raise ProfileDefinitionError(
            "statement ids must be unique", pointer_join(pointer, "statements")
        )
    return Profile(
        key=key,
        revision=revision,
        title=_str(doc, "title", pointer),
        effective_date=_date(doc.get("effective_date"), pointer_join(pointer, "effective_date")),
        supported_since=_optional_date(
            doc.get("supported_since"), pointer_join(pointer, "supported_since")
        ),
        statements=statements,
        notes=tuple(str(n) for n in doc.get("notes") or ()),
        pitfalls=tuple(
            _parse_pitfall(p, sources, pointer_join(pointer, "pitfalls", i))
            for i, p in enumerate(doc.get("pitfalls") or ())
        ),
        sources=sources,
    )


def _str(doc: Mapping[str, Any], key: str, pointer: str) -> str:
    value = doc.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ProfileDefinitionError(
            f"`{key}` must be a non-empty string", pointer_join(pointer, key)
        )
    return value


def _date(value: Any, pointer: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise ProfileDefinitionError("must be a date (YYYY-MM-DD)", pointer)


def _optional_date(value: Any, pointer: str) -> dt.date | None:
    return None if value is None else _date(value, pointer)


def _parse_sources(raw: Any, pointer: str) -> dict[str, Citation]:
    if not isinstance(raw, Mapping) or not raw:
        raise ProfileDefinitionError("`sources` must map ids to citations", pointer)
    out = {}
    for source_id, body in raw.items():
        where = pointer_join(pointer, str(source_id))
        if not isinstance(body, Mapping):
            raise ProfileDefinitionError("a source must be an object", where)
        as_of = body.get("as_of")
        out[str(source_id)] = Citation(
            id=str(source_id),
            title=_str(body, "title", where),
            url=_str(body, "url", where),
            as_of=str(as_of) if as_of is not None else None,
        )
    return out


def _cite(raw: Any, sources: Mapping[str, Citation], pointer: str) -> Citation:
    if not isinstance(raw, str) or raw not in sources:
        raise ProfileDefinitionError("`source` must name an entry of `sources`", pointer)
    return sources[raw]


def _parse_pitfall(raw: Any, sources: Mapping[str, Citation], pointer: str) -> Pitfall:
    if isinstance(raw, str):
        return Pitfall(text=raw, source=None)
    if not isinstance(raw, Mapping):
        raise ProfileDefinitionError("a pitfall must be text or an object", pointer)
    source = raw.get("source")
    return Pitfall(
        text=_str(raw, "text", pointer),
        source=_cite(source, sources, pointer_join(pointer, "source")) if source else None,
    )


def _string_list(raw: Any, pointer: str) -> list[str]:
    if isinstance(raw, str):
        return [raw]
    if not isinstance(raw, list) or not raw or not all(isinstance(x, str) for x in raw):
        raise ProfileDefinitionError("must be a string or a non-empty list of strings", pointer)
    return list(raw)


def _parse_statement(raw: Any, sources: Mapping[str, Citation], pointer: str) -> StatementTemplate:
    if not isinstance(raw, Mapping):
        raise ProfileDefinitionError("a statement must be an object", pointer)
    sid = _str(raw, "id", pointer)
    if not _SID.match(sid):
        raise ProfileDefinitionError(
            "`id` must be letters and digits only", pointer_join(pointer, "id")
        )
    actions = _string_list(raw.get("actions"), pointer_join(pointer, "actions"))
    for i, action in enumerate(actions):
        if not _ACTION.match(action):
            raise ProfileDefinitionError(
                f"`{action}` is not an IAM action name", pointer_join(pointer, "actions", i)
            )
    resources = tuple(
        parse_template(r, pointer_join(pointer, "resources", i))
        for i, r in enumerate(
            _string_list(raw.get("resources"), pointer_join(pointer, "resources"))
        )
    )
    condition = _parse_condition(raw.get("condition"), pointer_join(pointer, "condition"))
    when = raw.get("when")
    if when is not None:
        validate_trigger(when, pointer_join(pointer, "when"))
    hints = _parse_hints(raw.get("hints"), pointer_join(pointer, "hints"))
    for template in resources:
        for hint in template.hint_names:
            if hint not in hints:
                raise ProfileDefinitionError(
                    f"hint `{hint}` is used but not declared in `hints`",
                    pointer_join(pointer, "hints"),
                )
    inferred = bool(raw.get("inferred", False))
    note = raw.get("inferred_note")
    if inferred and not (isinstance(note, str) and note.strip()):
        raise ProfileDefinitionError(
            "an inferred statement needs `inferred_note`", pointer_join(pointer, "inferred_note")
        )
    return StatementTemplate(
        id=sid,
        description=_str(raw, "description", pointer),
        actions=tuple(sorted(set(actions), key=str.lower)),
        resources=resources,
        condition=condition,
        when=when,
        hints=hints,
        source=_cite(raw.get("source"), sources, pointer_join(pointer, "source")),
        inferred=inferred,
        inferred_note=note if isinstance(note, str) else None,
        since=_optional_date(raw.get("since"), pointer_join(pointer, "since")),
        impact=_parse_impact(raw.get("impact"), pointer_join(pointer, "impact")),
        optional=_optional_text(raw, "optional", pointer),
        alternative=_optional_text(raw, "alternative", pointer),
        assumes=_optional_text(raw, "assumes", pointer),
    )


def _optional_text(raw: Mapping[str, Any], key: str, pointer: str) -> str | None:
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ProfileDefinitionError(
            f"`{key}` must be a non-empty string", pointer_join(pointer, key)
        )
    return value


def _parse_condition(
    raw: Any, pointer: str
) -> Mapping[str, Mapping[Template, tuple[Template, ...]]] | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping) or not raw:
        raise ProfileDefinitionError("`condition` must be an object of operators", pointer)
    out: dict[str, dict[Template, tuple[Template, ...]]] = {}
    for operator, block in raw.items():
        where = pointer_join(pointer, str(operator))
        if not isinstance(block, Mapping) or not block:
            raise ProfileDefinitionError("a condition operator must map keys to values", where)
        out[str(operator)] = {
            parse_template(str(k), pointer_join(where, str(k))): tuple(
                parse_template(v, pointer_join(where, str(k)))
                for v in _string_list(values, pointer_join(where, str(k)))
            )
            for k, values in block.items()
        }
    return out


def _parse_hints(raw: Any, pointer: str) -> dict[str, HintSpec]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise ProfileDefinitionError("`hints` must be an object", pointer)
    out = {}
    for name, body in raw.items():
        where = pointer_join(pointer, str(name))
        if not isinstance(body, Mapping):
            raise ProfileDefinitionError("a hint must be an object", where)
        out[str(name)] = HintSpec(
            name=str(name),
            description=_str(body, "description", where),
            fallback=parse_template(_str(body, "fallback", where), pointer_join(where, "fallback")),
        )
    return out


def _parse_impact(raw: Any, pointer: str) -> Impact | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise ProfileDefinitionError("`impact` must be an object", pointer)
    behaviour = str(raw.get("behaviour", "")).upper()
    if behaviour not in BEHAVIOURS:
        raise ProfileDefinitionError(
            f"`behaviour` must be one of {sorted(BEHAVIOURS)}", pointer_join(pointer, "behaviour")
        )
    evidence = str(raw.get("evidence", "I")).upper()
    if evidence not in EVIDENCE:
        raise ProfileDefinitionError(
            f"`evidence` must be one of {sorted(EVIDENCE)}", pointer_join(pointer, "evidence")
        )
    return Impact(behaviour=behaviour, message=_str(raw, "message", pointer), evidence=evidence)


_TRIGGER_KEYS = frozenset({"config", "equals", "in", "present", "matches"})
_ACTION_TYPE_PARTS = frozenset({"category", "owner", "provider", "version"})


def validate_trigger(raw: Any, pointer: str) -> None:
    if not isinstance(raw, Mapping) or not raw:
        raise ProfileDefinitionError("a trigger must be an object", pointer)
    if "all" in raw or "any" in raw:
        key = "all" if "all" in raw else "any"
        items = raw[key]
        if not isinstance(items, list) or not items:
            raise ProfileDefinitionError(f"`{key}` must be a non-empty list", pointer)
        for i, item in enumerate(items):
            validate_trigger(item, pointer_join(pointer, key, i))
        return
    if "not" in raw:
        validate_trigger(raw["not"], pointer_join(pointer, "not"))
        return
    if "variable_type" in raw:
        if not isinstance(raw["variable_type"], str):
            raise ProfileDefinitionError("`variable_type` must be a string", pointer)
        return
    if "pipeline_has" in raw:
        wanted = raw["pipeline_has"]
        if (
            len(raw) != 1
            or not isinstance(wanted, Mapping)
            or not wanted
            or not set(wanted) <= _ACTION_TYPE_PARTS
            or not all(isinstance(v, str) for v in wanted.values())
        ):
            raise ProfileDefinitionError(
                "`pipeline_has` names action type parts (category, owner, provider, version)",
                pointer_join(pointer, "pipeline_has"),
            )
        return
    if not set(raw) <= _TRIGGER_KEYS or not isinstance(raw.get("config"), str):
        raise ProfileDefinitionError(
            "a trigger is {config, equals|in|present|matches}, {variable_type}, "
            "{pipeline_has}, {all}, {any} or {not}",
            pointer,
        )
    tests = [k for k in ("equals", "in", "present", "matches") if k in raw]
    if len(tests) != 1:
        raise ProfileDefinitionError(
            "a config trigger needs exactly one of equals/in/present/matches", pointer
        )
    if "in" in raw and not isinstance(raw["in"], list):
        raise ProfileDefinitionError("`in` must be a list", pointer_join(pointer, "in"))


def profiles_by_key(profiles: Sequence[Profile]) -> dict[ActionTypeKey, Profile]:
    return {p.key: p for p in profiles}
