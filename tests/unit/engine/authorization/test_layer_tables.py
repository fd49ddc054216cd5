"""Every case of §10 of shared/reference/iam-evaluation-layers.md, one table per layer; each
row names its § 10 number (or what it adds) and the rule and source it checks."""

from __future__ import annotations

import pytest

from app.engine.authorization import (
    AuthorizationContext as Ctx,
)
from app.engine.authorization import (
    AuthorizationRequest as Req,
)
from app.engine.authorization import Principal
from tests.unit.engine.authorization.cases import (
    BUCKET,
    FULL_ACCESS,
    KEY_A,
    OBJECT,
    ROLE_R,
    ROOT_A,
    ROOT_B,
    SESS,
    USER_U,
    A,
    B,
    Case,
    allow,
    anonymous,
    attached,
    aws,
    check,
    deny,
    doc,
    get_object,
    org,
    root_a,
    session,
    stmt,
    user_u,
)

S3_ALL = allow("s3:*")
EC2_ONLY = allow("ec2:*")
BUCKET_B = "arn:aws:s3:::bucket-b"
OBJECT_B = f"{BUCKET_B}/k"
SESS_B = f"arn:aws:sts::{B}:assumed-role/X/s"
session_b = Principal(SESS_B, "assumed_role")


def grants(principal: object, bucket: str = BUCKET, **kw: object) -> dict[str, object]:
    """A bucket policy allowing s3:GetObject on the bucket's objects to `principal`."""
    return {bucket: allow("s3:GetObject", f"{bucket}/*", principal=principal, **kw)}


HTTP_RCP = Ctx(
    user_u,
    [S3_ALL],
    accounts={
        A: org(
            rcp=[
                [
                    FULL_ACCESS,
                    deny(
                        "s3:*",
                        principal="*",
                        condition={"BoolIfExists": {"aws:SecureTransport": "false"}},
                    ),
                ]
            ]
        )
    },
)

IDENTITY = [
    Case("identity allows", "R1.5 ENF", Ctx(user_u, [S3_ALL]), get_object(), "allowed", "identity"),
    Case(
        "no identity policy", "R1.1 ENF", Ctx(user_u), get_object(), "implicitly_denied", "identity"
    ),
    Case(
        "identity deny beats allow",
        "R1.2 ENF",
        Ctx(user_u, [S3_ALL, deny("s3:GetObject")]),
        get_object(),
        "explicitly_denied",
        "identity",
    ),
    Case("root user, no policy", "R1.1 ENF", Ctx(root_a), get_object(), "allowed", "root"),
    Case(
        "#19 id Allow; rbp names account A",
        "R1.8",
        Ctx(
            user_u,
            [S3_ALL],
            resource_policies={BUCKET: allow("s3:*", f"{BUCKET}/*", principal=aws(ROOT_A))},
        ),
        get_object(),
        "allowed",
        "identity",
    ),
]

BOUNDARY = [
    Case(
        "boundary allows too",
        "R1.6 PB",
        Ctx(user_u, [S3_ALL], permission_boundary=S3_ALL),
        get_object(),
        "allowed",
        "identity",
    ),
    Case(
        "boundary does not cover",
        "R1.6 PB",
        Ctx(user_u, [S3_ALL], permission_boundary=EC2_ONLY),
        get_object(),
        "implicitly_denied",
        "boundary",
    ),
    Case(
        "boundary grants nothing alone",
        "R1.6 PB",
        Ctx(user_u, [], permission_boundary=S3_ALL),
        get_object(),
        "implicitly_denied",
        "identity",
    ),
    Case(
        "#10 rbp names user u; PB ec2:* only",
        "§2, R2.1",
        Ctx(
            user_u,
            permission_boundary=EC2_ONLY,
            resource_policies=grants(aws(USER_U)),
        ),
        get_object(),
        "allowed",
        "resource",
    ),
    Case(
        "#11 rbp names user u; PB Deny s3:*",
        "R2.1 POL",
        Ctx(
            user_u,
            permission_boundary=doc(stmt("Allow", "*"), stmt("Deny", "s3:*")),
            resource_policies=grants(aws(USER_U)),
        ),
        get_object(),
        "explicitly_denied",
        "boundary",
    ),
    Case(
        "#13 rbp names role ARN; PB ec2:* only",
        "§2 ENF PB",
        Ctx(
            session,
            permission_boundary=EC2_ONLY,
            resource_policies=grants(aws(ROLE_R)),
        ),
        get_object(),
        "implicitly_denied",
        "boundary",
    ),
    Case(
        "#14 rbp names session ARN; PB ec2:* only",
        "§2 ENF PB",
        Ctx(
            session,
            permission_boundary=EC2_ONLY,
            resource_policies=grants(aws(SESS)),
        ),
        get_object(),
        "allowed",
        "resource",
    ),
    Case(
        "#17 rbp * + aws:PrincipalArn = role R; PB ec2:* only",
        "§2 PRIN",
        Ctx(
            session,
            permission_boundary=EC2_ONLY,
            resource_policies=grants("*", condition={"ArnEquals": {"aws:PrincipalArn": ROLE_R}}),
        ),
        get_object(),
        "allowed",
        "resource",
    ),
]

