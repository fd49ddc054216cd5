"""Hints that reach no action, and hint names that no statement of the action's profile takes.

Both used to be ignored without a word: a stage name mistyped in a hint left a statement as wide
as it was without the hint, and nothing said why.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from app.engine.compute import ACTION_ROLE_KEY, ANY_PIPELINE, HintTarget
from app.engine.findings import Finding, FindingType
from app.engine.json_pointer import pointer_join
from app.engine.pipeline.model import Action, Pipeline
from app.engine.profiles import Profile, ProfileSet


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
        findings.extend(_unknown_names(matched, profiles, values, target, given, where))
    return findings


def _hint_names(profile: Profile) -> set[str]:
    """The hints a profile's statements declare or use."""
    names: set[str] = set()
    for statement in profile.statements:
        names.update(statement.hints)
        for template in statement.resources:
            names.update(template.hint_names)
        for block in (statement.condition or {}).values():
            for key, value_templates in block.items():
                names.update(key.hint_names)
                for value in value_templates:
                    names.update(value.hint_names)
    return names


def _unknown_names(
    matched: Sequence[Action],
    profiles: ProfileSet,
    values: Mapping[str, Sequence[str]],
    target: HintTarget,
    given: GivenHints,
    where: str,
) -> list[Finding]:
    # A hint is used when any action it reaches renders a profile that takes it: compute renders
    # an action's own profile, and the action-role profile beside it when the action names a
    # role, and nothing for an action whose type has no profile (NO_PROFILE says so).
    taken: set[str] = set()
    labels: list[str] = []
    for action in matched:
        profile = profiles.get(action.type)
        if profile is None:
            continue
        labels.append(action.type.label)
        taken |= _hint_names(profile)
        role_profile = profiles.get(ACTION_ROLE_KEY) if action.role_arn else None
        if role_profile is not None:
            taken |= _hint_names(role_profile)
    if not labels:
        return []
    types = " or ".join(f"`{label}`" for label in sorted(set(labels)))
    takes = sorted(taken)
    return [
        Finding(
            code="HINT_UNKNOWN",
            finding_type=FindingType.WARNING,
            message=f"`{name}` is not a hint of {types} (the profile takes "
            + (", ".join(f"`{t}`" for t in takes) if takes else "none")
            + "); it was not used",
            path=given.pointers.get((target, name), pointer_join(where, "hints", name)),
            detail={"hint": name, "action_types": sorted(set(labels)), "takes": takes},
        )
        for name in sorted(values)
        if name not in taken
    ]
