"""The trust, bucket and key policies a CloudFormation template defines for what its pipeline
names, each under the target the pipeline's companion document of its kind has."""

from __future__ import annotations

import json
from typing import Any

import pytest

from app.engine.companions.assemble import compute_companions
from app.engine.companions.documents import DocumentKind
from app.engine.compute import ComputeContext
from app.engine.pipeline.cloudformation import parse_cloudformation
from app.engine.pipeline.template_values import ParsedTemplate, TemplateContext
from tests.unit.engine.profile_fixtures import shipped_profiles

ACCOUNT, OTHER, REGION = "111122223333", "444455556666", "eu-west-1"
CONTEXT = TemplateContext(account=ACCOUNT, region=REGION)
TRUST, BUCKET, KEY = DocumentKind.TRUST_POLICY, DocumentKind.BUCKET_POLICY, DocumentKind.KEY_POLICY
KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/*"  # a key's ID is assigned at creation
PIPELINE_ROLE = f"arn:aws:iam::{ACCOUNT}:role/pipeline-role"
DEPLOY_ROLE = f"arn:aws:iam::{ACCOUNT}:role/deploy-role"
STACK_ROLE = f"arn:aws:iam::{ACCOUNT}:role/stack-role"
DEPLOY_ROLE_OTHER = f"arn:aws:iam::{OTHER}:role/deploy"


def ref(name: str) -> dict[str, Any]:
    return {"Ref": name}


def arn(logical_id: str, attribute: str = "Arn") -> dict[str, Any]:
    return {"Fn::GetAtt": [logical_id, attribute]}


def if_(condition: str, yes: Any, no: Any) -> dict[str, Any]:
    return {"Fn::If": [condition, yes, no]}


def policy(sid: str, principal: Any, action: str, **extra: Any) -> dict[str, Any]:
    statement = {"Sid": sid, "Effect": "Allow", "Principal": principal, "Action": action, **extra}
    return {"Version": "2012-10-17", "Statement": [statement]}


def role(name: str, service: str = "codepipeline.amazonaws.com", **props: Any) -> dict[str, Any]:
    document = policy("Trust", {"Service": service}, "sts:AssumeRole")
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {"RoleName": name, "AssumeRolePolicyDocument": document, **props},
    }


KEY_POLICY = policy("Use", {"AWS": arn("PipelineRole")}, "kms:Decrypt", Resource="*")
BUCKET_POLICY = policy(
    "Read", {"AWS": f"arn:aws:iam::{OTHER}:root"}, "s3:GetObject", Resource="arn:aws:s3:::b/*"
)


def key(**props: Any) -> dict[str, Any]:
    return {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": KEY_POLICY, **props}}


def bucket_policy(bucket: Any, **extra: Any) -> dict[str, Any]:
    properties = {"Bucket": bucket, "PolicyDocument": BUCKET_POLICY}
    return {"Type": "AWS::S3::BucketPolicy", "Properties": properties, **extra}


def template(
    *,
    store: dict[str, Any] | None = None,
    deploy: dict[str, Any] | None = None,
    resources: dict[str, Any] | None = None,
    conditions: dict[str, Any] | None = None,
    role_arn: Any = None,
) -> str:
    """A CodeCommit -> CloudFormation pipeline whose service role is the template's
    `PipelineRole`; `deploy` is merged into the deploy action."""
    action = {
        "Name": "Stack",
        "ActionTypeId": {
            "Category": "Deploy",
            "Owner": "AWS",
            "Provider": "CloudFormation",
            "Version": "1",
        },
        "Configuration": {"ActionMode": "CREATE_UPDATE", "StackName": "app"},
        "InputArtifacts": [{"Name": "src"}],
        **(deploy or {}),
    }
    source = {
        "Name": "Source",
        "ActionTypeId": {
            "Category": "Source",
            "Owner": "AWS",
            "Provider": "CodeCommit",
            "Version": "1",
        },
        "Configuration": {"RepositoryName": "repo", "BranchName": "main"},
        "OutputArtifacts": [{"Name": "src"}],
    }
    pipeline = {
        "Type": "AWS::CodePipeline::Pipeline",
        "Properties": {
            "RoleArn": role_arn or arn("PipelineRole"),
            "ArtifactStore": store or {"Type": "S3", "Location": "artifacts"},
            "Stages": [
                {"Name": "Source", "Actions": [source]},
                {"Name": "Deploy", "Actions": [action]},
            ],
        },
    }
    body: dict[str, Any] = {
        "Parameters": {"Choice": {"Type": "String", "Default": "a"}},
        "Conditions": conditions or {"IsA": {"Fn::Equals": [ref("Choice"), "a"]}},
        "Resources": {
            "Pipeline": pipeline,
            "PipelineRole": role("pipeline-role"),
            **(resources or {}),
        },
    }
    return json.dumps(body, indent=1)


def with_deploy_stage(text: str, change: Any) -> str:
    """The template with its deploy stage changed by `change` (which edits it in place)."""
    body = json.loads(text)
    change(body["Resources"]["Pipeline"]["Properties"]["Stages"][1])
    return json.dumps(body, indent=1)


def _rule_with_role(stage: dict[str, Any]) -> None:
    rule = {
        "Name": "Check",
        "RuleTypeId": {
            "Category": "Rule",
            "Owner": "AWS",
            "Provider": "LambdaInvoke",
            "Version": "1",
        },
        "Configuration": {"FunctionName": "check"},
        "RoleArn": arn("RuleRole"),
    }
    stage["BeforeEntry"] = {"Conditions": [{"Result": "FAIL", "Rules": [rule]}]}


def _action_in_two_forms(stage: dict[str, Any]) -> None:
    first = stage["Actions"][0]
    stage["Actions"][0] = if_(
        "Open", {**first, "RoleArn": arn("RoleA")}, {**first, "RoleArn": arn("RoleB")}
    )


OPEN = {"Open": {"Fn::Equals": [{"Ref": "AWS::StackName"}, "x"]}}


def parsed(text: str, context: TemplateContext = CONTEXT) -> ParsedTemplate:
    return parse_cloudformation(text, context=context)


def read(text: str) -> set[tuple[DocumentKind, str, str]]:
    """(kind, target, pointer) of every companion policy read."""
    return {
        (p.kind, p.target, p.pointer) for cp in parsed(text).companion_policies for p in cp.policies
    }


def at(logical_id: str, key: str) -> str:
    return f"/Resources/{logical_id}/Properties/{key}"


def stack_role_deploy(stack_role: Any, **action: Any) -> dict[str, Any]:
    """The deploy action's members with `stack_role` as its configuration's RoleArn."""
    configuration = {"ActionMode": "CREATE_UPDATE", "StackName": "app", "RoleArn": stack_role}
    return {**action, "Configuration": configuration}


def key_store(key_id: Any) -> dict[str, Any]:
    return {"Type": "S3", "Location": "artifacts", "EncryptionKey": {"Type": "KMS", "Id": key_id}}


def alias(name: str, key: Any) -> dict[str, Any]:
    return {"Type": "AWS::KMS::Alias", "Properties": {"AliasName": name, "TargetKeyId": key}}


def trust_of(name: str, logical_id: str) -> tuple[DocumentKind, str, str]:
    """The trust policy of the template's role `logical_id`, named `name`, as read."""
    return (
        TRUST,
        f"arn:aws:iam::{ACCOUNT}:role/{name}",
        at(logical_id, "AssumeRolePolicyDocument"),
    )


SERVICE_ROLE_TRUST = trust_of("pipeline-role", "PipelineRole")
STACK_ROLE_TRUST = trust_of("stack-role", "StackRole")
STACK_ROLE_RESOURCE = {"StackRole": role("stack-role", "cloudformation.amazonaws.com")}
STORE_WITH_KEY = key_store(arn("Key"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(template(), {SERVICE_ROLE_TRUST}, id="service-role-in-template"),
        pytest.param(
            template(role_arn=f"arn:aws:iam::{ACCOUNT}:role/elsewhere"),
            set(),
            id="service-role-not-in-template",
        ),
        pytest.param(
            template(role_arn={"Fn::Sub": "${PipelineRole.Arn}"}),
            {SERVICE_ROLE_TRUST},
            id="service-role-by-sub",
        ),
        pytest.param(
            template(
                deploy={"RoleArn": arn("DeployRole")},
                resources={"DeployRole": role("deploy-role", service="x.amazonaws.com")},
            ),
            {
                SERVICE_ROLE_TRUST,
                (TRUST, DEPLOY_ROLE, at("DeployRole", "AssumeRolePolicyDocument")),
            },
            id="action-role",
        ),
        pytest.param(
            template(deploy={"RoleArn": DEPLOY_ROLE_OTHER}),
            {SERVICE_ROLE_TRUST},
            id="action-role-not-in-template",
        ),
        pytest.param(
            template(
                deploy=stack_role_deploy(arn("StackRole")),
                resources=STACK_ROLE_RESOURCE,
            ),
            {SERVICE_ROLE_TRUST, STACK_ROLE_TRUST},
            id="stack-role-by-arn",
        ),
        pytest.param(
            template(
                deploy=stack_role_deploy(ref("StackRole")),
                resources=STACK_ROLE_RESOURCE,
            ),
            {SERVICE_ROLE_TRUST, STACK_ROLE_TRUST},
            id="stack-role-by-name",
        ),
        pytest.param(
            template(
                deploy=stack_role_deploy(ref("StackRole"), RoleArn=DEPLOY_ROLE_OTHER),
                resources=STACK_ROLE_RESOURCE,
            ),
            {SERVICE_ROLE_TRUST},
            id="stack-role-by-name-in-another-account-is-another-role",
        ),
        pytest.param(
            template(
                deploy={"RoleArn": if_("Open", arn("RoleA"), arn("RoleB"))},
                conditions=OPEN,
                resources={"RoleA": role("role-a"), "RoleB": role("role-b")},
            ),
            {
                SERVICE_ROLE_TRUST,
                trust_of("role-a", "RoleA"),
                trust_of("role-b", "RoleB"),
            },
            id="undecided-if-each-branch-its-role",
        ),
        pytest.param(
            with_deploy_stage(
                template(
                    conditions=OPEN, resources={"RoleA": role("role-a"), "RoleB": role("role-b")}
                ),
                _action_in_two_forms,
            ),
            {
                SERVICE_ROLE_TRUST,
                trust_of("role-a", "RoleA"),
                trust_of("role-b", "RoleB"),
            },
            id="undecided-if-each-form-of-the-action-its-role",
        ),
        pytest.param(
            with_deploy_stage(template(resources={"RuleRole": role("rule-role")}), _rule_with_role),
            {
                SERVICE_ROLE_TRUST,
                (
                    TRUST,
                    f"arn:aws:iam::{ACCOUNT}:role/rule-role",
                    at("RuleRole", "AssumeRolePolicyDocument"),
                ),
            },
            id="rule-role",
        ),
        pytest.param(
            template(
                deploy={"RoleArn": if_("IsA", arn("RoleA"), arn("RoleB"))},
                resources={"RoleA": role("role-a"), "RoleB": role("role-b")},
            ),
            {
                SERVICE_ROLE_TRUST,
                trust_of("role-a", "RoleA"),
            },
            id="decided-if-its-branch",
        ),
        pytest.param(
            template(store=STORE_WITH_KEY, resources={"Key": key()}),
            {SERVICE_ROLE_TRUST, (KEY, KEY_ARN, at("Key", "KeyPolicy"))},
            id="key-by-getatt-arn",
        ),
        pytest.param(
            template(
                store=key_store(ref("Key")),
                resources={"Key": key()},
            ),
            {SERVICE_ROLE_TRUST, (KEY, "*", at("Key", "KeyPolicy"))},
            id="key-by-ref",
        ),
        pytest.param(
            template(
                store=key_store(arn("Key", "KeyId")),
                resources={"Key": key()},
            ),
            {SERVICE_ROLE_TRUST, (KEY, "*", at("Key", "KeyPolicy"))},
            id="key-by-getatt-keyid",
        ),
        pytest.param(
            template(
                store=key_store(ref("Alias")),
                resources={
                    "Key": key(),
                    "Alias": alias("alias/art", ref("Key")),
                },
            ),
            {SERVICE_ROLE_TRUST, (KEY, "alias/art", at("Key", "KeyPolicy"))},
            id="key-through-alias-ref",
        ),
        pytest.param(
            template(
                store=key_store("alias/art"),
                resources={
                    "Key": key(),
                    "Alias": alias("alias/art", arn("Key")),
                },
            ),
            {SERVICE_ROLE_TRUST, (KEY, "alias/art", at("Key", "KeyPolicy"))},
            id="key-through-alias-named",
        ),
        pytest.param(
            template(
                store=key_store(f"arn:aws:kms:{REGION}:{OTHER}:key/k"),
                resources={"Key": key()},
            ),
            {SERVICE_ROLE_TRUST},
            id="key-not-in-template",
        ),
        pytest.param(
            template(
                store={"Type": "S3", "Location": ref("Bucket")},
                resources={
                    "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "art"}},
                    "BucketPolicy": bucket_policy(ref("Bucket")),
                },
            ),
            {SERVICE_ROLE_TRUST, (BUCKET, "art", at("BucketPolicy", "PolicyDocument"))},
            id="bucket-policy-by-ref",
        ),
        pytest.param(
            template(resources={"BucketPolicy": bucket_policy("artifacts")}),
            {SERVICE_ROLE_TRUST, (BUCKET, "artifacts", at("BucketPolicy", "PolicyDocument"))},
            id="bucket-policy-by-name",
        ),
        pytest.param(
            template(resources={"BucketPolicy": bucket_policy("other-bucket")}),
            {SERVICE_ROLE_TRUST},
            id="bucket-policy-of-another-bucket",
        ),
        pytest.param(
            template(
                resources={"BucketPolicy": bucket_policy("artifacts", Condition="NotA")},
                conditions={"IsA": True, "NotA": {"Fn::Equals": ["a", "b"]}},
            ),
            {SERVICE_ROLE_TRUST},
            id="bucket-policy-not-created",
        ),
    ],
)
def test_the_policies_of_what_the_pipeline_names_are_read(
    text: str, expected: set[tuple[DocumentKind, str, str]]
) -> None:
    assert read(text) == expected


def test_documents_are_resolved_json_text_read_and_undecided_branches_merged() -> None:
    key_policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Use",
                "Effect": "Allow",
                "Principal": {"AWS": arn("PipelineRole")},
                "Action": if_("Open", "kms:Decrypt", "kms:GenerateDataKey"),
                "Resource": "*",
            },
        ],
    }
    stack_trust = json.dumps(
        policy("Trust", {"Service": "cloudformation.amazonaws.com"}, "sts:AssumeRole")
    )
    text = template(
        store=STORE_WITH_KEY,
        deploy=stack_role_deploy(arn("StackRole")),
        conditions=OPEN,
        resources={
            "Key": key(KeyPolicy=key_policy),
            "StackRole": {
                "Type": "AWS::IAM::Role",
                "Properties": {"RoleName": "stack-role", "AssumeRolePolicyDocument": stack_trust},
            },
        },
    )
    (policies,) = parsed(text).companion_policies
    by_kind = {(p.kind, p.target): p for p in policies.policies}
    key_document = by_kind[(KEY, KEY_ARN)].document
    (statement,) = key_document["Statement"]
    assert statement["Principal"] == {"AWS": PIPELINE_ROLE}
    assert statement["Action"] == "kms:*"  # either branch's action, widened
    trust = by_kind[(TRUST, STACK_ROLE)]
    assert trust.document["Statement"][0]["Principal"] == {
        "Service": "cloudformation.amazonaws.com"
    }
    assert trust.line == _line_of(text, '"AssumeRolePolicyDocument": "{')
    assert policies.findings == ()


def _line_of(text: str, fragment: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if fragment in line)


@pytest.mark.parametrize(
    ("text", "path", "words"),
    [
        pytest.param(
            template(store=STORE_WITH_KEY, resources={"Key": {"Type": "AWS::KMS::Key"}}),
            "/Resources/Pipeline/Properties/ArtifactStore/EncryptionKey/Id",
            "`Key` has no `KeyPolicy`",
            id="key-without-key-policy",
        ),
        pytest.param(
            template(
                resources={
                    "BucketPolicy": {
                        "Type": "AWS::S3::BucketPolicy",
                        "Properties": {"Bucket": "artifacts"},
                    },
                },
            ),
            "/Resources/Pipeline/Properties/ArtifactStore/Location",
            "`BucketPolicy` has no `PolicyDocument`",
            id="bucket-policy-without-document",
        ),
        pytest.param(
            template(
                resources={
                    "First": bucket_policy("artifacts"),
                    "Second": bucket_policy("artifacts"),
                },
            ),
            "/Resources/Pipeline/Properties/ArtifactStore/Location",
            "`First`, `Second`",
            id="two-bucket-policies",
        ),
        pytest.param(
            template(
                store=key_store(if_("Open", arn("KeyA"), arn("KeyB"))),
                conditions=OPEN,
                resources={"KeyA": key(), "KeyB": key()},
            ),
            "/Resources/Pipeline/Properties/ArtifactStore/EncryptionKey/Id",
            "`KeyA`, `KeyB`",
            id="one-of-two-keys-the-same-arn",
        ),
    ],
)
def test_what_cannot_be_read_is_a_finding_at_the_place_that_names_it(
    text: str, path: str, words: str
) -> None:
    (policies,) = parsed(text).companion_policies
    assert [(p.kind, p.target) for p in policies.policies] == [(TRUST, PIPELINE_ROLE)]
    (finding,) = policies.findings
    assert finding.code == "COMPANION_POLICY_NOT_READ"
    assert finding.path == path
    assert words in finding.message
    assert finding.line is not None


def test_every_target_is_one_the_computed_companion_documents_have() -> None:
    """The same template computed: every policy read stands for a companion document the
    pipeline needs (a cross-account action role makes the bucket policy needed)."""
    text = template(
        store={**STORE_WITH_KEY, "Location": ref("Bucket")},
        deploy=stack_role_deploy(arn("StackRole"), RoleArn=DEPLOY_ROLE_OTHER),
        resources={
            "Key": key(),
            "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "art"}},
            "BucketPolicy": bucket_policy(ref("Bucket")),
            **STACK_ROLE_RESOURCE,
        },
    )
    template_parsed = parsed(text)
    computed = compute_companions(
        template_parsed.pipelines,
        shipped_profiles(),
        context=ComputeContext(account=ACCOUNT, region=REGION),
    )
    needed = {(d.kind, d.target) for d in computed.documents}
    read_targets = {
        (p.kind, p.target) for cp in template_parsed.companion_policies for p in cp.policies
    }
    assert read_targets == {
        (TRUST, PIPELINE_ROLE),
        (KEY, KEY_ARN),
        (BUCKET, "art"),
        (TRUST, STACK_ROLE),
    }
    assert read_targets <= needed


def test_pipelines_sharing_a_role_each_have_its_trust_policy() -> None:
    body = json.loads(template())
    body["Resources"]["Second"] = body["Resources"]["Pipeline"]
    (first, second) = parsed(json.dumps(body)).companion_policies
    assert first.policies == second.policies
    assert first.pipeline_pointer != second.pipeline_pointer


def _generated_role() -> dict[str, Any]:
    generated = role("unused")
    del generated["Properties"]["RoleName"]  # CloudFormation generates the name
    return generated


_SUB_KEY_POLICY = {
    "Fn::Sub": json.dumps(
        policy("Use", {"AWS": "${GeneratedRole.Arn}"}, "kms:Decrypt", Resource="*")
    )
}


@pytest.mark.parametrize(
    ("key_policy", "undetermined"),
    [
        pytest.param(KEY_POLICY, (), id="named-role"),
        pytest.param(
            policy("Use", {"AWS": [arn("GeneratedRole"), DEPLOY_ROLE]}, "kms:Decrypt"),
            ("/Statement/0/Principal/AWS/0",),
            id="generated-name",
        ),
        pytest.param(_SUB_KEY_POLICY, ("/Statement/0/Principal/AWS",), id="json-text"),
    ],
)
def test_the_places_a_template_does_not_determine_are_kept(
    key_policy: Any, undetermined: tuple[str, ...]
) -> None:
    """Where a value of a companion policy is widened because the template does not determine
    it (the ARN of a role CloudFormation names), in a document or a JSON text of one."""
    text = template(
        store=STORE_WITH_KEY,
        resources={"Key": key(KeyPolicy=key_policy), "GeneratedRole": _generated_role()},
    )
    (policies,) = parsed(text).companion_policies
    (found,) = [p for p in policies.policies if p.kind is KEY]
    base = at("Key", "KeyPolicy")
    assert [place for place, _ in found.undetermined] == [base + p for p in undetermined]
    principal = json.dumps(found.document["Statement"][0]["Principal"])
    assert (f"arn:aws:iam::{ACCOUNT}:role/*" in principal) is bool(undetermined)
