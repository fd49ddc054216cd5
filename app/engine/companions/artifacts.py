"""The artifact stores a pipeline's Regions need, and the statements their bucket and key
policies must hold for the roles that read and write artifacts there.

Following the cross-account walkthrough (CPX) and the cross-Region page (CPR), as summed up in
shared/reference/iam-evaluation-layers.md §9 (D1, D2, D8):

- every Region where actions run has its own store (bucket, optional customer managed key),
  in the pipeline's account; a cross-Region action reads and writes its Region's store;
- a role of another account that reads or writes artifacts needs the bucket policy to allow it
  (a cross-account request needs both sides, R3.1) and the key policy to let it use the key
  (R4.3); the store must then have a customer managed key named by key ARN;
- the key policy names the service role, and every other role that reads or writes artifacts
  there, as key users (an IAM grant alone does not let anyone use a key, R4.1).

Narrowings of the walkthrough, each stated in its reason: the principals are the roles, not
their whole accounts; the actions are those an artifact read or write makes (`s3:GetObject`,
`s3:GetObjectVersion`, `s3:ListBucket`; `s3:PutObject`, `s3:PutObjectAcl`; `kms:Decrypt`;
`kms:GenerateDataKey`), not `s3:Get*`, `s3:Put*` and the console's five key-use actions.
Left out: the key's administrator and `Enable IAM User Permissions` statements (the owner's,
not the pipeline's), the console's grant statement (`kms:CreateGrant`, which no artifact
operation calls), and roles a pipeline does not name (a CodeDeploy instance role, D6).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from app.engine.companions import citations
from app.engine.companions.documents import (
    CompanionReason,
    DocumentKind,
    PrincipalKind,
    RegionStore,
)
from app.engine.companions.drafts import Condition, Draft, member_reason, pipeline_reason
from app.engine.companions.members import Home, Member, is_role_arn
from app.engine.findings import Finding, FindingType
from app.engine.json_pointer import pointer_join
from app.engine.pipeline.model import ArtifactStore, Pipeline
from app.engine.profiles import Citation

READ_OBJECTS = ("s3:GetObject", "s3:GetObjectVersion")
LIST_BUCKET = ("s3:ListBucket",)
WRITE_OBJECTS = ("s3:PutObject", "s3:PutObjectAcl")
DECRYPT = ("kms:Decrypt",)
GENERATE_DATA_KEY = ("kms:GenerateDataKey",)
# The key policy's own key: Resource "*" in a key policy means the key it is attached to (KPD).
THIS_KEY = ("*",)

_NARROWED = (
    "; the walkthrough names the other account and s3:Get*/s3:Put*, narrowed here to the role "
    "and the actions an artifact read or write makes"
)


@dataclass
class _Work:
    drafts: list[Draft] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    other_accounts: dict[str | None, set[str]] = field(default_factory=dict)
    missing: set[str | None] = field(default_factory=set)
    # Regions whose store cannot be told: the pipeline's own Region is not known.
    undetermined: set[str | None] = field(default_factory=set)
    warned_roles: set[str] = field(default_factory=set)


def artifact_drafts(
    pipeline: Pipeline, home: Home, members: Sequence[Member]
) -> tuple[list[Draft], list[Finding], list[RegionStore]]:
    stores = _stores_by_region(pipeline, home)
    work = _Work()
    regions_used = {home.region} | {m.region for m in members}
    for member in members:
        if not (member.reads_artifacts or member.writes_artifacts):
            continue
        store = stores.get(member.region)
        if store is None:
            if home.region is None and (member.region is None or None in stores):
                work.undetermined.add(member.region)
            else:
                work.missing.add(member.region)
            continue
        _member_access(home, member, store, work)
    for region, store in sorted(stores.items(), key=lambda kv: kv[0] or ""):
        _service_role_key_use(pipeline, home, region, store, work)
    for region in sorted(r for r in work.missing if r is not None):
        work.findings.append(_store_missing(pipeline, region))
    if work.undetermined:
        work.findings.append(_store_undetermined(pipeline, work.undetermined))
    needed = [
        RegionStore(
            pipeline=pipeline.name,
            region=region,
            location=stores[region].location if region in stores else None,
            kms_key=stores[region].kms_key_id if region in stores else None,
            other_accounts=tuple(sorted(work.other_accounts.get(region, ()))),
        )
        for region in sorted(regions_used | set(stores), key=lambda r: r or "")
    ]
    return work.drafts, work.findings, needed


def _stores_by_region(pipeline: Pipeline, home: Home) -> dict[str | None, ArtifactStore]:
    """`artifactStores` by its Regions; a single `artifactStore` serves the pipeline's Region
    (None when that is not known)."""
    mapped: dict[str | None, ArtifactStore] = {
        s.region: s for s in pipeline.artifact_stores if s.region is not None
    }
    if mapped:
        return mapped
    single = [s for s in pipeline.artifact_stores if s.region is None]
    return {home.region: single[0]} if single else {}


def _store_missing(pipeline: Pipeline, region: str | None) -> Finding:
    where = "artifactStores" if any(s.region for s in pipeline.artifact_stores) else "artifactStore"
    what = f"Region `{region}`" if region else "the pipeline's Region"
    return Finding(
        code="COMPANION_STORE_MISSING",
        finding_type=FindingType.ERROR,
        message=f"actions run in {what}, which has no artifact store (each Region with actions "
        "needs its own bucket in the pipeline's account, under `artifactStores`); its bucket and "
        "key policies are not given",
        path=pointer_join(pipeline.pointer, where),
        detail={"region": region, "source": citations.CROSS_REGION.url},
    )


def _store_undetermined(pipeline: Pipeline, regions: set[str | None]) -> Finding:
    named = sorted(r for r in regions if r is not None)
    what = f"Region {', '.join(f'`{r}`' for r in named)} or " if named else ""
    return Finding(
        code="COMPANION_STORE_REGION_UNKNOWN",
        finding_type=FindingType.WARNING,
        message="the pipeline's own Region is not known (give `context.region`), so which "
        f"artifact store serves the actions in {what}that Region cannot be told; their bucket "
        "and key policies are not given",
        path=pipeline.pointer,
        detail={"regions": named},
    )


def _member_access(home: Home, member: Member, store: ArtifactStore, work: _Work) -> None:
    if not member.declares_role:
        return  # the service role: its key use is drafted once per store
    if home.account is None or member.role_account is None or not is_role_arn(member.role_arn):
        _role_account_unknown(home, member, work)
        return
    same = member.role_account == home.account
    key = _key_target(store, member, cross_account=not same, work=work)
    if same:
        # Same account: the role's own policy reaches the bucket (R1.8); the key policy must
        # still let it use the key (R4.1).
        if key is not None:
            _key_use(home, member, store, key, work, citations.KEY_POLICY_DEFAULT, "same account")
        return
    assert member.role_account is not None
    work.other_accounts.setdefault(member.region, set()).add(member.role_account)
    if store.kms_key_id is None:
        work.findings.append(
            Finding(
                code="CROSS_ACCOUNT_STORE_WITHOUT_KEY",
                finding_type=FindingType.ERROR,
                message=f"the role `{member.role_arn}` of account {member.role_account} uses "
                f"the artifact store `{store.location}`, which has no customer managed KMS key; "
                "the default key (aws/s3) cannot be shared with another account, so the store "
                "needs `encryptionKey` with a customer managed key",
                path=pointer_join(store.pointer, "encryptionKey"),
                detail={"role": member.role_arn, "source": citations.CROSS_ACCOUNT.url},
            )
        )
    _bucket_statements(home, member, store, work)
    if key is not None:
        _key_use(home, member, store, key, work, citations.KEY_POLICY_EXTERNAL, "another account")


def _role_account_unknown(home: Home, member: Member, work: _Work) -> None:
    if member.role_arn in work.warned_roles:
        return
    work.warned_roles.add(member.role_arn)
    unknown = "the pipeline's account" if home.account is None else "the role's account or name"
    work.findings.append(
        Finding(
            code="COMPANION_ROLE_ACCOUNT_UNKNOWN",
            finding_type=FindingType.WARNING,
            message=f"{unknown} is not known, so whether `{member.role_arn}` is in another "
            "account, and needs the artifact bucket and key policies to let it in, cannot be "
            "told; they are given without it (a principal cannot be a pattern)",
            path=member.role_pointer,
        )
    )


def _bucket_statements(home: Home, member: Member, store: ArtifactStore, work: _Work) -> None:
    bucket = f"arn:{_partition(member)}:s3:::{store.location}"
    objects = f"{bucket}/*"
    region = store.region or member.region

    def draft(
        statement: str,
        actions: tuple[str, ...],
        resource: str,
        text: str,
        *,
        effect: str = "Allow",
        condition: Condition = (),
        everyone: bool = False,
        sse_kms_key: str | None = None,
    ) -> None:
        work.drafts.append(
            Draft(
                kind=DocumentKind.BUCKET_POLICY,
                target=store.location,
                account=home.account,
                region=region,
                statement=statement,
                effect=effect,
                principal_kind=PrincipalKind.EVERYONE if everyone else PrincipalKind.AWS,
                principal=None if everyone else member.role_arn,
                actions=actions,
                resources=(resource,),
                condition=condition,
                reason=member_reason(
                    member, statement, text, citations.CROSS_ACCOUNT, inferred=not everyone
                ),
                sse_kms_key=sse_kms_key,
            )
        )

    if member.reads_artifacts:
        draft(
            "ReadArtifacts",
            READ_OBJECTS,
            objects,
            "the role reads the action's input "
            "artifacts from the artifact bucket of its Region" + _NARROWED,
        )
        draft(
            "ListArtifactBucket",
            LIST_BUCKET,
            bucket,
            "the role lists the artifact bucket "
            "(S3 answers AccessDenied, not NoSuchKey, for a missing artifact without it)"
            + _NARROWED,
        )
    if member.writes_artifacts:
        draft(
            "WriteArtifacts",
            WRITE_OBJECTS,
            objects,
            "the role writes the action's output "
            "artifacts to the artifact bucket of its Region" + _NARROWED,
            sse_kms_key=_key_arn(store),
        )
    draft(
        "DenyInsecureConnections",
        ("s3:*",),
        objects,
        "the walkthrough's bucket policy refuses artifact requests not made over TLS",
        effect="Deny",
        everyone=True,
        condition=(("Bool", (("aws:SecureTransport", "false"),)),),
    )
    if store.kms_key_id is not None:
        draft(
            "DenyUnEncryptedObjectUploads",
            ("s3:PutObject",),
            objects,
            "the walkthrough's bucket policy refuses artifacts not encrypted with the store's "
            "KMS key (CodePipeline writes them with SSE-KMS)",
            effect="Deny",
            everyone=True,
            condition=(("StringNotEquals", (("s3:x-amz-server-side-encryption", "aws:kms"),)),),
        )


def _key_arn(store: ArtifactStore) -> str | None:
    """The store's key when the pipeline names it by key ARN, the form an upload names it in."""
    key = store.kms_key_id
    return key if key is not None and key.startswith("arn:") and ":key/" in key else None