SESSION = [
    Case(
        "session policy allows",
        "R1.7 ENF",
        Ctx(session, [S3_ALL], session_policies=[S3_ALL]),
        get_object(),
        "allowed",
        "identity",
    ),
    Case(
        "session policy does not cover",
        "R1.7 ENF",
        Ctx(session, [S3_ALL], session_policies=[EC2_ONLY]),
        get_object(),
        "implicitly_denied",
        "session",
    ),
    Case(
        "role session without session policy is not limited",
        "R1.7 ENF",
        Ctx(session, [S3_ALL]),
        get_object(),
        "allowed",
        "identity",
    ),
    Case(
        "an empty list of session policies is none passed: not limited",
        "R1.7 ENF",
        Ctx(session, [S3_ALL], session_policies=[]),
        get_object(),
        "allowed",
        "identity",
    ),
    Case(
        "#15 rbp names role ARN; session policy ec2:* only",
        "§2 POL",
        Ctx(
            session,
            session_policies=[EC2_ONLY],
            resource_policies=grants(aws(ROLE_R)),
        ),
        get_object(),
        "implicitly_denied",
        "session",
    ),
    Case(
        "#16 rbp names session ARN; session policy ec2:* only (docs, not SIM)",
        "§8 ENF PB POL",
        Ctx(
            session,
            session_policies=[EC2_ONLY],
            resource_policies=grants(aws(SESS)),
        ),
        get_object(),
        "allowed",
        "resource",
    ),
    Case(
        "session policy deny wins over a session-ARN grant",
        "R1.2 ENF",
        Ctx(
            session,
            session_policies=[deny("s3:*")],
            resource_policies=grants(aws(SESS)),
        ),
        get_object(),
        "explicitly_denied",
        "session",
    ),
]

ORGANISATION = [
    Case(
        "#1 SCP Deny at one OU",
        "R1.2 R1.4 SCPE",
        Ctx(user_u, [S3_ALL], accounts={A: org(scp=[[FULL_ACCESS], [FULL_ACCESS, deny("s3:*")]])}),
        get_object(),
        "explicitly_denied",
        "scp",
        {"level": 1},
    ),
    Case(
        "#2 root level full access, OU allows only ec2:*",
        "R1.4 SCPE",
        Ctx(user_u, [S3_ALL], accounts={A: org(scp=[[FULL_ACCESS], [EC2_ONLY]])}),
        get_object(),
        "implicitly_denied",
        "scp",
        {"level": 1},
    ),
    Case(
        "#3 an SCP level with no policy",
        "R1.4 SIM",
        Ctx(user_u, [S3_ALL], accounts={A: org(scp=[[FULL_ACCESS], []])}),
        get_object(),
        "implicitly_denied",
        "scp",
        {"level": 1},
    ),
    Case(
        "#4 as #2 in the management account",
        "R1.4 SCP",
        Ctx(user_u, [S3_ALL], accounts={A: org(scp=[[FULL_ACCESS], [EC2_ONLY]], management=True)}),
        get_object(),
        "allowed",
        "identity",
    ),
    Case(
        "#5 SCP deny-all; service-linked role",
        "R1.4 R7.3 SCP",
        Ctx(
            Principal(
                f"arn:aws:sts::{A}:assumed-role/AWSServiceRoleForX/s",
                "assumed_role",
                role_arn=f"arn:aws:iam::{A}:role/aws-service-role/x.amazonaws.com/AWSServiceRoleForX",
            ),
            [S3_ALL],
            accounts={A: org(scp=[[deny("*")]])},
        ),
        get_object(),
        "allowed",
        "identity",
    ),
    Case(
        "#6 RCP Deny s3:* over HTTP",
        "R1.3 ENF RCPE",
        HTTP_RCP,
        get_object(context={"aws:SecureTransport": "false"}),
        "explicitly_denied",
        "rcp",
    ),
    Case(
        "#6 same RCP over HTTPS",
        "R1.3 ENF RCPE",
        HTTP_RCP,
        get_object(context={"aws:SecureTransport": "true"}),
        "allowed",
        "identity",
    ),
    Case(
        "#7 RCP Deny on B's bucket; caller in A with id+rbp Allow",
        "R3.3 RCP",
        Ctx(
            user_u,
            [S3_ALL],
            resource_policies=grants(aws(USER_U), BUCKET_B),
            accounts={B: org(rcp=[[FULL_ACCESS, deny("s3:*", principal="*")]])},
        ),
        get_object(OBJECT_B, B),
        "explicitly_denied",
        "rcp",
    ),
    Case(
        "#8 RCP Deny attached to A only; A user reads B's bucket",
        "R3.3 RCP",
        Ctx(
            user_u,
            [S3_ALL],
            resource_policies=grants(aws(USER_U), BUCKET_B),
            accounts={A: org(rcp=[[FULL_ACCESS, deny("s3:*", principal="*")]])},
        ),
        get_object(OBJECT_B, B),
        "allowed",
        "resource",
    ),
    Case(
        "SCP of the bucket's account does not bind outside callers",
        "R3.3 SCP",
        Ctx(
            user_u,
            [S3_ALL],
            resource_policies=grants(aws(USER_U), BUCKET_B),
            accounts={B: org(scp=[[deny("*")]])},
        ),
        get_object(OBJECT_B, B),
        "allowed",
        "resource",
    ),
    Case(
        "an RCP level must allow",
        "R1.3 ENF",
        Ctx(user_u, [S3_ALL], accounts={A: org(rcp=[[EC2_ONLY]])}),
        get_object(),
        "implicitly_denied",
        "rcp",
    ),
    Case(
        "RCPs leave services they do not govern",
        "R1.3 RCP",
        Ctx(user_u, [allow("ec2:*")], accounts={A: org(rcp=[[deny("*", principal="*")]])}),
        Req("ec2:RunInstances", f"arn:aws:ec2:us-east-1:{A}:instance/i-1"),
        "allowed",
        "identity",
    ),
    Case(
        "the root user is bound by SCPs",
        "R1.1 POL SCP",
        Ctx(root_a, accounts={A: org(scp=[[deny("s3:*")]])}),
        get_object(),
        "explicitly_denied",
        "scp",
    ),
]

