"""A run over input files: the texts sent (pipeline sources with the parameters and variables
given, or policy documents), and the files left out, each with why. A file that cannot be read is
left out at once; one the service cannot parse (a 422 whose every error lies in that file's text)
is left out and the request sent again without it, so one bad file does not stop the others."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import typer

from app.cli_backend import ProblemAnswerError
from app.cli_exit import EXIT_BAD_INPUT
from app.cli_inputs import InputFile
from app.cli_locations import Locations, unreadable_finding
from app.engine.pipeline.source_lines import SourceLines

T = TypeVar("T")


@dataclass
class FileRun:
    files: list[InputFile]
    parameters: dict[str, str] | None = None
    variables: dict[str, str] | None = None
    stack_name: str | None = None
    hints: tuple[Path, str, list[Any]] | None = None  # the file, its text, the hints
    left_out: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def of(cls, inputs: Sequence[InputFile], **options: Any) -> FileRun:
        run = cls(files=[], **options)
        for read in inputs:
            if read.text is None:
                run.leave_out(read.path, read.error or "cannot be read")
            else:
                run.files.append(read)
        return run

    def leave_out(self, path: Path, why: str, line: int | None = None) -> None:
        typer.echo(f"error: {path}: {why}", err=True)
        self.left_out.append(unreadable_finding(path, why, line))

    def sources(self) -> list[dict[str, Any]]:
        extra: dict[str, Any] = {}
        if self.parameters:
            extra["parameters"] = self.parameters
        if self.variables:
            extra["variables"] = self.variables
        if self.stack_name:
            extra["stack_name"] = self.stack_name
        return [{"body": f.text, **extra} for f in self.files]

    def hints_body(self) -> dict[str, Any]:
        return {"hints": self.hints[2]} if self.hints else {}

    def locations(self, text_at: str, hints_at: str) -> Locations:
        """Where the files are in the request: `text_at` is the pointer of the i-th file's
        text with `{}` for i (`/sources/{}/body`)."""
        locations = Locations(
            (text_at.format(i), f.path, f.text or "") for i, f in enumerate(self.files)
        )
        if self.hints:
            locations.add(hints_at, self.hints[0], self.hints[1])
        return locations

    def answer(
        self, ask: Callable[[], T], text_at: str, locations: Callable[[], Locations]
    ) -> T | None:
        """`ask()`'s answer once every file the service cannot parse is left out; None when
        no file is left. Any other problem answer stops the command (exit status 2), its
        pointers named as `locations()` places them."""
        while self.files:
            try:
                return ask()
            except ProblemAnswerError as problem:
                unparsable = _unparsable_texts(problem, text_at)
                if unparsable is None or max(unparsable) >= len(self.files):
                    typer.echo(locations().problem_text(problem), err=True)
                    raise typer.Exit(EXIT_BAD_INPUT) from None
                for index in sorted(unparsable, reverse=True):
                    read = self.files.pop(index)
                    pointer, _ = unparsable[index][0]
                    line = SourceLines(read.text or "").line(pointer) if pointer else None
                    why = "; ".join(detail for _, detail in unparsable[index])
                    self.leave_out(read.path, why, line)
        return None


def _unparsable_texts(
    problem: ProblemAnswerError, text_at: str
) -> dict[int, list[tuple[str, str]]] | None:
    """The file texts a 422 says cannot be read, with (pointer in the text, detail) each; None
    when an error is not about one file's text."""
    if problem.status != 422 or not problem.errors:
        return None
    before, after = text_at.split("{}")
    pattern = re.compile(re.escape(before) + r"(\d+)" + re.escape(after) + r"((?:/.*)?)$")
    found: dict[int, list[tuple[str, str]]] = {}
    for pointer, detail in problem.errors:
        match = pattern.match(pointer)
        if match is None:
            return None
        found.setdefault(int(match.group(1)), []).append((match.group(2), detail))
    return found