def _partition(member: Member) -> str:
    return member.role_arn.split(":")[1] if member.role_arn.startswith("arn:") else "aws"


def _key_target(
    store: ArtifactStore, member: Member, *, cross_account: bool, work: _Work
) -> str | None:
    """The key whose policy is meant: its ARN when the pipeline names it so; an alias or bare
    key ID stays as written (a cross-account action cannot use them: a finding)."""
    key = store.kms_key_id
    if key is None:
        return None
    if _key_arn(store) is not None:
        return key
    if cross_account:
        alias = key.startswith("alias/") or ":alias/" in key
        work.findings.append(
            Finding(
                code="CROSS_ACCOUNT_KEY_NOT_ARN",
                finding_type=FindingType.ERROR,
                message=f"the artifact store `{store.location}` names its key `{key}` by "
                + ("alias" if alias else "key ID")
                + f", and `{member.role_arn}` of another account uses it; "
                + (
                    "an alias is found only in the key's own account"
                    if alias
                    else "a bare key ID is looked up in the calling account"
                )
                + ", so the pipeline must name the key by its key ARN",
                path=pointer_join(store.pointer, "encryptionKey", "id"),
                detail={"source": citations.CROSS_ACCOUNT.url},
            )
        )
    return key


def _key_use(
    home: Home,
    member: Member,
    store: ArtifactStore,
    key: str,
    work: _Work,
    citation: Citation,
    where: str,
) -> None:
    for statement, actions, needed, text in (
        ("KeyUseReadArtifacts", DECRYPT, member.reads_artifacts, "decrypts the input artifacts"),
        (
            "KeyUseWriteArtifacts",
            GENERATE_DATA_KEY,
            member.writes_artifacts,
            "encrypts the output artifacts",
        ),
    ):
        if not needed:
            continue
        reason = member_reason(
            member,
            statement,
            f"the role ({where}) {text} with the store's key, which its own policy alone cannot "
            "grant (S3 asks KMS as the caller; the key policy must allow it)",
            citation,
            inferred=True,
        )
        work.drafts.append(
            _key_user(key, home, store.region or member.region, member.role_arn, actions, reason)
        )