RESOURCE_SAME_ACCOUNT = [
    Case(
        "#9 rbp names user u; no id",
        "§2 ENF",
        Ctx(user_u, resource_policies=grants(aws(USER_U))),
        get_object(),
        "allowed",
        "resource",
    ),
    Case(
        "#12 rbp names role ARN R; no id",
        "§2 ENF",
        Ctx(
            session,
            resource_policies=grants(aws(ROLE_R)),
        ),
        get_object(),
        "allowed",
        "resource",
    ),
    Case(
        "#18 rbp names account A; no id",
        "§2 last row PRIN",
        Ctx(user_u, resource_policies=grants(aws(ROOT_A))),
        get_object(),
        "implicitly_denied",
        "identity",
    ),
    Case(
        "rbp Deny beats id Allow",
        "R1.2 ENF",
        Ctx(
            user_u, [S3_ALL], resource_policies={BUCKET: deny("s3:*", f"{BUCKET}/*", principal="*")}
        ),
        get_object(),
        "explicitly_denied",
        "resource",
    ),
    Case(
        "rbp NotResource leaves the object",
        "R1.8",
        Ctx(
            user_u,
            resource_policies={
                BUCKET: doc(
                    {
                        "Effect": "Allow",
                        "Principal": aws(USER_U),
                        "Action": "s3:GetObject",
                        "NotResource": OBJECT,
                    }
                )
            },
        ),
        get_object(),
        "implicitly_denied",
        "identity",
    ),
    Case(
        "federated session reached through its user's grant, limited by PB",
        "§2 ENF GFT",
        Ctx(
            Principal(f"arn:aws:sts::{A}:federated-user/u", "federated_user", federated_by=USER_U),
            permission_boundary=EC2_ONLY,
            resource_policies=grants(aws(USER_U)),
        ),
        get_object(),
        "implicitly_denied",
        "boundary",
    ),
    Case(
        "federated-user ARN named",
        "§2 ENF",
        Ctx(
            Principal(f"arn:aws:sts::{A}:federated-user/u", "federated_user"),
            session_policies=[EC2_ONLY],
            resource_policies=grants(aws(f"arn:aws:sts::{A}:federated-user/u")),
        ),
        get_object(),
        "allowed",
        "resource",
    ),
]

CROSS_ACCOUNT = [
    Case(
        "#20 id Allow in A; no rbp on B's bucket",
        "R3.1 XACCT",
        Ctx(user_u, [S3_ALL]),
        get_object(OBJECT_B, B),
        "implicitly_denied",
        "resource",
    ),
    Case(
        "#21 rbp in B names the session; no id in A",
        "R3.2 XACCT",
        Ctx(
            session,
            resource_policies=grants(aws(SESS), BUCKET_B),
        ),
        get_object(OBJECT_B, B),
        "implicitly_denied",
        "identity",
    ),
    Case(
        "#22 id Allow; rbp in B names account A; PB ec2:* only",
        "R3.1 R3.2 PB",
        Ctx(
            user_u,
            [S3_ALL],
            permission_boundary=EC2_ONLY,
            resource_policies=grants(aws(A), BUCKET_B),
        ),
        get_object(OBJECT_B, B),
        "implicitly_denied",
        "boundary",
    ),
    Case(
        "id Allow; rbp in B names account A",
        "R3.1 XRES",
        Ctx(
            user_u,
            [S3_ALL],
            resource_policies=grants(aws(A), BUCKET_B),
        ),
        get_object(OBJECT_B, B),
        "allowed",
        "resource",
    ),
    Case(
        "no partition crossing",
        "R3.5 XRES",
        Ctx(
            Principal("arn:aws-cn:iam::111111111111:user/u", "user"),
            [S3_ALL],
            resource_policies=grants(aws(A), BUCKET_B),
        ),
        get_object(OBJECT_B, B),
        "implicitly_denied",
        "resource",
    ),
]

