"""The trust, bucket and key policies a Terraform file defines for what its pipeline names, each
under the target the pipeline's companion document of its kind has."""

from __future__ import annotations

import pytest

from app.engine.companions.assemble import compute_companions
from app.engine.companions.documents import DocumentKind
from app.engine.compute import ComputeContext
from tests.unit.engine.pipeline.terraform_sources import (
    ACCOUNT,
    DEPLOY_ROLE_OTHER,
    KEY_ARN,
    PIPELINE_ROLE,
    REGION,
    configuration,
    line_of,
    parsed,
    resource,
    role,
    trust,
)
from tests.unit.engine.profile_fixtures import shipped_profiles

TRUST, BUCKET, KEY = DocumentKind.TRUST_POLICY, DocumentKind.BUCKET_POLICY, DocumentKind.KEY_POLICY
PIPELINE_AT = "/resource/aws_codepipeline/main"
KEY_ID_AT = f"{PIPELINE_AT}/artifact_store/0/encryption_key/0/id"
LOCATION_AT = f"{PIPELINE_AT}/artifact_store/0/location"


def at(address: str, argument: str) -> str:
    return "/resource/" + address.replace(".", "/") + f"/{argument}"


def trust_of(name: str) -> tuple[DocumentKind, str, str]:
    """The trust policy of `aws_iam_role.<name>`, named `<name>-role`, as read."""
    return (
        TRUST,
        f"arn:aws:iam::{ACCOUNT}:role/{name}-role",
        at(f"aws_iam_role.{name}", "assume_role_policy"),
    )


SERVICE_TRUST = trust_of("pipeline")
KEY_POLICY = (
    'jsonencode({ Version = "2012-10-17", Statement = [{ Sid = "Use", Effect = "Allow", '
    'Principal = { AWS = aws_iam_role.pipeline.arn }, Action = "kms:Decrypt", Resource = "*" }] })'
)
BUCKET_POLICY = 'jsonencode({ Version = "2012-10-17", Statement = [] })'
KEY_RESOURCE = resource("aws_kms_key", "key", f"policy = {KEY_POLICY}")
KEY_STORE = (
    'location = "artifacts"',
    'encryption_key {\n type = "KMS"\n id = aws_kms_key.key.arn\n}',
)
BUCKET_RESOURCE = resource("aws_s3_bucket", "art", 'bucket = "art"')
UNDECIDED = '\nvariable "choice" {\n  type = string\n}\n'


def key_store(key_id: str) -> tuple[str, ...]:
    return ('location = "artifacts"', f'encryption_key {{\n type = "KMS"\n id = {key_id}\n}}')


def stack_role(value: str, *lines: str) -> tuple[str, ...]:
    """The deploy action's lines with `value` as its configuration's RoleArn."""
    return (
        *lines,
        f'configuration = {{ ActionMode = "CREATE_UPDATE", StackName = "app", RoleArn = {value} }}',
    )


def read(text: str) -> set[tuple[DocumentKind, str, str]]:
    """(kind, target, pointer) of every companion policy read."""
    return {
        (p.kind, p.target, p.pointer) for cp in parsed(text).companion_policies for p in cp.policies
    }


