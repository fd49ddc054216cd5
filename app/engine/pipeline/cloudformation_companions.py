"""The trust, bucket and key policies a CloudFormation template defines for what its pipeline
names: the companion documents as they stand, to compare with those the pipeline needs.

- the `AssumeRolePolicyDocument` of the `AWS::IAM::Role` the pipeline's `RoleArn`, an action's
  or rule's `RoleArn`, or a CloudFormation deploy action's `Configuration.RoleArn` refers to;
- the `KeyPolicy` of the `AWS::KMS::Key` an artifact store's `EncryptionKey.Id` refers to
  (its `Ref`, `KeyId` or `Arn`, or an `AWS::KMS::Alias` of it, referred to or named);
- the `PolicyDocument` of the `AWS::S3::BucketPolicy` whose `Bucket` refers to the bucket an
  artifact store's `Location` refers to, or names it.

A place of the pipeline refers to a resource when its template value does, in the branches of
an undecided `Fn::If` whose value is the pipeline's (each form of an action is read alone). Each
document's target is the one the pipeline's companion document of its kind has: the role ARN,
bucket name or key as the pipeline's rendered document holds them. A resource whose Condition is
false is left out; one that may or may not be created is read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from app.engine.companions.documents import DocumentKind
from app.engine.findings import Finding
from app.engine.json_pointer import pointer_join, pointer_tokens
from app.engine.pipeline.cloudformation_nodes import (
    intrinsic_of,
    is_if,
    references,
    resource_type,
)
from app.engine.pipeline.companion_places import (
    WITHOUT_POLICY,
    FoundPolicies,
    Named,
    roles_named,
)
from app.engine.pipeline.model import ArtifactStore, Pipeline
from app.engine.pipeline.template_values import (
    CompanionPolicies,
    CompanionPolicy,
    optional_text,
)

if TYPE_CHECKING:
    from app.engine.pipeline.cloudformation import _Resolver

ROLE = "AWS::IAM::Role"
KEY = "AWS::KMS::Key"
ALIAS = "AWS::KMS::Alias"
BUCKET = "AWS::S3::Bucket"
BUCKET_POLICY = "AWS::S3::BucketPolicy"


def companion_policies(resolver: _Resolver, pipeline: Pipeline) -> CompanionPolicies:
    """The companion policies the template defines for one pipeline it declares, read with its
    resolver (values resolved and widened, what stays unknown not reported again)."""
    reader = _Reader(resolver, pipeline)
    # What is not known in the values read was reported where the pipeline uses it, if at all.
    saved, resolver.findings = resolver.findings, []
    try:
        with resolver.silenced():
            reader.trusts(roles_named(pipeline, resolver.context))
            for store in pipeline.artifact_stores:
                reader.key_policy(store)
                reader.bucket_policy(store)
    finally:
        resolver.findings = saved
    return CompanionPolicies(
        pipeline.pointer, tuple(reader.found.policies), tuple(reader.found.findings)
    )


class _Reader:
    def __init__(self, resolver: _Resolver, pipeline: Pipeline) -> None:
        self.r = resolver
        self.pipeline = pipeline
        self.found = FoundPolicies()

    # -- what the pipeline names ----------------------------------------------------------------

    def trusts(self, named: Iterable[Named]) -> None:
        for place in named:
            at, roles = self._referred(place, {ROLE})
            role = self._one(roles, at, "role")
            if role is not None:
                self._document(
                    DocumentKind.TRUST_POLICY, place.target, role, "AssumeRolePolicyDocument", at
                )

    def key_policy(self, store: ArtifactStore) -> None:
        if store.kms_key_id is None:
            return
        key_id = store.kms_key_id
        place = Named(pointer_join(store.pointer, "encryptionKey", "id"), key_id, key_id)
        at, referred = self._referred(place, {KEY, ALIAS})
        aliases = {lid for lid in referred if resource_type(self.r.resources.get(lid)) == ALIAS}
        if not referred and "*" not in key_id and "alias/" in key_id:
            aliases = self._aliases_named(key_id.split(":alias/")[-1].removeprefix("alias/"))
        keys = (referred - aliases) | {
            lid for alias in aliases for lid in self._property_refers(alias, "TargetKeyId", {KEY})
        }
        key = self._one(keys, at, "key")
        if key is not None:
            self._document(DocumentKind.KEY_POLICY, key_id, key, "KeyPolicy", at)

    def bucket_policy(self, store: ArtifactStore) -> None:
        location = store.location
        place = Named(pointer_join(store.pointer, "location"), location, location)
        at, buckets = self._referred(place, {BUCKET})
        policies = {
            lid
            for lid in self._created(BUCKET_POLICY)
            if self._property_refers(lid, "Bucket", {BUCKET}) & buckets
            or ("*" not in location and self._property_text(lid, "Bucket") == location)
        }
        policy = self._one(policies, at, "bucket policy")
        if policy is not None:
            self._document(DocumentKind.BUCKET_POLICY, location, policy, "PolicyDocument", at)

    # -- references --------------------------------------------------------------------------

    def _referred(self, place: Named, types: set[str]) -> tuple[str, set[str]]:
        """The template's place of a rendered one, and the resources of `types` it refers to
        where its value is the pipeline's."""
        source_map = self.pipeline.source_map
        at = source_map.source(place.rendered) if source_map is not None else None
        if at is None:
            return place.rendered, set()
        found: set[str] = set()
        for node, node_at in self._nodes(at):
            found |= self._refers(node, node_at, place.value, types)
        return at, found

    def _nodes(self, pointer: str) -> list[tuple[Any, str]]:
        """The template nodes at a pointer; past an `Fn::If` the pointer does not step into,
        those of both its branches."""
        base = self.r.base
        if not pointer.startswith(base):
            return []
        nodes: list[tuple[Any, str]] = [(self.r.template, base)]
        for token in pointer_tokens(pointer[len(base) :]):
            nodes = [step for node, at in nodes for step in _step(node, at, token)]
        return nodes

    def _refers(self, node: Any, at: str, value: str, types: set[str]) -> set[str]:
        chosen = self.r.select(node, at, None)
        if chosen is None:
            return set()
        node, at, _ = chosen
        intrinsic = intrinsic_of(node)
        if intrinsic is not None and intrinsic[0] == "Fn::If" and is_if(intrinsic[1]):
            return {
                lid
                for branch in (1, 2)
                for lid in self._refers(
                    intrinsic[1][branch], pointer_join(at, "Fn::If", branch), value, types
                )
            }
        if optional_text(self.r.resolve(node, at, None)) != value:
            return set()
        return {lid for lid in references(node) if self._is(lid, types)}

    def _is(self, logical_id: str, types: set[str]) -> bool:
        resource = self.r.resources.get(logical_id)
        if resource_type(resource) not in types or not isinstance(resource, Mapping):
            return False
        condition = resource.get("Condition")
        return condition is None or self.r.condition(condition) is not False

    def _created(self, rtype: str) -> list[str]:
        """The template's resources of a type that may be created (a scan of them all, once
        per artifact store: charged)."""
        self.r.budget.charge(items=len(self.r.resources), at=pointer_join(self.r.base, "Resources"))
        return [lid for lid in self.r.resources if self._is(lid, {rtype})]

    def _property(self, logical_id: str, key: str) -> Any:
        props = self.r.resources[logical_id].get("Properties")
        return props.get(key) if isinstance(props, Mapping) else None

    def _property_refers(self, logical_id: str, key: str, types: set[str]) -> set[str]:
        return {lid for lid in references(self._property(logical_id, key)) if self._is(lid, types)}

    def _property_text(self, logical_id: str, key: str) -> str | None:
        node = self._property(logical_id, key)
        if node is None:
            return None
        at = pointer_join(self.r.base, "Resources", logical_id, "Properties", key)
        return optional_text(self.r.resolve(node, at, None))

    def _aliases_named(self, name: str) -> set[str]:
        return {
            lid
            for lid in self._created(ALIAS)
            if self._property_text(lid, "AliasName") in (name, f"alias/{name}")
        }

    # -- documents -----------------------------------------------------------------------------

    def _one(self, logical_ids: set[str], at: str, what: str) -> str | None:
        return self.found.one(logical_ids, at, self.r.line_of(at), what)

    def _document(
        self, kind: DocumentKind, target: str, logical_id: str, key: str, named_at: str
    ) -> None:
        node = self._property(logical_id, key)
        at = pointer_join(self.r.base, "Resources", logical_id, "Properties", key)
        if node is None or self.r.select(node, at, None) is None:  # absent, or AWS::NoValue
            what = WITHOUT_POLICY.get(kind, "")
            self.found.not_read(
                named_at,
                self.r.line_of(named_at),
                f"`{logical_id}` has no `{key}`{what}; its {kind.value} is not compared",
                resource=logical_id,
            )
            return
        read = self.r.template_policy(node, at)
        if isinstance(read, Finding):
            self.found.refused(read)
            return
        self.found.add(
            CompanionPolicy(kind, target, read.document, at, self.r.line_of(at), read.undetermined)
        )


def _step(node: Any, at: str, token: str) -> list[tuple[Any, str]]:
    if isinstance(node, Mapping) and token in node:
        return [(node[token], pointer_join(at, token))]
    if isinstance(node, list) and token.isdigit() and int(token) < len(node):
        return [(node[int(token)], pointer_join(at, token))]
    intrinsic = intrinsic_of(node)
    if intrinsic is not None and intrinsic[0] == "Fn::If" and is_if(intrinsic[1]):
        return [
            step
            for branch in (1, 2)
            for step in _step(intrinsic[1][branch], pointer_join(at, "Fn::If", branch), token)
        ]
    return []
