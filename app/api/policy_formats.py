"""Policies as deployable text: CloudFormation or Terraform, with the answer's findings.

Each decision that offers a policy (compute's policy, diff's patched policy) has one JSON
operation and one text operation per format (`POST …/compute/cloudformation`,
`…/compute/terraform`, likewise under `…/diff`), so a generated client types each answer as what
it is. The JSON operations also answer the text for `?format=cloudformation|terraform` or
`Accept: application/x-yaml|text/x-hcl` (older clients and the command line use them); that
convenience is left out of the OpenAPI document, where it would make every JSON answer
`object | string`.

Every answer of these operations carries the number of its findings in `X-Findings`; the text
carries the findings themselves as comments (app/engine/policy_templates.py), and a policy with an
ERROR finding is refused with a 422 that lists them (`FindingsProblem`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import Query, Request
from fastapi.responses import PlainTextResponse

from app.api.problems import FINDINGS_HEADER, PROBLEM_MEDIA_TYPE, findings_problem_example
from app.engine.companions.documents import CompanionDocument
from app.engine.findings import Finding, FindingType
from app.engine.pipeline.model import TemplateResource
from app.engine.pipeline.roles import ServiceRole
from app.engine.policy_templates import to_cloudformation, to_terraform

SnippetFormat = Literal["cloudformation", "terraform"]
PolicyFormat = Literal["json", SnippetFormat]
SNIPPET_MEDIA_TYPE = "text/plain"
# The media types of the `?format=` / Accept convenience of the JSON operations.
CONVENIENCE_MEDIA_TYPES: Mapping[SnippetFormat, str] = {
    "cloudformation": "application/x-yaml",
    "terraform": "text/x-hcl",
}
_RENDERERS = {"cloudformation": to_cloudformation, "terraform": to_terraform}

FINDINGS_HEADERS: dict[str, Any] = {
    FINDINGS_HEADER: {
        "description": "how many findings the answer has (in the body: `findings`, or comments "
        "at the top of a snippet)",
        "required": True,
        "schema": {"type": "integer", "minimum": 0},
    }
}
FINDINGS_RESPONSE: dict[int | str, dict[str, Any]] = {200: {"headers": FINDINGS_HEADERS}}

FormatQuery = Annotated[
    PolicyFormat | None,
    Query(
        alias="format",
        include_in_schema=False,
        description="`cloudformation` or `terraform`: the text of the matching operation",
    ),
]


@dataclass(frozen=True)
class Snippet:
    """A policy asked for as text: in which format, sent as which media type."""

    format: SnippetFormat
    media_type: str = SNIPPET_MEDIA_TYPE


def asked_snippet(request: Request, given: PolicyFormat | None) -> Snippet | None:
    """The JSON operations' convenience: `?format=`, else the Accept header; None for JSON."""
    accept = request.headers.get("accept", "")
    for chosen, media_type in CONVENIENCE_MEDIA_TYPES.items():
        if given == chosen or (given is None and media_type in accept):
            return Snippet(chosen, media_type)
    return None


def findings_headers(findings: Sequence[Finding]) -> dict[str, str]:
    return {FINDINGS_HEADER: str(len(findings))}


def snippet_response(
    snippet: Snippet,
    documents: Sequence[Mapping[str, Any]],
    findings: Sequence[Finding],
    roles: Sequence[ServiceRole],
    companions: Sequence[CompanionDocument] = (),
) -> PlainTextResponse:
    """The policy, and the companion documents the pipelines need, as text; the renderer
    raises UndeployableError (a 422) on ERROR findings. The policy is named after its
    pipeline, so the snippets of two pipelines do not clash."""
    text = _RENDERERS[snippet.format](
        documents, findings, roles, name=policy_name(roles), companions=companions
    )
    return PlainTextResponse(
        text, media_type=snippet.media_type, headers=findings_headers(findings)
    )


def policy_name(roles: Sequence[ServiceRole]) -> str:
    pipelines = sorted({p for role in roles for p in role.pipelines})
    if len(pipelines) == 1:
        return f"{pipelines[0]}-service-role-policy"
    return "pipelines-service-role-policy"


_EXAMPLE_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "CodeBuildStartBuild",
            "Effect": "Allow",
            "Action": ["codebuild:BatchGetBuilds", "codebuild:StartBuild"],
            "Resource": ["arn:aws:codebuild:eu-west-2:111122223333:project/my-build"],
        }
    ],
}
_EXAMPLE_FINDINGS = (
    Finding(
        code="PROVIDER_PITFALL",
        finding_type=FindingType.SUGGESTION,
        message="Roles created before April 18, 2016 lack CodeCommit permissions",
        path="/pipelines/0/pipeline/stages/0/actions/0",
    ),
)
_EXAMPLE_ROLES = {
    "cloudformation": (
        ServiceRole(None, TemplateResource("cloudformation", "PipelineRole"), ("web",)),
    ),
    "terraform": (ServiceRole("web-pipeline", None, ("web",)),),
}


def snippet_responses(chosen: SnippetFormat) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI responses of a text operation: the snippet, and the 422 with findings."""
    what = {"cloudformation": "CloudFormation template (YAML)", "terraform": "Terraform (HCL)"}
    example = _RENDERERS[chosen]((_EXAMPLE_POLICY,), _EXAMPLE_FINDINGS, _EXAMPLE_ROLES[chosen])
    return {
        200: {
            "description": f"The policy as {what[chosen]}: the findings as comments at the top, "
            "each policy document attached to the service role",
            "headers": FINDINGS_HEADERS,
            "content": {SNIPPET_MEDIA_TYPE: {"schema": {"type": "string"}, "example": example}},
        },
        422: {
            "description": "Invalid input (the pointers in `errors` say where), or ERROR "
            "findings that stand against the policy (listed in `findings`)",
            "content": {
                PROBLEM_MEDIA_TYPE: {
                    "schema": {"$ref": "#/components/schemas/FindingsProblem"},
                    "example": findings_problem_example(),
                }
            },
        },
    }