RULE = """before_entry {
      condition {
        result = "FAIL"
        rule {
          name = "Check"
          rule_type_id {
            category = "Rule"
            owner    = "AWS"
            provider = "LambdaInvoke"
            version  = "1"
          }
          configuration = { FunctionName = "check" }
          role_arn      = aws_iam_role.rule.arn
        }
      }
    }"""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(configuration(), {SERVICE_TRUST}, id="service-role-in-file"),
        pytest.param(
            configuration(role_arn=f'"arn:aws:iam::{ACCOUNT}:role/elsewhere"'),
            set(),
            id="service-role-not-in-file",
        ),
        pytest.param(
            configuration(role_arn='"${aws_iam_role.pipeline.arn}"'),
            {SERVICE_TRUST},
            id="service-role-in-interpolation",
        ),
        pytest.param(
            configuration(
                "\nlocals {\n  role = aws_iam_role.pipeline.arn\n}\n", role_arn="local.role"
            ),
            {SERVICE_TRUST},
            id="service-role-through-a-local",
        ),
        pytest.param(
            configuration(role_arn="var.role_arn"), set(), id="service-role-not-determined"
        ),
        pytest.param(
            configuration(
                role("deploy", trusted=trust("x.amazonaws.com")),
                deploy=("role_arn = aws_iam_role.deploy.arn",),
            ),
            {SERVICE_TRUST, trust_of("deploy")},
            id="action-role",
        ),
        pytest.param(
            configuration(deploy=(f'role_arn = "{DEPLOY_ROLE_OTHER}"',)),
            {SERVICE_TRUST},
            id="action-role-not-in-file",
        ),
        pytest.param(
            configuration(
                role("stack", trusted=trust("cloudformation.amazonaws.com")),
                deploy=stack_role("aws_iam_role.stack.arn"),
            ),
            {SERVICE_TRUST, trust_of("stack")},
            id="stack-role-by-arn",
        ),
        pytest.param(
            configuration(role("stack"), deploy=stack_role("aws_iam_role.stack.name")),
            {SERVICE_TRUST, trust_of("stack")},
            id="stack-role-by-name",
        ),
        pytest.param(
            configuration(
                role("stack"),
                deploy=stack_role("aws_iam_role.stack.name", f'role_arn = "{DEPLOY_ROLE_OTHER}"'),
            ),
            {SERVICE_TRUST},
            id="stack-role-by-name-in-another-account-is-another-role",
        ),
        pytest.param(
            configuration(
                role("a"),
                role("b"),
                '\nvariable "choice" {\n  default = "a"\n}\n',
                deploy=('role_arn = var.choice == "a" ? aws_iam_role.a.arn : aws_iam_role.b.arn',),
            ),
            {SERVICE_TRUST, trust_of("a")},
            id="decided-condition-its-branch",
        ),
        pytest.param(
            configuration(
                role("deploy"),
                role("other"),
                "\nlocals {\n  roles = { deploy = aws_iam_role.deploy.arn, "
                "other = aws_iam_role.other.arn }\n}\n",
                deploy=('role_arn = local.roles["deploy"]',),
            ),
            {SERVICE_TRUST, trust_of("deploy")},
            id="action-role-of-a-map-of-roles",
        ),
        pytest.param(
            configuration(
                role("deploy"),
                stage=(
                    'dynamic "action" {\n      for_each = [aws_iam_role.deploy.arn]\n'
                    '      content {\n        name = "Approve"\n        category = "Approval"\n'
                    '        owner = "AWS"\n        provider = "Manual"\n        version = "1"\n'
                    "        role_arn = action.value\n      }\n    }",
                ),
            ),
            {SERVICE_TRUST, trust_of("deploy")},
            id="action-role-of-a-dynamic-block-by-its-arn",
        ),
        pytest.param(
            configuration(role("rule"), stage=(RULE,)),
            {SERVICE_TRUST, trust_of("rule")},
            id="rule-role",
        ),
        pytest.param(
            configuration(
                role("deploy", "count = 0"), deploy=("role_arn = aws_iam_role.deploy.arn",)
            ),
            {SERVICE_TRUST},
            id="role-not-created",
        ),
        pytest.param(
            configuration(
                role("deploy", 'for_each = toset(["a", "b"])'),
                deploy=('role_arn = aws_iam_role.deploy["a"].arn',),
            ),
            {SERVICE_TRUST, trust_of("deploy")},
            id="role-with-instances-of-one-trust-policy",
        ),
        pytest.param(
            configuration(
                '\ndata "aws_iam_policy_document" "trust" {\n  statement {\n'
                '    actions = ["sts:AssumeRole"]\n    principals {\n      type = "Service"\n'
                '      identifiers = ["codepipeline.amazonaws.com"]\n    }\n  }\n}\n',
                service_role=False,
            ).replace("role_arn = aws_iam_role.pipeline.arn", "role_arn = aws_iam_role.p.arn")
            + role("p", trusted="data.aws_iam_policy_document.trust.json"),
            {(TRUST, f"arn:aws:iam::{ACCOUNT}:role/p-role", "/data/aws_iam_policy_document/trust")},
            id="trust-from-a-policy-document",
        ),
        pytest.param(
            configuration(KEY_RESOURCE, store=KEY_STORE),
            {SERVICE_TRUST, (KEY, KEY_ARN, at("aws_kms_key.key", "policy"))},
            id="key-by-arn",
        ),
        pytest.param(
            configuration(KEY_RESOURCE, store=key_store("aws_kms_key.key.key_id")),
            {SERVICE_TRUST, (KEY, "*", at("aws_kms_key.key", "policy"))},
            id="key-by-key-id",
        ),
        pytest.param(
            configuration(
                KEY_RESOURCE,
                resource(
                    "aws_kms_alias",
                    "alias",
                    'name = "alias/art"',
                    "target_key_id = aws_kms_key.key.id",
                ),
                store=key_store("aws_kms_alias.alias.arn"),
            ),
            {
                SERVICE_TRUST,
                (KEY, f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/art", at("aws_kms_key.key", "policy")),
            },
            id="key-through-alias-reference",
        ),
        pytest.param(
            configuration(
                KEY_RESOURCE,
                resource(
                    "aws_kms_alias",
                    "alias",
                    'name = "alias/art"',
                    "target_key_id = aws_kms_key.key.arn",
                ),
                store=key_store('"alias/art"'),
            ),
            {SERVICE_TRUST, (KEY, "alias/art", at("aws_kms_key.key", "policy"))},
            id="key-through-alias-named",
        ),
        pytest.param(
            configuration(
                KEY_RESOURCE,
                resource(
                    "aws_kms_key_policy",
                    "own",
                    "key_id = aws_kms_key.key.id",
                    f"policy = {KEY_POLICY}",
                ),
                store=KEY_STORE,
            ),
            {SERVICE_TRUST, (KEY, KEY_ARN, at("aws_kms_key_policy.own", "policy"))},
            id="key-policy-resource-replaces-the-keys-own",
        ),
        pytest.param(
            configuration(
                KEY_RESOURCE, store=key_store(f'"arn:aws:kms:{REGION}:444455556666:key/k"')
            ),
            {SERVICE_TRUST},
            id="key-not-in-file",
        ),
        pytest.param(
            configuration(
                BUCKET_RESOURCE,
                resource(
                    "aws_s3_bucket_policy",
                    "policy",
                    "bucket = aws_s3_bucket.art.id",
                    f"policy = {BUCKET_POLICY}",
                ),
                store=("location = aws_s3_bucket.art.bucket",),
            ),
            {SERVICE_TRUST, (BUCKET, "art", at("aws_s3_bucket_policy.policy", "policy"))},
            id="bucket-policy-by-reference",
        ),
        pytest.param(
            configuration(
                resource(
                    "aws_s3_bucket_policy",
                    "policy",
                    'bucket = "artifacts"',
                    f"policy = {BUCKET_POLICY}",
                ),
            ),
            {SERVICE_TRUST, (BUCKET, "artifacts", at("aws_s3_bucket_policy.policy", "policy"))},
            id="bucket-policy-by-name",
        ),
        pytest.param(
            configuration(
                resource(
                    "aws_s3_bucket_policy",
                    "policy",
                    'bucket = "other"',
                    f"policy = {BUCKET_POLICY}",
                ),
            ),
            {SERVICE_TRUST},
            id="bucket-policy-of-another-bucket",
        ),
        pytest.param(
            configuration(
                resource(
                    "aws_s3_bucket_policy",
                    "policy",
                    "count = 0",
                    'bucket = "artifacts"',
                    f"policy = {BUCKET_POLICY}",
                ),
            ),
            {SERVICE_TRUST},
            id="bucket-policy-not-created",
        ),
        pytest.param(
            configuration(
                resource("aws_s3_bucket", "art", 'bucket = "art"', f"policy = {BUCKET_POLICY}"),
                store=("location = aws_s3_bucket.art.id",),
            ),
            {SERVICE_TRUST, (BUCKET, "art", at("aws_s3_bucket.art", "policy"))},
            id="bucket-policy-of-the-bucket-itself",
        ),
    ],
)
def test_the_policies_of_what_the_pipeline_names_are_read(
    text: str, expected: set[tuple[DocumentKind, str, str]]
) -> None:
    assert read(text) == expected


