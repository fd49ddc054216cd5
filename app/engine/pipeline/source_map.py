"""Where the places of a pipeline document rendered from a template are in the template.

A template's pipeline is rendered as the get-pipeline document the API takes, and everything
downstream reads that document. Each place rendered is recorded with the template's own pointer
to it (`stages/0/actions/1/roleArn` is CloudFormation's `Stages/0/Actions/1/RoleArn`, Terraform's
`stage/0/action/1/role_arn`); a pointer past the places recorded (a field the template leaves
out) keeps its nearest recorded place and spells the rest as the template would. Lines are looked
up in the template on demand, for the findings that have none.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace

from app.engine.errors import PipelineParseError
from app.engine.findings import Finding
from app.engine.json_pointer import pointer_join, pointer_tokens
from app.engine.pipeline.model import Pipeline
from app.engine.pipeline.unknown_fields import PIPELINE_FIELDS

# Terraform spells these lists as repeated blocks named in the singular.
_TERRAFORM_NAMES = {
    "stages": "stage",
    "actions": "action",
    "artifactStores": "artifact_store",
    "conditions": "condition",
    "rules": "rule",
    "variables": "variable",
    "triggers": "trigger",
}
_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")


def cloudformation_token(token: str) -> str:
    return token[:1].upper() + token[1:]


def terraform_token(token: str) -> str:
    return _TERRAFORM_NAMES.get(token) or _CAMEL.sub(r"_\1", token).lower()


class SourceMap:
    """Rendered JSON pointer -> the template's pointer, and the template's lines."""

    def __init__(
        self,
        mount: str,
        source: str,
        spell: Callable[[str], str],
        line: Callable[[str], int | None],
    ) -> None:
        """`mount` is the rendered pipeline's pointer, `source` its place in the template. The
        template's own pointers start there too, so below it only the API's pipeline fields are
        taken for rendered places."""
        self._places = {
            pointer_join(mount, f): pointer_join(source, spell(f)) for f in PIPELINE_FIELDS
        }
        self._places[mount] = source
        self._mount = mount
        self._spell = spell
        self._line = line

    def update(self, places: Mapping[str, str]) -> None:
        self._places.update(places)

    def source(self, pointer: str) -> str | None:
        """The template's pointer for a rendered one; None when it is not under this map."""
        tokens = pointer.split("/")
        for cut in range(len(tokens), 0, -1):
            head = "/".join(tokens[:cut])
            found = self._places.get(head)
            if found is None:
                continue
            if head == self._mount and cut < len(tokens):
                return None  # the template's own pointer
            rest = pointer_tokens("/" + "/".join(tokens[cut:])) if cut < len(tokens) else []
            return pointer_join(found, *self._respell(tokens[cut - 1], rest))
        return None

    def _respell(self, before: str, tokens: Sequence[str]) -> list[str]:
        out: list[str] = []
        for token in tokens:
            if before == "configuration":
                return out + list(tokens[len(out) :])  # configuration keys are the template's
            out.append(token if token.isdigit() else self._spell(token))
            before = token
        return out

    def located(self, finding: Finding) -> Finding:
        path = self.source(finding.path)
        if path is None:
            return finding
        return replace(finding, path=path, line=finding.line or self._line(path))

    def raised(self, error: PipelineParseError) -> PipelineParseError:
        return PipelineParseError(error.message, self.source(error.pointer) or error.pointer)


def _maps(pipelines: Sequence[Pipeline]) -> dict[str, SourceMap]:
    return {p.pointer: p.source_map for p in pipelines if p.source_map is not None}


def _map_of(pointer: str, maps: Mapping[str, SourceMap]) -> SourceMap | None:
    tokens = pointer.split("/")
    for cut in range(len(tokens), 0, -1):
        if (found := maps.get("/".join(tokens[:cut]))) is not None:
            return found
    return None


def in_template_places(findings: Iterable[Finding], pipelines: Sequence[Pipeline]) -> list[Finding]:
    """The findings, those about a template's pipeline at the template's places and lines."""
    maps = _maps(pipelines)
    if not maps:
        return list(findings)
    return [m.located(f) if (m := _map_of(f.path, maps)) else f for f in findings]


def template_places(pipelines: Sequence[Pipeline]) -> Callable[[str], str] | None:
    """A pointer into a pipeline's document at the template's place, for pipelines rendered from
    templates (one place asked again is looked up once); None when none is."""
    maps = _maps(pipelines)
    if not maps:
        return None
    known: dict[str, str] = {}

    def place(pointer: str) -> str:
        if (found := known.get(pointer)) is None:
            source_map = _map_of(pointer, maps)
            found = (source_map.source(pointer) if source_map else None) or pointer
            known[pointer] = found
        return found

    return place


def template_pointer(pointer: str, pipelines: Sequence[Pipeline]) -> str:
    """A pointer into a pipeline's document, at the template's place when it has one."""
    place = template_places(pipelines)
    return place(pointer) if place else pointer
