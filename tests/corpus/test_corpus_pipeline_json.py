"""Every get-pipeline JSON of the corpus computes: a policy or a located 4xx, never a 5xx."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"


def _pipeline_json_files() -> list[str]:
    manifest = CORPUS / "MANIFEST.tsv"
    if not manifest.is_file():
        return []
    with manifest.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return [row["file"] for row in rows if row["kind"] == "pipeline-json"]


FILES = _pipeline_json_files()


@pytest.mark.skipif(not FILES, reason="../shared/corpus is absent")
@pytest.mark.parametrize("name", FILES)
def test_corpus_pipeline_computes(client: TestClient, name: str) -> None:
    document = json.loads((CORPUS / name).read_text(encoding="utf-8"))
    response = client.post("/v1/policies/compute", json={"pipelines": [document]})
    assert response.status_code < 500, response.text
    body = response.json()
    if response.status_code == 200:
        assert body["policy"]["Statement"], "an empty policy for a real pipeline"
        for finding in body["findings"]:
            assert finding["path"].startswith("/pipelines/0")
    else:
        assert body["errors"][0]["pointer"].startswith("/pipelines/0")


def test_corpus_has_pipeline_json_files() -> None:
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is absent")
    assert len(FILES) >= 5