def test_documents_are_evaluated_and_located() -> None:
    text = configuration(
        KEY_RESOURCE,
        role(
            "stack",
            trusted='<<EOT\n{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", '
            '"Principal": {"Service": "cloudformation.amazonaws.com"}, '
            '"Action": "sts:AssumeRole"}]}\nEOT',
        ),
        store=KEY_STORE,
        deploy=stack_role("aws_iam_role.stack.arn"),
    )
    (policies,) = parsed(text).companion_policies
    by_target = {(p.kind, p.target): p for p in policies.policies}
    key = by_target[(KEY, KEY_ARN)]
    (statement,) = key.document["Statement"]
    assert statement["Principal"] == {"AWS": PIPELINE_ROLE}
    assert key.line == line_of(text, "  policy = jsonencode({ Version")
    stack = by_target[(TRUST, f"arn:aws:iam::{ACCOUNT}:role/stack-role")]
    assert stack.document["Statement"][0]["Principal"] == {
        "Service": "cloudformation.amazonaws.com"
    }  # heredoc JSON text, read as a document
    assert stack.line == line_of(text, "assume_role_policy = <<EOT")
    assert policies.findings == ()


@pytest.mark.parametrize(
    ("text", "path", "words"),
    [
        pytest.param(
            configuration(resource("aws_kms_key", "key", 'description = "k"'), store=KEY_STORE),
            KEY_ID_AT,
            "`aws_kms_key.key` has no `policy` (KMS gives the key its default key policy",
            id="key-without-policy",
        ),
        pytest.param(
            configuration(
                resource(
                    "aws_s3_bucket_policy",
                    "first",
                    'bucket = "artifacts"',
                    f"policy = {BUCKET_POLICY}",
                ),
                resource(
                    "aws_s3_bucket_policy",
                    "second",
                    'bucket = "artifacts"',
                    f"policy = {BUCKET_POLICY}",
                ),
            ),
            LOCATION_AT,
            "`aws_s3_bucket_policy.first`, `aws_s3_bucket_policy.second`",
            id="two-bucket-policies",
        ),
        pytest.param(
            configuration(
                resource("aws_kms_key", "a", f"policy = {KEY_POLICY}"),
                resource("aws_kms_key", "b", f"policy = {KEY_POLICY}"),
                UNDECIDED,
                store=key_store('var.choice == "a" ? aws_kms_key.a.arn : aws_kms_key.b.arn'),
            ),
            KEY_ID_AT,
            "`aws_kms_key.a`, `aws_kms_key.b`",
            id="one-of-two-keys-as-an-undecided-condition-says",
        ),
        pytest.param(
            configuration(
                resource(
                    "aws_kms_key",
                    "key",
                    'for_each = toset(["a", "b"])',
                    'policy = jsonencode({ Version = "2012-10-17", Statement = [{ '
                    'Sid = each.key, Effect = "Allow", Principal = "*", Action = "kms:Decrypt", '
                    'Resource = "*" }] })',
                ),
                store=key_store('aws_kms_key.key["a"].arn'),
            ),
            KEY_ID_AT,
            "the instances of `aws_kms_key.key` have different `policy`s",
            id="instances-of-different-policies",
        ),
        pytest.param(
            configuration(
                '\ndata "aws_iam_policy_document" "key" {\n'
                "  source_policy_documents = [jsonencode({})]\n"
                '  statement {\n    actions = ["kms:Decrypt"]\n    resources = ["*"]\n'
                '    principals {\n      type = "AWS"\n      identifiers = ["*"]\n    }\n  }\n}\n',
                resource("aws_kms_key", "key", "policy = data.aws_iam_policy_document.key.json"),
                store=KEY_STORE,
            ),
            "/data/aws_iam_policy_document/key/source_policy_documents",
            "merges in the documents of `source_policy_documents`, which are not read",
            id="merged-documents-not-read",
        ),
    ],
)
def test_what_cannot_be_read_is_a_finding_at_its_place(text: str, path: str, words: str) -> None:
    (policies,) = parsed(text).companion_policies
    (finding,) = policies.findings
    assert finding.code == "COMPANION_POLICY_NOT_READ"
    assert finding.path == path
    assert words in finding.message
    assert finding.line is not None
    assert (TRUST, PIPELINE_ROLE) in {(p.kind, p.target) for p in policies.policies}


