"""Policies as CloudFormation or Terraform, chosen by `?format=` or the Accept header."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal

from fastapi import Query, Request
from fastapi.responses import PlainTextResponse

from app.engine.iam.render import to_cloudformation, to_terraform

PolicyFormat = Literal["json", "cloudformation", "terraform"]
MEDIA_TYPES = {"cloudformation": "application/x-yaml", "terraform": "text/x-hcl"}
FORMAT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            MEDIA_TYPES["cloudformation"]: {"schema": {"type": "string"}},
            MEDIA_TYPES["terraform"]: {"schema": {"type": "string"}},
        },
        "description": "JSON, or the policy as a CloudFormation or Terraform snippet",
    }
}

FormatQuery = Annotated[
    PolicyFormat | None,
    Query(
        alias="format",
        description="`cloudformation` (AWS::IAM::ManagedPolicy) or `terraform` (aws_iam_policy) "
        "for the policy alone; default JSON. `Accept: application/x-yaml` or `text/x-hcl` too.",
    ),
]


def chosen_format(request: Request, given: PolicyFormat | None) -> PolicyFormat:
    if given is not None:
        return given
    accept = request.headers.get("accept", "")
    if MEDIA_TYPES["cloudformation"] in accept:
        return "cloudformation"
    if MEDIA_TYPES["terraform"] in accept:
        return "terraform"
    return "json"


def policy_text_response(
    documents: Sequence[Mapping[str, Any]], chosen: PolicyFormat, *, name: str
) -> PlainTextResponse:
    render = to_cloudformation if chosen == "cloudformation" else to_terraform
    return PlainTextResponse(render(documents, name=name), media_type=MEDIA_TYPES[chosen])