KMS = [
    Case(
        "#27 key policy: Enable IAM User Permissions only; id Allow Decrypt",
        "R4.1 KPD",
        Ctx(
            session,
            [allow("kms:Decrypt", KEY_A)],
            resource_policies={
                KEY_A: allow("kms:*", principal=aws(ROOT_A), sid="Enable IAM User Permissions")
            },
        ),
        Req("kms:Decrypt", KEY_A),
        "allowed",
        "identity",
    ),
    Case(
        "#28 key policy names only role X; id Allow for role Y",
        "R4.1 KP",
        Ctx(
            session,
            [allow("kms:Decrypt", KEY_A)],
            resource_policies={KEY_A: allow("kms:*", principal=aws(f"arn:aws:iam::{A}:role/X"))},
        ),
        Req("kms:Decrypt", KEY_A),
        "implicitly_denied",
        "resource",
    ),
    Case(
        "#29 key policy names role X; no id",
        "R4.2 SIM",
        Ctx(
            Principal(f"arn:aws:sts::{A}:assumed-role/X/s", "assumed_role"),
            resource_policies={
                KEY_A: allow("kms:Decrypt", principal=aws(f"arn:aws:iam::{A}:role/X"))
            },
        ),
        Req("kms:Decrypt", KEY_A),
        "allowed",
        "resource",
    ),
    Case(
        "#30 key policy grants B root; B role has id Allow",
        "R4.3 KPX",
        Ctx(
            session_b,
            [allow("kms:Decrypt", KEY_A)],
            resource_policies={KEY_A: allow("kms:*", principal=aws(ROOT_B))},
        ),
        Req("kms:Decrypt", KEY_A),
        "allowed",
        "resource",
    ),
    Case(
        "#31 as #30 with kms:ScheduleKeyDeletion",
        "R4.3 KPX",
        Ctx(
            session_b,
            [allow("kms:*", KEY_A)],
            resource_policies={KEY_A: allow("kms:*", principal=aws(ROOT_B))},
        ),
        Req("kms:ScheduleKeyDeletion", KEY_A),
        "implicitly_denied",
        "service_rule",
    ),
    Case(
        "root user needs the key policy too",
        "R4.1 KP",
        Ctx(
            root_a,
            resource_policies={KEY_A: allow("kms:*", principal=aws(f"arn:aws:iam::{A}:role/X"))},
        ),
        Req("kms:Decrypt", KEY_A),
        "implicitly_denied",
        "resource",
    ),
    Case(
        "IAM Deny works without key-policy support",
        "R4.1 KP",
        Ctx(
            session,
            [deny("kms:*")],
            resource_policies={KEY_A: allow("kms:*", principal=aws(ROLE_R))},
        ),
        Req("kms:Decrypt", KEY_A),
        "explicitly_denied",
        "identity",
    ),
    Case(
        "no key policy given",
        "R4.1 KP",
        Ctx(session, [allow("kms:*")]),
        Req("kms:Decrypt", KEY_A),
        "implicitly_denied",
        "resource",
    ),
]

ROLE_B = f"arn:aws:iam::{B}:role/Action"
ROLE_A2 = f"arn:aws:iam::{A}:role/Target"
CP_SESS = Principal(f"arn:aws:sts::{A}:assumed-role/CP/p", "assumed_role")


def trusted_in_b(role_in_a: str, *identity: dict[str, object]) -> Ctx:
    """A CP session asking for ROLE_B, whose trust policy (written as IAM takes it, without
    Resource) names `role_in_a` of account A."""
    trust = doc(attached("Allow", "sts:AssumeRole", principal=aws(f"arn:aws:iam::{A}:{role_in_a}")))
    return Ctx(CP_SESS, list(identity), resource_policies={ROLE_B: trust})


