"""Hints that reach no action, and hint names that no statement of the action's profile takes.

Both used to be ignored without a word: a stage name mistyped in a hint left a statement as wide
as it was without the hint, and nothing said why.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from app.engine.compute import ACTION_ROLE_KEY, ANY_PIPELINE, HintTarget
from app.engine.findings import Finding, FindingType, pointer_join
from app.engine.pipeline.model import Action, Pipeline
from app.engine.profiles import ProfileSet


@dataclass(frozen=True)
class GivenHints:
    """Hints as a request gives them: values by action, and where each was given."""

    values: Mapping[HintTarget, Mapping[str, Sequence[str]]] = field(default_factory=dict)
    # (target, None) -> the pointer of the first hint for that action; (target, name) -> the
    # pointer of the hint whose value for `name` is used (the last to give it).
    pointers: Mapping[tuple[HintTarget, str | None], str] = field(default_factory=dict)


def hint_findings(
    pipelines: Sequence[Pipeline], profiles: ProfileSet, given: GivenHints
) -> list[Finding]:
    if not given.values:
        return []
    by_place: dict[tuple[str, str], list[tuple[str, Action]]] = {}
    for pipeline in pipelines:
        for stage, action in pipeline.actions():
            by_place.setdefault((stage.name, action.name), []).append((pipeline.name, action))
    findings: list[Finding] = []
    for target, values in given.values.items():
        where = given.pointers.get((target, None), "/hints")
        matched = [
            action
            for pipeline_name, action in by_place.get((target.stage, target.action), [])
            if target.pipeline in (ANY_PIPELINE, pipeline_name)
        ]
        if not matched:
            scope = (
                "any pipeline"
                if target.pipeline == ANY_PIPELINE
                else f"the pipeline `{target.pipeline}`"
            )
            findings.append(
                Finding(
                    code="HINT_UNMATCHED",
                    finding_type=FindingType.WARNING,
                    message=f"no action `{target.action}` in a stage `{target.stage}` of {scope}; "
                    "the hint was not used",
                    path=where,
                    detail={"stage": target.stage, "action": target.action},
                )
            )
            continue
        for action in matched:
            findings.extend(_unknown_names(action, profiles, values, target, given, where))
    return findings


def _unknown_names(
    action: Action,
    profiles: ProfileSet,
    values: Mapping[str, Sequence[str]],
    target: HintTarget,
    given: GivenHints,
    where: str,
) -> list[Finding]:
    keys = [action.type, ACTION_ROLE_KEY] if action.role_arn else [action.type]
    rendered = [p for p in (profiles.get(k) for k in keys) if p is not None]
    if not rendered:
        return []  # NO_PROFILE says so already
    taken = sorted({name for p in rendered for t in p.statements for name in t.hints})
    label = action.type.label
    return [
        Finding(
            code="HINT_UNKNOWN",
            finding_type=FindingType.WARNING,
            message=f"`{name}` is not a hint of `{label}` (its profile takes "
            + (", ".join(f"`{t}`" for t in taken) if taken else "none")
            + "); it was not used",
            path=given.pointers.get((target, name), pointer_join(where, "hints", name)),
            detail={"hint": name, "action_type": label, "takes": taken},
        )
        for name in sorted(values)
        if name not in taken
    ]
