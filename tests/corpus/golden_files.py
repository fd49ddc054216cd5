"""Golden files: an answer kept as canonical JSON under tests/corpus/golden/, reviewed in git when
it changes. `make golden` (UPDATE_GOLDEN=1) rewrites them; otherwise a mismatch fails with a
unified diff of the canonical JSON, and a missing file fails too: a golden answer is only ever
written on purpose."""

from __future__ import annotations

import difflib
import json
import os
from pathlib import Path
from typing import Any

import pytest

GOLDEN = Path(__file__).parent / "golden"
UPDATING = bool(os.environ.get("UPDATE_GOLDEN"))


def canonical_json(value: Any) -> str:
    """Keys sorted (no meaning in a JSON object's order), lists as the service ordered them."""
    return json.dumps(value, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def check_golden(path: Path, got: Any) -> None:
    text = canonical_json(got)
    if UPDATING:
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        return
    if not path.is_file():
        pytest.fail(
            f"no golden file {path.relative_to(GOLDEN.parent)}: run `make golden`", pytrace=False
        )
    kept = path.read_text(encoding="utf-8")
    if kept != text:
        diff = difflib.unified_diff(
            kept.splitlines(keepends=True),
            text.splitlines(keepends=True),
            fromfile=f"{path.name} (golden)",
            tofile=f"{path.name} (now)",
        )
        pytest.fail(
            "the answer is not the reviewed one (`make golden` rewrites it; review the diff):\n"
            + "".join(diff),
            pytrace=False,
        )