TRUST = [
    Case(
        "#32 trust names A root; no id",
        "R4.6 SIM",
        Ctx(user_u, resource_policies={ROLE_A2: allow("sts:AssumeRole", principal=aws(ROOT_A))}),
        Req("sts:AssumeRole", ROLE_A2),
        "implicitly_denied",
        "identity",
    ),
    Case(
        "#32 with an id Allow",
        "R4.6 SIM",
        Ctx(
            user_u,
            [allow("sts:AssumeRole", ROLE_A2)],
            resource_policies={ROLE_A2: allow("sts:AssumeRole", principal=aws(ROOT_A))},
        ),
        Req("sts:AssumeRole", ROLE_A2),
        "allowed",
        "identity",
    ),
    Case(
        "#33 trust names the user; no id",
        "R4.6 SIM",
        Ctx(user_u, resource_policies={ROLE_A2: allow("sts:AssumeRole", principal=aws(USER_U))}),
        Req("sts:AssumeRole", ROLE_A2),
        "allowed",
        "resource",
    ),
    Case(
        "#34 trust in B names A:role/CP; CP session has id Allow",
        "R4.5 R5.3 SWITCH",
        Ctx(
            CP_SESS,
            [allow("sts:AssumeRole", ROLE_B)],
            resource_policies={
                ROLE_B: allow("sts:AssumeRole", principal=aws(f"arn:aws:iam::{A}:role/CP"))
            },
        ),
        Req("sts:AssumeRole", ROLE_B),
        "allowed",
        "resource",
    ),
    Case(
        "#35 trust names A role; no id in A",
        "R4.5 XACCT",
        Ctx(
            CP_SESS,
            resource_policies={
                ROLE_B: allow("sts:AssumeRole", principal=aws(f"arn:aws:iam::{A}:role/CP"))
            },
        ),
        Req("sts:AssumeRole", ROLE_B),
        "implicitly_denied",
        "identity",
    ),
    Case(
        "#33 as IAM takes it: no Resource in the trust policy",
        "R4.5 R4.6 SIM",
        Ctx(
            user_u,
            resource_policies={
                ROLE_A2: doc(attached("Allow", "sts:AssumeRole", principal=aws(USER_U)))
            },
        ),
        Req("sts:AssumeRole", ROLE_A2),
        "allowed",
        "resource",
    ),
    Case(
        "#34 as IAM takes it: the trust in B has no Resource",
        "R4.5 R5.3 SWITCH",
        trusted_in_b("role/CP", allow("sts:AssumeRole", ROLE_B)),
        Req("sts:AssumeRole", ROLE_B),
        "allowed",
        "resource",
    ),
    Case(
        "#35 as IAM takes it: a trust without Resource alone does not let another account in",
        "R4.5 XACCT",
        trusted_in_b("role/CP"),
        Req("sts:AssumeRole", ROLE_B),
        "implicitly_denied",
        "identity",
    ),
    Case(
        "a trust policy without Resource naming another role lets nobody else in",
        "R4.5 PRIN",
        trusted_in_b("role/X", allow("sts:AssumeRole", ROLE_B)),
        Req("sts:AssumeRole", ROLE_B),
        "implicitly_denied",
        "resource",
    ),
    Case(
        "a Deny without Resource in a trust policy denies its role",
        "R4.5 R2.1",
        Ctx(
            user_u,
            [allow("sts:AssumeRole", ROLE_A2)],
            resource_policies={
                ROLE_A2: doc(
                    attached("Allow", "sts:AssumeRole", principal=aws(USER_U)),
                    attached("Deny", "sts:AssumeRole", principal=aws(USER_U)),
                )
            },
        ),
        Req("sts:AssumeRole", ROLE_A2),
        "explicitly_denied",
        "resource",
    ),
    Case(
        "a resource policy given with its request applies without Resource",
        "R4.5 R2.2",
        Ctx(CP_SESS),
        Req(
            "sts:AssumeRole",
            ROLE_A2,
            resource_policy=doc(
                attached("Allow", "sts:AssumeRole", principal=aws(f"arn:aws:iam::{A}:role/CP"))
            ),
        ),
        "allowed",
        "resource",
    ),
    Case(
        "no trust policy: identity Allow is not enough",
        "R4.5 ENF",
        Ctx(user_u, [allow("sts:AssumeRole")]),
        Req("sts:AssumeRole", ROLE_A2),
        "implicitly_denied",
        "resource",
    ),
    Case(
        "the trust policy is not a policy for IAM's own actions on the role",
        "R4.5",
        Ctx(user_u, [allow("iam:PassRole")], resource_policies={ROLE_A2: deny("*", principal="*")}),
        Req("iam:PassRole", ROLE_A2),
        "allowed",
        "identity",
    ),
]

