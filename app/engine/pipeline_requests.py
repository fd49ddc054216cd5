"""The condition keys a pipeline's requests carry whatever its policies say: they are made over
TLS, and artifacts written to a store with a KMS key are uploaded encrypted with that key.
Both the run check and the comparison of a bucket policy decide Conditions with them."""

from __future__ import annotations

from collections.abc import Mapping

from app.engine.iam.conditions.facts import KeyFact

# AWS services and SDKs call over TLS, which the artifact bucket policy of the cross-account
# walkthrough requires [CPX, §9 D1].
_OVER_TLS: Mapping[str, KeyFact] = {
    "aws:securetransport": KeyFact(frozenset({"true"}), may_be_absent=False)
}


def sent_facts(action: str, sse_kms_key: str | None) -> Mapping[str, KeyFact]:
    """The keys a pipeline's request carries: artifacts written to a store with a KMS key
    (`sse_kms_key`, its ARN) are uploaded encrypted with it, as the walkthrough's bucket policy
    requires (it denies other uploads) [CPX, §9 D1; inferred: CodePipeline encrypts with the
    store's key]."""
    if not sse_kms_key or action.lower() != "s3:putobject":
        return _OVER_TLS
    return {
        **_OVER_TLS,
        "s3:x-amz-server-side-encryption": KeyFact(frozenset({"aws:kms"}), may_be_absent=False),
        "s3:x-amz-server-side-encryption-aws-kms-key-id": KeyFact(
            frozenset({sse_kms_key}), may_be_absent=False
        ),
    }
