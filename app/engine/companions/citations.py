"""Where the general CodePipeline facts of companion documents come from (per action type
facts are cited in their profiles)."""

from __future__ import annotations

from app.engine.profiles import Citation

SERVICE_ROLE_TRUST = Citation(
    id="UG-service-role-cli",
    title="CodePipeline User Guide: Create the CodePipeline service role (CLI): the trust policy "
    "names the service principal codepipeline.amazonaws.com",
    url="https://docs.aws.amazon.com/codepipeline/latest/userguide/pipelines-create-service-role-cli.html",
)
CROSS_ACCOUNT = Citation(
    id="CPX",
    title="CodePipeline User Guide: Create a pipeline in CodePipeline that uses resources from "
    "another AWS account (the bucket policy as printed by the archived source "
    "awsdocs/aws-codepipeline-user-guide doc_source/pipelines-create-cross-account.md)",
    url="https://docs.aws.amazon.com/codepipeline/latest/userguide/pipelines-create-cross-account.html",
    as_of="2022-07-26",
)
CROSS_REGION = Citation(
    id="CPR",
    title="CodePipeline User Guide: Add a cross-Region action in CodePipeline (one artifact "
    "store per Region with actions, in the pipeline's account)",
    url="https://docs.aws.amazon.com/codepipeline/latest/userguide/actions-create-cross-region.html",
)
KEY_POLICY_DEFAULT = Citation(
    id="KPD",
    title="AWS KMS Developer Guide: Default key policy (the key users statement: principals "
    'named, Resource "*" meaning the key itself)',
    url="https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html",
)
KEY_POLICY_EXTERNAL = Citation(
    id="KPX",
    title="AWS KMS Developer Guide: Allowing users in other accounts to use a KMS key (the key "
    "policy names the external principal, and its own IAM policy must allow too)",
    url="https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying-external-accounts.html",
)
S3_SSE_KMS = Citation(
    id="S3-UG-SSE-KMS",
    title="Amazon S3 User Guide: Using server-side encryption with AWS KMS keys (kms:Decrypt to "
    "read an object, kms:GenerateDataKey to write one)",
    url="https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html",
)