KEY_POLICY_D2 = doc(
    stmt("Allow", "kms:*", principal=aws(ROOT_A), sid="Enable IAM User Permissions"),
    stmt(
        "Allow",
        ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
        principal=aws(f"arn:aws:iam::{A}:role/CodePipeline_Service_Role", ROOT_B),
        sid="Allow use of the key",
    ),
)
ARTIFACTS = "arn:aws:s3:::codepipeline-us-east-2-1234567890"
BUCKET_POLICY_D1 = doc(
    stmt(
        "Deny",
        "s3:PutObject",
        f"{ARTIFACTS}/*",
        principal="*",
        condition={"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}},
        sid="DenyUnEncryptedObjectUploads",
    ),
    stmt(
        "Deny",
        "s3:*",
        f"{ARTIFACTS}/*",
        principal="*",
        condition={"Bool": {"aws:SecureTransport": "false"}},
        sid="DenyInsecureConnections",
    ),
    stmt("Allow", ["s3:Get*", "s3:Put*"], f"{ARTIFACTS}/*", principal=aws(ROOT_B)),
    stmt("Allow", "s3:ListBucket", ARTIFACTS, principal=aws(ROOT_B)),
)
ACTION_ROLE_D5 = allow(["s3:GetObject*", "s3:PutObject", "s3:PutObjectAcl"], f"{ARTIFACTS}/*")
ACTION_ROLE = Principal(f"arn:aws:sts::{B}:assumed-role/CrossAccount_Role/s", "assumed_role")
ARTIFACT_CTX = {"aws:SecureTransport": "true"}
# An artifact read from the bucket, encrypted with the key (the pipeline's artifact store).
GET_ARTIFACT = get_object(f"{ARTIFACTS}/a.zip", context=ARTIFACT_CTX, sse_kms_key=KEY_A)

S3 = [
    Case(
        "#41 D1-D6; action role lacks KMS statements",
        "§9 D5 R4.10 FAS",
        Ctx(
            ACTION_ROLE,
            [ACTION_ROLE_D5],
            resource_policies={ARTIFACTS: BUCKET_POLICY_D1, KEY_A: KEY_POLICY_D2},
        ),
        GET_ARTIFACT,
        "implicitly_denied",
        "identity",
        {"dependent": "kms:Decrypt"},
    ),
    Case(
        "#41 with kms:Decrypt on the key",
        "§9 D5 R4.3 R4.10",
        Ctx(
            ACTION_ROLE,
            [ACTION_ROLE_D5, allow("kms:Decrypt", KEY_A)],
            resource_policies={ARTIFACTS: BUCKET_POLICY_D1, KEY_A: KEY_POLICY_D2},
        ),
        GET_ARTIFACT,
        "allowed",
        "resource",
    ),
    Case(
        "#42 PutObject without SSE-KMS header",
        "§9 D1 R6.4",
        Ctx(ACTION_ROLE, [ACTION_ROLE_D5], resource_policies={ARTIFACTS: BUCKET_POLICY_D1}),
        Req("s3:PutObject", f"{ARTIFACTS}/a.zip", context=ARTIFACT_CTX, resource_account=A),
        "explicitly_denied",
        "resource",
    ),
    Case(
        "#42 PutObject with the header",
        "§9 D1",
        Ctx(ACTION_ROLE, [ACTION_ROLE_D5], resource_policies={ARTIFACTS: BUCKET_POLICY_D1}),
        Req(
            "s3:PutObject",
            f"{ARTIFACTS}/a.zip",
            context={**ARTIFACT_CTX, "s3:x-amz-server-side-encryption": "aws:kms"},
            resource_account=A,
        ),
        "allowed",
        "resource",
    ),
    Case(
        "#24 rbp Allow Principal *; anonymous",
        "R3.6 PRIN",
        Ctx(
            anonymous,
            resource_policies=grants("*"),
        ),
        get_object(),
        "allowed",
        "resource",
    ),
    Case(
        "anonymous caller and an account grant",
        "R3.6 PRIN",
        Ctx(
            anonymous,
            resource_policies=grants(aws(A)),
        ),
        get_object(),
        "implicitly_denied",
        "resource",
    ),
    Case(
        "#40 Deny * unless aws:PrincipalOrgID; caller in no org",
        "R6.4 R5.6 CK",
        Ctx(
            user_u,
            [S3_ALL],
            resource_policies={
                BUCKET: deny(
                    "s3:*",
                    f"{BUCKET}/*",
                    principal="*",
                    condition={"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-x"}},
                )
            },
        ),
        get_object(),
        "explicitly_denied",
        "resource",
    ),
]

