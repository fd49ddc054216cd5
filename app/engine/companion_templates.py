"""The companion documents of a pipeline as deployable text, beside its service-role policy.

A trust policy becomes the `AssumeRolePolicyDocument` (CloudFormation) or `assume_role_policy`
(Terraform) of its role, an artifact bucket's statements an `AWS::S3::BucketPolicy` or
`aws_s3_bucket_policy`, a key's statements the `KeyPolicy` of an `AWS::KMS::Key` or an
`aws_kms_key_policy`, an SNS topic's an `AWS::SNS::TopicPolicy` or `aws_sns_topic_policy`. Only a
document whose target is known (a whole role ARN, a bucket name, a key ARN, a topic ARN, with no
wildcard or unresolved variable in it) is rendered; the others, and Lambda function policies
(granted one permission at a time, not as a document), are named in a comment, their statements
left to the JSON answer. Each of these resources stands for one that exists already: the comments
say to merge its document into the template or configuration that defines it, keeping the
statements its owner has (a resource policy is replaced whole when it is written).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.engine.companions.documents import CompanionDocument, DocumentKind
from app.engine.hcl_text import hcl_document, hcl_string, terraform_name

_ROLE_ARN = re.compile(
    r"^arn:aws[a-z-]*:iam::\d{12}:role(?P<path>/(?:[\w+=,.@-]+/)*)(?P<name>[\w+=,.@-]+)$"
)
_NAME = re.compile(r"[^A-Za-z0-9]")


def _role(arn: str) -> dict[str, str]:
    match = _ROLE_ARN.match(arn)
    assert match is not None  # only a renderable document is rendered
    return {"name": match["name"], "path": match["path"]}


@dataclass(frozen=True)
class _Form:
    """How one kind of document is written: the resource types and the element holding the
    document in CloudFormation and Terraform, the target's own elements in each, and the part
    of the target the resources are named after."""

    known: re.Pattern[str]  # a target that can be written
    what: str
    cloudformation_type: str
    cloudformation_document: str
    cloudformation_target: Callable[[str], dict[str, Any]]
    terraform_type: str
    terraform_document: str
    terraform_target: Callable[[str], dict[str, str]]
    short: Callable[[str], str]
    suffix: str


_FORMS: Mapping[DocumentKind, _Form] = {
    DocumentKind.TRUST_POLICY: _Form(
        _ROLE_ARN, "trust policy of role",
        "AWS::IAM::Role", "AssumeRolePolicyDocument",
        lambda t: {"RoleName": _role(t)["name"], "Path": _role(t)["path"]},
        "aws_iam_role", "assume_role_policy", _role,
        lambda t: _role(t)["name"], "Trust",
    ),
    DocumentKind.BUCKET_POLICY: _Form(
        re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"), "policy of bucket",
        "AWS::S3::BucketPolicy", "PolicyDocument", lambda t: {"Bucket": t},
        "aws_s3_bucket_policy", "policy", lambda t: {"bucket": t},
        lambda t: t, "Policy",
    ),
    DocumentKind.KEY_POLICY: _Form(
        re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+$"), "key policy of",
        "AWS::KMS::Key", "KeyPolicy", lambda t: {"Description": t},
        "aws_kms_key_policy", "policy", lambda t: {"key_id": t},
        lambda t: t.rsplit("/", 1)[-1], "KeyPolicy",
    ),
    DocumentKind.SNS_TOPIC_POLICY: _Form(
        re.compile(r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]+$"), "policy of topic",
        "AWS::SNS::TopicPolicy", "PolicyDocument", lambda t: {"Topics": [t]},
        "aws_sns_topic_policy", "policy", lambda t: {"arn": t},
        lambda t: t.rsplit(":", 1)[-1], "TopicPolicy",
    ),
}  # fmt: skip
_NOT_WRITTEN = {DocumentKind.LAMBDA_FUNCTION_POLICY: "policy of function"}


@dataclass(frozen=True)
class CompanionText:
    """The resources (CloudFormation) or blocks (Terraform) of the companion documents, and the
    comment lines that say what each stands for."""

    notes: tuple[str, ...]
    resources: dict[str, Any]  # CloudFormation: logical id -> resource
    blocks: tuple[str, ...]  # Terraform


def renderable(kind: DocumentKind, target: str) -> bool:
    """Whether a document of `kind` for `target` is given as a resource of the snippets."""
    form = _FORMS.get(kind)
    return form is not None and form.known.match(target) is not None


def _where(document: CompanionDocument) -> str:
    form = _FORMS.get(document.kind)
    what = form.what if form is not None else _NOT_WRITTEN[document.kind]
    owner = f" (account {document.account})" if document.account else ""
    return f"{what} `{document.target}`{owner}"


def _unique(base: str, used: set[str]) -> str:
    name, n = base, 1
    while name in used:
        n += 1
        name = f"{base}{n}"
    used.add(name)
    return name


def _text(
    documents: Sequence[CompanionDocument],
    taken: set[str],
    name: Callable[[_Form, str], str],
    write: Callable[[_Form, str, CompanionDocument], None],
    defined_in: str,
) -> tuple[str, ...]:
    """Each renderable document written by `write` under a name `name` makes of its form and
    target (not among `taken`, which gains it); the comment lines of all of them."""
    notes: list[str] = []
    left_out: list[str] = []
    for doc in documents:
        if not renderable(doc.kind, doc.target):
            left_out.append(
                f"The {_where(doc)} is not rendered (its target is not known here, or it is "
                "granted otherwise): see `companions` in the JSON answer"
            )
            continue
        form = _FORMS[doc.kind]
        label = _unique(name(form, doc.target), taken)
        write(form, label, doc)
        notes.append(
            f"{label}: the {_where(doc)}; merge into the {defined_in} that defines it, keeping "
            "its other statements"
        )
    return tuple(notes + left_out)


def cloudformation_companions(
    documents: Sequence[CompanionDocument], taken: set[str]
) -> CompanionText:
    """Resources for the renderable documents, their logical ids not among `taken` (which
    gains them)."""
    resources: dict[str, Any] = {}

    def write(form: _Form, label: str, doc: CompanionDocument) -> None:
        properties = {**form.cloudformation_target(doc.target)}
        properties[form.cloudformation_document] = doc.document
        resources[label] = {"Type": form.cloudformation_type, "Properties": properties}

    notes = _text(
        documents,
        taken,
        lambda form, target: _NAME.sub("", form.short(target)) + form.suffix,
        write,
        "template",
    )
    return CompanionText(notes, resources, ())


def terraform_companions(documents: Sequence[CompanionDocument], taken: set[str]) -> CompanionText:
    """Blocks for the renderable documents, their resource names not among `taken` (which
    gains them)."""
    blocks: list[str] = []

    def write(form: _Form, label: str, doc: CompanionDocument) -> None:
        arguments = {k: hcl_string(v) for k, v in form.terraform_target(doc.target).items()}
        arguments[form.terraform_document] = f"jsonencode({hcl_document(doc.document)})"
        width = max(len(k) for k in arguments)
        lines = "".join(f"  {k.ljust(width)} = {v}\n" for k, v in arguments.items())
        blocks.append(f'resource "{form.terraform_type}" "{label}" {{\n{lines}}}\n')

    notes = _text(
        documents,
        taken,
        lambda form, target: terraform_name(f"{form.short(target)}_{form.suffix}"),
        write,
        "configuration",
    )
    return CompanionText(notes, {}, tuple(blocks))
