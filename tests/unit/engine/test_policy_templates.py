"""Policy snippets: findings as comments, each document attached to the service roles, valid
CloudFormation (cfn-lint's decoder) and Terraform (python-hcl2), and no snippet past an ERROR."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.engine.findings import Finding, FindingType
from app.engine.pipeline.model import TemplateResource
from app.engine.pipeline.roles import ServiceRole
from app.engine.policy_templates import (
    ROLE_PARAMETER,
    ROLE_VARIABLE,
    UndeployableError,
    to_cloudformation,
    to_terraform,
)
from tests.hypothesis_profiles import examples

from ...snippets import (
    header_comments,
    parse_cloudformation,
    terraform_blocks,
    terraform_policies,
    terraform_variables,
)

POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "Objects",
            "Effect": "Allow",
            "Action": ["s3:GetObject"],
            # IAM policy variables and Terraform's template sequences must stay literal.
            "Resource": ["arn:aws:s3:::bucket/${aws:username}/%{x}/*"],
        }
    ],
}
SECOND = {**POLICY, "Statement": [{**POLICY["Statement"][0], "Sid": "More"}]}
WARNING = Finding("UNRESOLVED_TEMPLATE_VALUE", FindingType.WARNING, "`*` stands in", "/p/0")
ERROR = Finding("NO_ARTIFACT_STORE", FindingType.ERROR, "no artifact store", "/p/0/pipeline")

NAMED = ServiceRole("web-role", None, ("web",))
CFN_RESOURCE = ServiceRole(None, TemplateResource("cloudformation", "PipelineRole"), ("web",))
CFN_NAMED_RESOURCE = ServiceRole(
    "web-role", TemplateResource("cloudformation", "PipelineRole"), ("web",)
)
TF_RESOURCE = ServiceRole(None, TemplateResource("terraform", "aws_iam_role.pipeline"), ("web",))
UNKNOWN = ServiceRole(None, None, ("api",))
PARAMETER = {"Ref": ROLE_PARAMETER}
VARIABLE = f"${{var.{ROLE_VARIABLE}}}"

# roles -> (CloudFormation `Roles`, Terraform `role` of each attachment)
ATTACHMENTS: list[tuple[str, tuple[ServiceRole, ...], list[Any], list[str]]] = [
    ("by name", (NAMED,), ["web-role"], ['"web-role"']),
    ("cfn resource", (CFN_RESOURCE,), [{"Ref": "PipelineRole"}], [VARIABLE]),
    ("cfn resource, named", (CFN_NAMED_RESOURCE,), [{"Ref": "PipelineRole"}], ['"web-role"']),
    ("tf resource", (TF_RESOURCE,), [PARAMETER], ["${aws_iam_role.pipeline.name}"]),
    ("unknown", (UNKNOWN,), [PARAMETER], [VARIABLE]),
    ("no pipelines", (), [PARAMETER], [VARIABLE]),
    ("known and unknown", (NAMED, UNKNOWN), ["web-role", PARAMETER], ['"web-role"', VARIABLE]),
]


@pytest.mark.parametrize(
    ("roles", "cfn_roles"), [(r, c) for _, r, c, _ in ATTACHMENTS], ids=[a[0] for a in ATTACHMENTS]
)
@pytest.mark.parametrize("documents", [[POLICY], [POLICY, SECOND]], ids=["one", "split"])
def test_cloudformation_attaches_every_document(
    roles: tuple[ServiceRole, ...], cfn_roles: list[Any], documents: list[dict[str, Any]]
) -> None:
    template = parse_cloudformation(to_cloudformation(documents, [WARNING], roles))
    policies = list(template["Resources"].values())
    assert [p["Properties"]["PolicyDocument"] for p in policies] == documents
    assert all(p["Type"] == "AWS::IAM::ManagedPolicy" for p in policies)
    assert all(p["Properties"]["Roles"] == cfn_roles for p in policies)
    assert (ROLE_PARAMETER in template.get("Parameters", {})) == (PARAMETER in cfn_roles)


@pytest.mark.parametrize(
    ("roles", "tf_roles"), [(r, t) for _, r, _, t in ATTACHMENTS], ids=[a[0] for a in ATTACHMENTS]
)
@pytest.mark.parametrize("documents", [[POLICY], [POLICY, SECOND]], ids=["one", "split"])
def test_terraform_attaches_every_document(
    roles: tuple[ServiceRole, ...], tf_roles: list[str], documents: list[dict[str, Any]]
) -> None:
    text = to_terraform(documents, [WARNING], roles)
    policies = terraform_blocks(text, "aws_iam_policy")
    assert terraform_policies(text) == documents
    attachments = terraform_blocks(text, "aws_iam_role_policy_attachment").values()
    for name in policies:
        attached = [
            a["role"] for a in attachments if a["policy_arn"] == f"${{aws_iam_policy.{name}.arn}}"
        ]
        assert attached == tf_roles, name
    assert len(attachments) == len(documents) * len(tf_roles)
    assert (ROLE_VARIABLE in terraform_variables(text)) == (VARIABLE in tf_roles)


@pytest.mark.parametrize("render", [to_cloudformation, to_terraform])
def test_findings_and_roles_head_the_snippet(render: Any) -> None:
    text = render([POLICY], [WARNING], (NAMED, UNKNOWN))
    comments = header_comments(text)
    assert comments[0] == "Findings: 1"
    assert comments[1] == "  WARNING UNRESOLVED_TEMPLATE_VALUE at /p/0: `*` stands in"
    assert "Service role of web: attached to role `web-role`" in comments
    assert any(c.startswith("Service role of api: not known") for c in comments)
    assert "The role is not known" in comments[-1]
    assert header_comments(render([POLICY], [], (NAMED,)))[0] == "Findings: none"


@pytest.mark.parametrize("render", [to_cloudformation, to_terraform])
def test_no_snippet_past_an_error(render: Any) -> None:
    with pytest.raises(UndeployableError) as raised:
        render([POLICY], [WARNING, ERROR], (NAMED,))
    assert raised.value.errors == (ERROR,)
    assert raised.value.findings == (WARNING, ERROR)
    assert raised.value.pointer == "/p/0/pipeline"


_TEXT = st.text(st.characters(codec="utf-8"), max_size=60)


@settings(max_examples=examples(150), deadline=None)
@given(
    messages=st.lists(_TEXT, max_size=4),
    path=_TEXT,
    role_name=st.from_regex(r"[\w+=,.@-]{1,64}", fullmatch=True),
)
def test_nothing_in_a_finding_escapes_its_comment(
    messages: list[str], path: str, role_name: str
) -> None:
    """Findings quote requests: whatever their text, each stays on its comment line and the
    snippet reads back unchanged."""
    findings = [Finding("POLLING_SOURCE", FindingType.SUGGESTION, m, path) for m in messages]
    roles = (ServiceRole(role_name, None, (path,)),)
    text = to_cloudformation([POLICY], findings, roles)
    assert len(header_comments(text)) == 2 + len(findings)
    template = parse_cloudformation(text)
    assert list(template) == ["AWSTemplateFormatVersion", "Resources"]
    assert template["Resources"]["PipelineServiceRolePolicy"]["Properties"]["Roles"] == [role_name]
    text = to_terraform([POLICY], findings, roles)
    assert len(header_comments(text)) == 2 + len(findings)
    assert terraform_policies(text) == [POLICY]
    (attachment,) = terraform_blocks(text, "aws_iam_role_policy_attachment").values()
    assert attachment["role"] == f'"{role_name}"'