FUNCTION = f"arn:aws:lambda:us-east-1:{A}:function:f"
REPO = f"arn:aws:ecr:us-east-1:{A}:repository/r"
TOPIC = f"arn:aws:sns:us-east-1:{A}:t"
SERVICES = [
    Case(
        "Lambda: a service principal needs only the function policy",
        "R4.11 LAM R3.7",
        Ctx(
            Principal("s3.amazonaws.com", "service"),
            resource_policies={
                FUNCTION: allow(
                    "lambda:InvokeFunction",
                    FUNCTION,
                    principal={"Service": "s3.amazonaws.com"},
                    condition={"StringEquals": {"aws:SourceAccount": A}},
                )
            },
        ),
        Req("lambda:InvokeFunction", FUNCTION, context={"aws:SourceAccount": A}),
        "allowed",
        "resource",
    ),
    Case(
        "Lambda: a service principal the policy does not name",
        "R4.11 LAM",
        Ctx(
            Principal("sns.amazonaws.com", "service"),
            resource_policies={
                FUNCTION: allow(
                    "lambda:InvokeFunction", FUNCTION, principal={"Service": "s3.amazonaws.com"}
                )
            },
        ),
        Req("lambda:InvokeFunction", FUNCTION),
        "implicitly_denied",
        "resource",
    ),
    Case(
        "Lambda: a cross-account caller needs its own account too",
        "R4.11 LAMX",
        Ctx(
            session_b,
            resource_policies={
                FUNCTION: allow("lambda:InvokeFunction", FUNCTION, principal=aws(B))
            },
        ),
        Req("lambda:InvokeFunction", FUNCTION),
        "implicitly_denied",
        "identity",
    ),
    Case(
        "ECR: a repository Allow naming the caller suffices in its account",
        "R4.12 ECR",
        Ctx(session, resource_policies={REPO: allow("ecr:BatchGetImage", principal=aws(ROLE_R))}),
        Req("ecr:BatchGetImage", REPO),
        "allowed",
        "resource",
    ),
    Case(
        "ECR: GetAuthorizationToken comes from IAM only",
        "R4.12 ECR",
        Ctx(
            session,
            resource_policies={REPO: allow("ecr:GetAuthorizationToken", principal=aws(ROLE_R))},
        ),
        Req("ecr:GetAuthorizationToken", REPO),
        "implicitly_denied",
        "identity",
    ),
    Case(
        "SNS: AddPermission's account statement still needs IAM in the other account",
        "R4.13 SNS",
        Ctx(session_b, resource_policies={TOPIC: allow("SNS:Publish", TOPIC, principal=aws(B))}),
        Req("sns:Publish", TOPIC),
        "implicitly_denied",
        "identity",
    ),
    Case(
        "SNS: AWS:SourceOwner is aws:SourceAccount",
        "R4.13",
        Ctx(
            Principal("events.amazonaws.com", "service"),
            resource_policies={
                TOPIC: allow(
                    "sns:Publish",
                    TOPIC,
                    principal={"Service": "events.amazonaws.com"},
                    condition={"StringEquals": {"AWS:SourceOwner": A}},
                )
            },
        ),
        Req("sns:Publish", TOPIC, context={"aws:SourceAccount": A}),
        "allowed",
        "resource",
    ),
]

PRINCIPALS = [
    Case(
        "#23 Deny NotPrincipal [user u, account A]; u has a PB",
        "R5.5 NOTP PB",
        Ctx(
            user_u,
            [S3_ALL],
            permission_boundary=S3_ALL,
            resource_policies={
                BUCKET: deny("s3:*", f"{BUCKET}/*", not_principal=aws(USER_U, ROOT_A))
            },
        ),
        get_object(),
        "explicitly_denied",
        "resource",
    ),
    Case(
        "#23 without a PB, u is excepted",
        "R5.5 NOTP",
        Ctx(
            user_u,
            [S3_ALL],
            resource_policies={
                BUCKET: deny("s3:*", f"{BUCKET}/*", not_principal=aws(USER_U, ROOT_A))
            },
        ),
        get_object(),
        "allowed",
        "identity",
    ),
    Case(
        "NotPrincipal without the account ARN denies the user",
        "R5.5 NOTP",
        Ctx(
            user_u,
            [S3_ALL],
            resource_policies={BUCKET: deny("s3:*", f"{BUCKET}/*", not_principal=aws(USER_U))},
        ),
        get_object(),
        "explicitly_denied",
        "resource",
    ),
    Case(
        "#25 partial wildcard role ARN never matches",
        "R5.1 PRIN",
        Ctx(
            Principal(f"arn:aws:sts::{A}:assumed-role/dev-x/s", "assumed_role"),
            resource_policies=grants(aws(f"arn:aws:iam::{A}:role/dev-*")),
        ),
        get_object(),
        "implicitly_denied",
        "identity",
    ),
    Case(
        "#26 unique ID of a deleted role",
        "R4.7 PRIN",
        Ctx(
            Principal(
                f"arn:aws:sts::{A}:assumed-role/R/s",
                "assumed_role",
                unique_id="AROANEWROLEID0000001",
            ),
            resource_policies=grants(aws("AROAOLDROLEID0000001")),
        ),
        get_object(),
        "implicitly_denied",
        "identity",
    ),
    Case(
        "account ID and root ARN are one principal",
        "R5.2 PRIN",
        Ctx(
            session_b,
            [S3_ALL],
            resource_policies=grants(aws(B)),
        ),
        get_object(),
        "allowed",
        "resource",
    ),
    Case(
        "a role ARN with a path matches the session (no path in it)",
        "R5.3 SIM",
        Ctx(
            session,
            resource_policies=grants(aws(f"arn:aws:iam::{A}:role/team/R")),
        ),
        get_object(),
        "allowed",
        "resource",
    ),
    Case(
        "a session ARN matches only that session",
        "R5.3 PRIN",
        Ctx(
            Principal(f"arn:aws:sts::{A}:assumed-role/R/other", "assumed_role"),
            resource_policies=grants(aws(SESS)),
        ),
        get_object(),
        "implicitly_denied",
        "identity",
    ),
    Case(
        "user names are case-sensitive",
        "R5.3 PRIN",
        Ctx(
            user_u,
            resource_policies=grants(aws(f"arn:aws:iam::{A}:user/U")),
        ),
        get_object(),
        "implicitly_denied",
        "identity",
    ),
    Case(
        "a statement without Principal never applies",
        "R5.4 SIM",
        Ctx(user_u, resource_policies={BUCKET: allow("s3:GetObject", f"{BUCKET}/*")}),
        get_object(),
        "implicitly_denied",
        "identity",
    ),
    Case(
        "{AWS: *} names everyone",
        "R5.1 PRIN",
        Ctx(
            user_u,
            resource_policies=grants(aws("*")),
        ),
        get_object(),
        "allowed",
        "resource",
    ),
    Case(
        "Service: * is invalid and names nobody",
        "R5.1 PRIN",
        Ctx(
            Principal("s3.amazonaws.com", "service"),
            resource_policies=grants({"Service": "*"}),
        ),
        get_object(),
        "implicitly_denied",
        "resource",
    ),
]

