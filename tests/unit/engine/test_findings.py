"""The registry of finding codes: every code the source emits is registered with the types it is
emitted with, every registered code is emitted somewhere, and a finding outside it is refused
(which is what checks the codes a rule picks at run time, from a table of its own)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.engine.findings import FINDING_CODES, POLICY_CODES, Finding, FindingType, finding
from app.engine.iam.errors import IssueCode

APP = Path(__file__).resolve().parents[3] / "app"
REGISTRY = APP / "engine" / "findings.py"
_CODE = r'"([A-Z][A-Z0-9_]+)"'
# The places a code is written where a finding is made: `code="X"`, a builder's first argument,
# and a constant named for what it is (`UNRESOLVED = "X"`, `INPUT_UNREADABLE = "X"`).
_EMITTED = [
    re.compile(r"\bcode\s*=\s*" + _CODE),
    re.compile(r"\b_?finding\(\s*" + _CODE),
    re.compile(r"^(?:UNRESOLVED|INPUT_UNREADABLE)\s*=\s*" + _CODE, re.MULTILINE),
]
# A code written with its type: `code="X", finding_type=FindingType.Y` or `_finding("X", Y,`,
# where the type may be a conditional expression of types.
_TYPED = [
    re.compile(r"\bcode\s*=\s*" + _CODE + r",\s*finding_type\s*=\s*([^\n]+)"),
    re.compile(r"\b_finding\(\s*" + _CODE + r",\s*([^\n]+)"),
]
_TYPE_NAMES = re.compile(r"\b(" + "|".join(t.name for t in FindingType) + r")\b")


def _sources() -> dict[Path, str]:
    return {p: p.read_text(encoding="utf-8") for p in APP.rglob("*.py") if p != REGISTRY}


def _emitted(sources: dict[Path, str]) -> dict[str, set[Path]]:
    found: dict[str, set[Path]] = {}
    for path, text in sources.items():
        for pattern in _EMITTED:
            for match in pattern.finditer(text):
                found.setdefault(match.group(1), set()).add(path)
    # The policy parser's issues become findings of the same name, upper-cased.
    for issue in IssueCode:
        found.setdefault(issue.name, set()).add(APP / "engine" / "iam" / "errors.py")
    return found


def test_the_scan_finds_codes_in_every_layer() -> None:
    emitted = _emitted(_sources())
    layers = {p.relative_to(APP).parts[0] for paths in emitted.values() for p in paths}
    assert {"engine", "service", "api"} <= layers
    assert len(emitted) > 150


def test_every_emitted_code_is_registered() -> None:
    unregistered = {
        code: sorted(str(p.relative_to(APP)) for p in paths)
        for code, paths in _emitted(_sources()).items()
        if code not in FINDING_CODES
    }
    assert not unregistered


def test_every_registered_code_is_emitted() -> None:
    sources = _sources()
    text = "\n".join(sources.values())
    unused = [code for code in FINDING_CODES if not re.search(rf"\b{code}\b", text)]
    assert not unused


def test_codes_written_with_a_type_are_registered_with_it() -> None:
    wrong: list[tuple[str, str, str]] = []
    checked = 0
    for path, text in _sources().items():
        for pattern in _TYPED:
            for match in pattern.finditer(text):
                code, written = match.groups()
                kinds = _TYPE_NAMES.findall(written)
                checked += bool(kinds)
                wrong += [
                    (str(path.relative_to(APP)), code, kind)
                    for kind in kinds
                    if FindingType[kind] not in FINDING_CODES[code].types
                ]
    assert checked > 100
    assert not wrong


def test_a_code_keeps_its_own_type_among_those_it_allows() -> None:
    for code in FINDING_CODES.values():
        assert code.finding_type in code.types
        assert 0 < len(code.title) <= 80


def test_the_validator_codes_are_one_type_each() -> None:
    assert all(len(FINDING_CODES[code].types) == 1 for code in POLICY_CODES)


def test_a_finding_outside_the_registry_is_refused() -> None:
    with pytest.raises(ValueError, match="NOT_A_CODE"):
        Finding("NOT_A_CODE", FindingType.ERROR, "m")
    with pytest.raises(ValueError, match="POLLING_SOURCE"):
        Finding("POLLING_SOURCE", FindingType.ERROR, "m")
    assert Finding("NO_PROFILE", FindingType.WARNING, "m").code == "NO_PROFILE"


def test_the_builder_types_a_finding_from_the_registry() -> None:
    made = finding("ALL_ACTIONS", "m", "/p", kept=1, dropped=None)
    assert made.finding_type is FindingType.SECURITY_WARNING
    assert dict(made.detail) == {"kept": 1}