def _service_role_key_use(
    pipeline: Pipeline, home: Home, region: str | None, store: ArtifactStore, work: _Work
) -> None:
    key = store.kms_key_id
    if key is None or not home.service_role_known:
        return
    for statement, actions, text in (
        ("KeyUseReadArtifacts", DECRYPT, "decrypts artifacts"),
        ("KeyUseWriteArtifacts", GENERATE_DATA_KEY, "encrypts artifacts"),
    ):
        reason = pipeline_reason(
            pipeline,
            statement,
            f"the service role {text} in every artifact store with the store's key; the "
            "walkthrough makes it a key user of the key policy",
            citations.CROSS_ACCOUNT,
            inferred=False,
        )
        work.drafts.append(
            _key_user(key, home, store.region or region, home.service_role, actions, reason)
        )


def _key_user(
    key: str,
    home: Home,
    region: str | None,
    principal: str,
    actions: tuple[str, ...],
    reason: CompanionReason,
) -> Draft:
    """A key-policy statement naming a role as a user of the key (its statement id is the
    reason's)."""
    return Draft(
        kind=DocumentKind.KEY_POLICY,
        target=key,
        account=home.account,
        region=region,
        statement=reason.statement,
        effect="Allow",
        principal_kind=PrincipalKind.AWS,
        principal=principal,
        actions=actions,
        resources=THIS_KEY,
        condition=(),
        reason=reason,
    )
