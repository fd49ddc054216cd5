"""Findings about a template's pipeline, located in the template's own spelling.

Checks and compute name a pipeline's fields as the API does (`roleArn`, `outputArtifacts`,
`configuration`), appended to the pointers the template parsers give the pipeline, its stages,
actions, rules and artifact stores (which are in the template's spelling already). A pointer must
name a place of the document it points into, so the part after the nearest such pointer is
spelled again: CloudFormation's properties are `RoleArn`, `OutputArtifacts`, `Configuration`;
Terraform's arguments and blocks `role_arn`, `output_artifacts`, `stage`, with an action's type
parts on the action itself. Configuration keys (and what follows them) are the template's own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import replace

from app.engine.findings import Finding
from app.engine.json_pointer import pointer_join, pointer_tokens
from app.engine.pipeline.model import Pipeline

CLOUDFORMATION = "cloudformation"
TERRAFORM = "terraform"

# Fields whose keys below are the template's own: configuration keys, variable names.
_VERBATIM_BELOW = frozenset({"configuration"})
# Terraform spells some lists as repeated blocks named in the singular.
_TERRAFORM_NAMES = {
    "stages": "stage",
    "actions": "action",
    "artifactStores": "artifact_store",
    "conditions": "condition",
    "rules": "rule",
    "variables": "variable",
    "triggers": "trigger",
}
_TERRAFORM_TYPE_FIELDS: dict[str, tuple[str, ...]] = {
    "actionTypeId": (),
    "ruleTypeId": ("rule_type_id", "0"),
}
_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")


def _entities(pipeline: Pipeline) -> Iterable[str]:
    yield pipeline.pointer
    for store in pipeline.artifact_stores:
        yield store.pointer
    for stage in pipeline.stages:
        yield stage.pointer
        for action in stage.actions:
            yield action.pointer
        for rule in stage.rules():
            yield rule.pointer


def _respell(tokens: Sequence[str], style: str) -> list[str]:
    out: list[str] = []
    for i, token in enumerate(tokens):
        if i and tokens[i - 1].lower() in _VERBATIM_BELOW:
            out.extend(tokens[i:])  # a configuration key and what is below it
            break
        if token.isdigit():
            out.append(token)
        elif style == CLOUDFORMATION:
            out.append(token[:1].upper() + token[1:])
        elif style == TERRAFORM and token in _TERRAFORM_TYPE_FIELDS:
            # Terraform gives an action its category, owner, provider and version directly; a
            # rule has a `rule_type_id` block.
            out.extend(_TERRAFORM_TYPE_FIELDS[token])
        else:
            out.append(_TERRAFORM_NAMES.get(token) or _CAMEL.sub(r"_\1", token).lower())
    return out


def in_source_spelling(findings: Iterable[Finding], pipelines: Sequence[Pipeline]) -> list[Finding]:
    """The findings, those under a template's pipeline pointed at in the template's spelling."""
    entities: list[tuple[str, str]] = sorted(
        (
            (pointer, pipeline.source_format)
            for pipeline in pipelines
            if pipeline.source_format in (CLOUDFORMATION, TERRAFORM)
            for pointer in _entities(pipeline)
        ),
        key=lambda e: len(e[0]),
        reverse=True,
    )
    if not entities:
        return list(findings)
    return [_located(finding, entities) for finding in findings]


def _located(finding: Finding, entities: Sequence[tuple[str, str]]) -> Finding:
    path = finding.path
    for entity, style in entities:
        if path.startswith(entity + "/"):
            rest = pointer_tokens(path[len(entity) :])
            return replace(finding, path=pointer_join(entity, *_respell(rest, style)))
    return finding
