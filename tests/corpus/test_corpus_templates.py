"""Every pipeline source of the corpus reads: pipelines, or a parse error with a message."""

from __future__ import annotations

import csv
import functools
from collections import Counter
from pathlib import Path

import pytest

from app.engine.errors import PipelineParseError
from app.engine.pipeline.detect import parse_pipeline_source
from app.engine.pipeline.template_values import ParsedTemplate

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
NOT_SOURCES = {"MANIFEST.tsv", "README.md"}


def _kinds() -> dict[str, str]:
    manifest = CORPUS / "MANIFEST.tsv"
    if not manifest.is_file():
        return {}
    with manifest.open(encoding="utf-8") as handle:
        return {row["file"]: row["kind"] for row in csv.DictReader(handle, delimiter="\t")}


def _files() -> list[str]:
    if not CORPUS.is_dir():
        return []
    names = []
    for path in sorted(CORPUS.iterdir()):
        if not path.is_file() or path.name in NOT_SOURCES:
            continue
        # A sibling holds the author's role or policy; it is a source only if it has a pipeline.
        if ".sib-" in path.name and "AWS::CodePipeline::Pipeline" not in path.read_text(
            encoding="utf-8", errors="replace"
        ):
            continue
        names.append(path.name)
    return names


KINDS = _kinds()
FILES = _files()


@functools.cache
def _read(name: str) -> ParsedTemplate | PipelineParseError:
    text = (CORPUS / name).read_text(encoding="utf-8")
    try:
        return parse_pipeline_source(text)
    except PipelineParseError as exc:
        return exc


@pytest.mark.skipif(not FILES, reason="../shared/corpus is absent")
@pytest.mark.parametrize("name", FILES)
def test_corpus_source_yields_pipelines_or_a_parse_error(name: str) -> None:
    outcome = _read(name)
    if isinstance(outcome, PipelineParseError):
        assert outcome.message, "a parse error without a message"
        return
    assert len(outcome.pipelines) >= 1
    for pipeline in outcome.pipelines:
        assert pipeline.name
        assert pipeline.role_arn
        for _stage, action in pipeline.actions():
            assert "\x00" not in "".join(action.configuration.values())
    for finding in outcome.findings:
        assert finding.message
        assert finding.path.startswith("/")
        if finding.code == "UNRESOLVED_TEMPLATE_VALUE":
            assert finding.line is not None, finding


@pytest.mark.skipif(not FILES, reason="../shared/corpus is absent")
def test_corpus_summary() -> None:
    counts: dict[str, Counter[str]] = {}
    for name in FILES:
        outcome = _read(name)
        kind = KINDS.get(name, "sibling")
        if isinstance(outcome, PipelineParseError):
            verdict = "rejected"
        else:
            verdict = "with findings" if outcome.findings else "parsed"
        counts.setdefault(kind, Counter())[verdict] += 1
    print("\ncorpus: kind / parsed without findings / parsed with findings / rejected")  # noqa: T201
    for kind, counter in sorted(counts.items()):
        print(  # noqa: T201
            f"  {kind:14} {counter['parsed']:3} {counter['with findings']:3} "
            f"{counter['rejected']:3}"
        )
    total = sum(counts.values(), Counter())
    assert total["parsed"] + total["with findings"] > total["rejected"]


@pytest.mark.skipif(not FILES, reason="../shared/corpus is absent")
@pytest.mark.parametrize("name", FILES)
def test_real_definitions_have_no_unknown_fields(name: str) -> None:
    # Real pipelines, from get-pipeline, templates or Terraform, use CodePipeline's own fields:
    # an UNKNOWN_FIELD finding on one of them would be a field this service does not know.
    outcome = _read(name)
    if isinstance(outcome, PipelineParseError):
        pytest.skip("not a readable pipeline")
    assert [f.path for f in outcome.findings if f.code == "UNKNOWN_FIELD"] == []