SERVICE_RULES = [
    Case(
        "#36 id Deny sts:* and SCP deny: GetCallerIdentity",
        "R7.1 GCI",
        Ctx(user_u, [deny("sts:*")], accounts={A: org(scp=[[deny("*")]])}),
        Req("sts:GetCallerIdentity", "*"),
        "allowed",
        "service_rule",
    ),
    Case(
        "#37 CreatePolicyVersion on an AWS managed policy",
        "R7.2 AMP",
        Ctx(user_u, [allow("iam:*")]),
        Req("iam:CreatePolicyVersion", "arn:aws:iam::aws:policy/AdministratorAccess"),
        "implicitly_denied",
        "service_rule",
    ),
    Case(
        "#38 PutRolePolicy on an Identity Center role",
        "R7.4 SSOP",
        Ctx(user_u, [allow("iam:*")]),
        Req(
            "iam:PutRolePolicy",
            f"arn:aws:iam::{A}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_x",
        ),
        "implicitly_denied",
        "service_rule",
    ),
]

KMS_CALL = allow(
    "kms:Decrypt",
    KEY_A,
    condition={"ForAnyValue:StringEquals": {"aws:CalledVia": ["cloudformation.amazonaws.com"]}},
)
CONTEXT_KEYS = [
    Case(
        "#39 CalledVia condition; direct KMS call",
        "R6.3 R6.4 CK",
        Ctx(session, [KMS_CALL], resource_policies={KEY_A: allow("kms:*", principal=aws(ROOT_A))}),
        Req("kms:Decrypt", KEY_A),
        "implicitly_denied",
        "identity",
    ),
    Case(
        "#39 through CloudFormation (caller-supplied, §8)",
        "R6.3 CFNFAS",
        Ctx(session, [KMS_CALL], resource_policies={KEY_A: allow("kms:*", principal=aws(ROOT_A))}),
        Req("kms:Decrypt", KEY_A, context={"aws:CalledVia": ["cloudformation.amazonaws.com"]}),
        "allowed",
        "identity",
    ),
    Case(
        "aws:PrincipalArn of a session is its role",
        "R5.6 CK",
        Ctx(session, [allow("s3:*", condition={"ArnEquals": {"aws:PrincipalArn": ROLE_R}})]),
        get_object(),
        "allowed",
        "identity",
    ),
    Case(
        "aws:ResourceAccount is the owner",
        "R3.4 R6.2 CK",
        Ctx(user_u, [allow("s3:*", condition={"StringEquals": {"aws:ResourceAccount": A}})]),
        get_object(),
        "allowed",
        "identity",
    ),
    Case(
        "aws:PrincipalTag from the principal's tags",
        "R5.6 VAR",
        Ctx(
            Principal(USER_U, "user", tags={"team": "red"}),
            [allow("s3:*", condition={"StringEquals": {"aws:PrincipalTag/team": "blue"}})],
        ),
        get_object(),
        "implicitly_denied",
        "identity",
    ),
]

TABLES = {
    "identity": IDENTITY,
    "boundary": BOUNDARY,
    "session": SESSION,
    "organisation": ORGANISATION,
    "resource_same_account": RESOURCE_SAME_ACCOUNT,
    "cross_account": CROSS_ACCOUNT,
    "kms": KMS,
    "trust": TRUST,
    "s3": S3,
    "lambda_ecr_sns": SERVICES,
    "principals": PRINCIPALS,
    "service_rules": SERVICE_RULES,
    "context_keys": CONTEXT_KEYS,
}


ROWS = [(layer, case) for layer, table in TABLES.items() for case in table]


@pytest.mark.parametrize(("layer", "case"), ROWS, ids=[f"{t}: {c.name}" for t, c in ROWS])
def test_layer_table(layer: str, case: Case) -> None:
    got = check(case)
    if "level" in case.extra:
        assert got.level == case.extra["level"]
    if "dependent" in case.extra:
        assert got.dependent is not None
        assert got.dependent.decision == case.decision


def test_every_case_of_the_reference_is_a_row() -> None:
    numbered = {
        int(c.name[1:].split()[0])
        for table in TABLES.values()
        for c in table
        if c.name.startswith("#")
    }
    assert numbered == set(range(1, 43))
