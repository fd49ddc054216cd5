"""A template's resolved values written as the get-pipeline document, each place recorded.

Both template readers resolve a pipeline's properties to plain values and hand them here with a
`Spelling` of their keys; the document is then read by `api_json` like any get-pipeline document.
`places` collects rendered pointer -> template pointer for the source map.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from app.engine.findings import Finding
from app.engine.json_pointer import pointer_join
from app.engine.pipeline.template_values import (
    configuration_strings,
    is_unknown,
    run_order,
    scalar_text,
    widen,
)

Places = dict[str, str]


@dataclass(frozen=True)
class Spelling:
    """A template's key -> the API's name, and whether the template holds that member as a
    list of one block (Terraform's `before_entry { ... }`)."""

    name: Callable[[str], str]
    single_blocks: frozenset[str] = frozenset()


@dataclass
class Writer:
    spelling: Spelling
    findings: list[Finding]
    line: Callable[[str], int | None]

    def value(self, value: Any, rendered: str, source: str, places: Places) -> Any:
        """`value` in the API's spelling (configuration keys as written), widened."""
        places[rendered] = source
        if isinstance(value, Mapping):
            out: dict[str, Any] = {}
            for key, child in value.items():
                if child == "":
                    continue  # as the readers of templates always took it: not given
                name = self.spelling.name(str(key))
                out[name] = self.member(
                    name, child, rendered, pointer_join(source, str(key)), places
                )
            return out
        if isinstance(value, list):
            return [
                self.value(item, pointer_join(rendered, i), pointer_join(source, i), places)
                for i, item in enumerate(value)
            ]
        return widen(value)

    def member(self, name: str, child: Any, rendered: str, source: str, places: Places) -> Any:
        at = pointer_join(rendered, name)
        if name in self.spelling.single_blocks and isinstance(child, list) and len(child) == 1:
            places[at] = source
            child, source = child[0], pointer_join(source, 0)
        if name == "configuration":
            places[at] = source
            strings = configuration_strings(child, source, self.findings, self.line(source))
            for key in strings:
                places[pointer_join(at, key)] = pointer_join(source, key)
            return strings
        if name == "name" and (text := scalar_text(child)) is not None:
            places[at] = source
            return widen(text)  # a name written as a number is the number's text
        if name == "runOrder":
            places[at] = source
            return run_order(child, source, self.findings, self.line(source))
        return self.value(child, at, source, places)


def artifact_names(
    names: Any, rendered: str, source: str, places: Places
) -> list[dict[str, Any]] | Any:
    """Terraform's `["a", "b"]` as the API's `[{"name": "a"}, {"name": "b"}]`."""
    places[rendered] = source
    if not isinstance(names, list):
        # A list the template does not determine stands for artifacts of names not known.
        names = [names] if isinstance(names, str) and is_unknown(names) else []
    for i in range(len(names)):
        places[pointer_join(rendered, i)] = pointer_join(source, i)
        places[pointer_join(rendered, i, "name")] = pointer_join(source, i)
    return [{"name": widen(name)} if name != "" else {} for name in names]
