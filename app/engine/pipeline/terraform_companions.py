"""The trust, bucket and key policies a Terraform file defines for what its pipeline names: the
companion documents as they stand, to compare with those the pipeline needs.

- the `assume_role_policy` of the `aws_iam_role` the pipeline's `role_arn`, an action's or
  rule's `role_arn`, or a CloudFormation deploy action's `configuration.RoleArn` refers to;
- the key policy of the `aws_kms_key` an artifact store's `encryption_key.id` refers to (its
  `arn`, `key_id` or `id`, or an `aws_kms_alias` of it, referred to or named): that of an
  `aws_kms_key_policy` whose `key_id` refers to the key, else the key's own `policy`;
- the `policy` of the `aws_s3_bucket_policy` whose `bucket` refers to the bucket an artifact
  store's `location` refers to, or names it (else the bucket's own `policy`, as the provider's
  older versions took it).

A place refers to a resource when its expression does, in the branch a condition decides (in
both when it is not decided), and, of several, to those it has the name or ARN of; a place that
refers to none names a resource by its ARN known whole. Each document's target is the one the
pipeline's companion document of its kind has. A resource whose `count` is 0 (or `for_each`
empty) is left out.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from app.engine.companions.documents import DocumentKind
from app.engine.json_pointer import pointer_join
from app.engine.pipeline.companion_places import (
    WITHOUT_POLICY,
    FoundPolicies,
    Named,
    roles_named,
)
from app.engine.pipeline.model import ArtifactStore, Pipeline
from app.engine.pipeline.template_values import CompanionPolicies, CompanionPolicy
from app.engine.pipeline.terraform_policies import (
    ROLE,
    Configuration,
    merged_message,
    resource_type,
)

if TYPE_CHECKING:
    from app.engine.pipeline.terraform import _Evaluator

KEY = "aws_kms_key"
ALIAS = "aws_kms_alias"
KEY_POLICY = "aws_kms_key_policy"
BUCKET = "aws_s3_bucket"
BUCKET_POLICY = "aws_s3_bucket_policy"


def companion_policies(ev: _Evaluator, pipeline: Pipeline) -> CompanionPolicies:
    """The companion policies the file defines for one pipeline it declares, read quietly
    (what is not known was reported where the pipeline uses it, if at all)."""
    reader = _Reader(Configuration(ev), pipeline)
    with ev.quiet():
        reader.trusts(roles_named(pipeline, ev.context))
        for store in pipeline.artifact_stores:
            reader.key_policy(store)
            reader.bucket_policy(store)
    return CompanionPolicies(
        pipeline.pointer, tuple(reader.found.policies), tuple(reader.found.findings)
    )


class _Reader:
    def __init__(self, configuration: Configuration, pipeline: Pipeline) -> None:
        self.c = configuration
        self.pipeline = pipeline
        self.found = FoundPolicies()

    def trusts(self, named: Iterable[Named]) -> None:
        for place in named:
            at, roles = self.c.referred(self.pipeline, place.rendered, [ROLE])
            role = self._one(roles, at, "role")
            if role is not None:
                self._document(
                    DocumentKind.TRUST_POLICY, place.target, role, "assume_role_policy", at
                )

    def key_policy(self, store: ArtifactStore) -> None:
        key_id = store.kms_key_id
        if key_id is None:
            return
        rendered = pointer_join(store.pointer, "encryptionKey", "id")
        at, referred = self.c.referred(self.pipeline, rendered, [KEY, ALIAS])
        aliases = {a for a in referred if resource_type(a) == ALIAS}
        if not referred and "*" not in key_id and "alias/" in key_id:
            aliases = self._aliases_named(key_id.split(":alias/")[-1].removeprefix("alias/"))
        keys = (referred - aliases) | {
            k for alias in aliases for k in self.c.argument_refers(alias, "target_key_id", [KEY])
        }
        key = self._one(keys, at, "key")
        if key is None:
            return
        # A key policy resource replaces the key's own policy.
        policies = {p for p in self.c.created(KEY_POLICY) if key in self._refers(p, "key_id", KEY)}
        if policies:
            policy = self._one(policies, at, "key policy")
            if policy is not None:
                self._document(DocumentKind.KEY_POLICY, key_id, policy, "policy", at)
            return
        self._document(DocumentKind.KEY_POLICY, key_id, key, "policy", at)

    def bucket_policy(self, store: ArtifactStore) -> None:
        location = store.location
        rendered = pointer_join(store.pointer, "location")
        at, buckets = self.c.referred(self.pipeline, rendered, [BUCKET])
        policies = {
            p
            for p in self.c.created(BUCKET_POLICY)
            if self._refers(p, "bucket", BUCKET) & buckets
            or ("*" not in location and location in self.c.argument_texts(p, "bucket"))
        }
        if policies:
            policy = self._one(policies, at, "bucket policy")
            if policy is not None:
                self._document(DocumentKind.BUCKET_POLICY, location, policy, "policy", at)
            return
        bucket = self._one(buckets, at, "bucket")
        if bucket is not None and self.c.argument(bucket, "policy") is not None:
            self._document(DocumentKind.BUCKET_POLICY, location, bucket, "policy", at)

    # -- references --------------------------------------------------------------------------

    def _refers(self, address: str, argument: str, rtype: str) -> set[str]:
        return self.c.argument_refers(address, argument, [rtype])

    def _aliases_named(self, name: str) -> set[str]:
        return {
            a
            for a in self.c.created(ALIAS)
            if self.c.argument_texts(a, "name") & {name, f"alias/{name}"}
        }

    def _one(self, addresses: set[str], at: str, what: str) -> str | None:
        return self.found.one(addresses, at, self.c.line_of(at), what)

    # -- documents -----------------------------------------------------------------------------

    def _document(
        self, kind: DocumentKind, target: str, address: str, argument: str, named_at: str
    ) -> None:
        reads = self.c.documents(address, argument)
        line = self.c.line_of(named_at)
        if not reads:
            what = WITHOUT_POLICY.get(kind, "")
            self.found.not_read(
                named_at,
                line,
                f"`{address}` has no `{argument}`{what}; its {kind.value} is not compared",
                resource=address,
            )
            return
        if len(reads) > 1:  # distinct documents, one per instance at least
            self.found.not_read(
                named_at,
                line,
                f"the instances of `{address}` have different `{argument}`s; which one's "
                f"{kind.value} this is is not known, and none is compared",
                resource=address,
            )
            return
        read = reads[0]
        if read.refused is not None or read.policy is None:
            if read.refused is not None:
                self.found.refused(read.refused)
            return
        line = self.c.line_of(read.pointer)
        undetermined = read.policy.undetermined
        self.found.add(
            CompanionPolicy(kind, target, read.document, read.pointer, line, undetermined)
        )
        for data, merging in read.merged:
            at = self.c.pointer(data, merging)
            self.found.not_read(at, self.c.line_of(at), merged_message(data, merging))
