"""A CloudFormation template's nodes as the decoder gives them: their lines, the intrinsic
function a node is, and the resources it refers to."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from app.engine.pipeline.template_values import scalar_text

SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


def node_line(node: Any, fallback: int | None) -> int | None:
    mark = getattr(node, "start_mark", None)
    line = getattr(mark, "line", None)
    return line + 1 if isinstance(line, int) else fallback


def intrinsic_of(node: Any, *, conditions: bool = False) -> tuple[str, Any] | None:
    if isinstance(node, Mapping) and len(node) == 1:
        key = next(iter(node))
        if isinstance(key, str) and (
            key == "Ref" or key.startswith("Fn::") or (conditions and key == "Condition")
        ):
            return str(key), node[key]
    return None


def resource_type(resource: Any) -> str | None:
    return scalar_text(resource.get("Type")) if isinstance(resource, Mapping) else None


def references(node: Any) -> list[str]:
    """Logical IDs a template node refers to (`Ref`, `Fn::GetAtt`, `${X}` and `${X.Attr}` in
    `Fn::Sub`), in every branch."""
    found: list[str] = []
    stack = [node]
    while stack:
        item = stack.pop()
        intrinsic = intrinsic_of(item)
        if intrinsic is not None:
            name, arg = intrinsic
            if name == "Ref" and isinstance(arg, str):
                found.append(str(arg))
            elif name == "Fn::GetAtt":
                target = arg.split(".", 1)[0] if isinstance(arg, str) else None
                if isinstance(arg, list) and arg and isinstance(arg[0], str):
                    target = str(arg[0])
                if target:
                    found.append(target)
            elif name == "Fn::Sub":
                text = arg if isinstance(arg, str) else arg[0] if isinstance(arg, list) else ""
                if isinstance(text, str):
                    found.extend(
                        m.group(1).strip().split(".", 1)[0]
                        for m in SUB_VARIABLE.finditer(text)
                        if not m.group(1).startswith("!")
                    )
                if isinstance(arg, list) and len(arg) == 2:
                    stack.append(arg[1])
            else:
                stack.append(arg)
        elif isinstance(item, Mapping):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def is_if(arg: Any) -> bool:
    return isinstance(arg, list) and len(arg) == 3
