"""Across the corpus, the snippets agree with the JSON answer: the same findings (as comments,
or in the 422 when one is an ERROR), the same policy documents, each attached to a role, and
the same companion documents where their targets are known."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from ..snippets import (
    answer_companions,
    finding_comment,
    header_comments,
    parse_cloudformation,
    snippet_companions,
    terraform_blocks,
    terraform_policies,
)
from .test_corpus_compute import CORPUS, DEFINITIONS


def _snippet_documents(text: str, chosen: str) -> tuple[list[Any], list[list[Any]]]:
    """The policy documents of a snippet, and what each is attached to."""
    if chosen == "cloudformation":
        resources = parse_cloudformation(text)["Resources"].values()
        policies = [r for r in resources if r["Type"] == "AWS::IAM::ManagedPolicy"]
        return (
            [p["Properties"]["PolicyDocument"] for p in policies],
            [p["Properties"]["Roles"] for p in policies],
        )
    attachments = terraform_blocks(text, "aws_iam_role_policy_attachment").values()
    roles = [
        [a["role"] for a in attachments if a["policy_arn"] == f"${{aws_iam_policy.{name}.arn}}"]
        for name in terraform_blocks(text, "aws_iam_policy")
    ]
    return terraform_policies(text), roles


@pytest.mark.skipif(not DEFINITIONS, reason="../shared/corpus is absent")
@pytest.mark.parametrize(("name", "kind"), DEFINITIONS)
def test_every_format_agrees_with_the_json_answer(client: TestClient, name: str, kind: str) -> None:
    body = {"sources": [{"body": (CORPUS / name).read_text(encoding="utf-8")}]}
    as_json = client.post("/v1/policies/compute", json=body)
    if as_json.status_code != 200:  # a definition that cannot be read is refused alike
        for chosen in ("cloudformation", "terraform"):
            snippet = client.post(f"/v1/policies/compute/{chosen}", json=body)
            assert snippet.status_code == as_json.status_code, (kind, snippet.text)
            assert snippet.json()["errors"] == as_json.json()["errors"]
        return
    answer = as_json.json()
    findings = answer["findings"]
    has_error = any(f["finding_type"] == "ERROR" for f in findings)
    for chosen in ("cloudformation", "terraform"):
        snippet = client.post(f"/v1/policies/compute/{chosen}", json=body)
        assert snippet.headers["x-findings"] == str(len(findings))
        if has_error:
            assert snippet.status_code == 422, snippet.text
            assert snippet.json()["findings"] == findings
            continue
        assert snippet.status_code == 200, snippet.text
        # A finding's message may hold characters a comment line escapes: compare the counts
        # and the lines that need no escape.
        comments = header_comments(snippet.text)[1 : 1 + len(findings)]
        assert len(comments) == len(findings)
        for comment, finding in zip(comments, findings, strict=True):
            expected = finding_comment(finding)
            if expected.isprintable():
                assert comment == expected
        documents, roles = _snippet_documents(snippet.text, chosen)
        assert documents == (answer["policies"] or [answer["policy"]])
        assert all(roles), roles
        assert snippet_companions(snippet.text, chosen) == answer_companions(answer)
