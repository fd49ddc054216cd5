"""Where a finding is, for people: the file a JSON pointer into a request leads to, and the line
in it. Requests carry file texts at known places (`/sources/0/body`, `/policy/documents/0`,
`/hints`); a finding's pointer below one of them names that file, and the rest of the pointer
the place in it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.cli_backend import ProblemAnswerError
from app.engine.findings import FINDING_CODES
from app.engine.pipeline.source_lines import SourceLines

# A file of the run that could not be read, or that the service could not parse; it is left
# out of the answer.
INPUT_UNREADABLE = "INPUT_UNREADABLE"


@dataclass(frozen=True)
class Place:
    file: Path
    pointer: str  # within the file's document
    line: int | None

    def __str__(self) -> str:
        line = f":{self.line}" if self.line else ""
        return f"{self.file}{line} at {self.pointer or '/'}"


class Locations:
    """The files a request carries, by the pointer of their text in it."""

    def __init__(self, entries: Iterable[tuple[str, Path, str]] = ()) -> None:
        # Each entry: the pointer of the file's text in the request, the file, its text, and
        # the pointer in the file that the request's pointer stands for.
        self._entries: list[tuple[str, Path, str, str]] = [(*e, "") for e in entries]
        self._lines: dict[tuple[Path, str], SourceLines] = {}

    def add(self, prefix: str, path: Path, text: str, within: str = "") -> None:
        self._entries.append((prefix, path, text, within))

    def place(self, pointer: str, *, line: bool = True) -> Place | None:
        """The file `pointer` leads into, the pointer within it, and (when `line`, reading the
        file's text once) its line there."""
        for prefix, path, text, within in self._entries:
            if pointer == prefix or pointer.startswith(prefix + "/"):
                inner = within + pointer[len(prefix) :]
                if not line:
                    return Place(path, inner, None)
                lines = self._lines.setdefault((path, prefix), SourceLines(text))
                return Place(path, inner, lines.line(inner))
        return None

    def locate(self, answer: Any) -> None:
        """Give every finding of an answer, wherever it is, its `file` and `line` (the line
        the service gave, else the line of its pointer in the file)."""
        if isinstance(answer, list):
            for item in answer:
                self.locate(item)
            return
        if not isinstance(answer, dict):
            return
        for key, value in answer.items():
            if key == "findings" and isinstance(value, list):
                for finding in value:
                    if isinstance(finding, dict) and "file" not in finding:
                        self._locate_finding(finding)
            else:
                self.locate(value)

    def _locate_finding(self, finding: dict[str, Any]) -> None:
        given = finding.get("line")
        place = self.place(str(finding.get("path", "")), line=given is None)
        finding["file"] = str(place.file) if place else None
        finding["line"] = given if given is not None else place.line if place else None

    def where(self, finding: dict[str, Any]) -> str:
        """A located finding's place, as a table shows it: file:line and the pointer in it."""
        place = self.place(str(finding.get("path", "")), line=False)
        if place is None:
            file = finding.get("file")
            return str(file) if file else str(finding.get("path") or "/")
        return str(Place(place.file, place.pointer, finding.get("line")))

    def problem_text(self, problem: ProblemAnswerError) -> str:
        """A problem answer, its pointers given as files and lines where they lead to one."""
        lines = [f"{problem.title}: {problem.detail}".rstrip(": ")]
        for pointer, detail in problem.errors:
            place = self.place(pointer)
            lines.append(f"  {place if place else f'at {pointer}'}: {detail}")
        return "\n".join(lines)


def unreadable_finding(path: Path, why: str, line: int | None = None) -> dict[str, Any]:
    """The finding of a file left out of the answer, shaped as the service's findings are."""
    return {
        "code": INPUT_UNREADABLE,
        "finding_type": FINDING_CODES[INPUT_UNREADABLE].finding_type.value,
        "message": f"{why}; the file was left out",
        "path": "",
        "detail": {},
        "line": line,
        "file": str(path),
    }