def test_every_target_is_one_the_computed_companion_documents_have() -> None:
    """The same file computed: every policy read stands for a companion document the pipeline
    needs (a cross-account action role makes the bucket policy needed)."""
    text = configuration(
        KEY_RESOURCE,
        BUCKET_RESOURCE,
        resource(
            "aws_s3_bucket_policy",
            "policy",
            "bucket = aws_s3_bucket.art.id",
            f"policy = {BUCKET_POLICY}",
        ),
        role("stack"),
        store=(
            "location = aws_s3_bucket.art.bucket",
            'encryption_key {\n type = "KMS"\n id = aws_kms_key.key.arn\n}',
        ),
        deploy=stack_role("aws_iam_role.stack.arn", f'role_arn = "{DEPLOY_ROLE_OTHER}"'),
    )
    result = parsed(text)
    computed = compute_companions(
        result.pipelines,
        shipped_profiles(),
        context=ComputeContext(account=ACCOUNT, region=REGION),
    )
    needed = {(d.kind, d.target) for d in computed.documents}
    read_targets = {(p.kind, p.target) for cp in result.companion_policies for p in cp.policies}
    assert read_targets == {
        (TRUST, PIPELINE_ROLE),
        (KEY, KEY_ARN),
        (BUCKET, "art"),
        (TRUST, f"arn:aws:iam::{ACCOUNT}:role/stack-role"),
    }
    assert read_targets <= needed


def test_pipelines_sharing_a_role_each_have_its_trust_policy() -> None:
    text = configuration()
    second = text[text.index('resource "aws_codepipeline"') :].replace('"main"', '"second"', 1)
    (first, other) = parsed(text + second).companion_policies
    assert first.policies == other.policies
    assert first.pipeline_pointer != other.pipeline_pointer


def test_what_is_not_known_while_reading_is_not_reported_again() -> None:
    """A trust policy naming a variable without a value: `*` in the document, no finding."""
    text = configuration(
        UNDECIDED,
        role(
            "stack",
            trusted='jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", '
            'Principal = { AWS = var.choice }, Action = "sts:AssumeRole" }] })',
        ),
        deploy=stack_role("aws_iam_role.stack.arn"),
    )
    result = parsed(text)
    (policies,) = result.companion_policies
    stack = next(p for p in policies.policies if "stack-role" in p.target)
    assert stack.document["Statement"][0]["Principal"] == {"AWS": "*"}
    assert not [f for f in result.findings if "choice" in f.message]
