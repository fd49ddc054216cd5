"""The IAM action catalogue: the shipped snapshot and the pure decoder/indexer."""

from __future__ import annotations

import gzip
import hashlib
import re
from functools import cache
from importlib import resources

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.engine.iam.catalog import (
    ACCESS_LEVELS,
    GLOBAL_CONDITION_KEYS,
    ActionSpec,
    Catalog,
    CatalogError,
    ResourceType,
    ServiceSpec,
    access_level_from_flags,
    compile_action_glob,
    encode_snapshot,
)
from tests.hypothesis_profiles import examples


@cache
def snapshot_bytes() -> bytes:
    return resources.files("app.data.catalog").joinpath("iam-catalog.json.gz").read_bytes()


@cache
def _real_catalog() -> Catalog:
    return Catalog.from_snapshot(snapshot_bytes())


@pytest.fixture(scope="module")
def cat() -> Catalog:
    return _real_catalog()


def glob_dp(pattern: str, name: str) -> bool:
    """Reference matcher: classic DP over (pattern prefix, name prefix), case-insensitive."""
    p, s = pattern.lower(), name.lower()
    row = [True] + [False] * len(s)  # pattern prefix of length 0
    for ch in p:
        new = [False] * (len(s) + 1)
        if ch == "*":
            new[0] = row[0]
            for j in range(1, len(s) + 1):
                new[j] = new[j - 1] or row[j]
        else:
            for j in range(1, len(s) + 1):
                new[j] = row[j - 1] and (ch == "?" or ch == s[j - 1])
        row = new
    return row[len(s)]


def brute_force(cat: Catalog, pattern: str) -> tuple[str, ...]:
    low = pattern.lower()
    pieces = low.split("*")
    head = pieces[0] if len(pieces) > 1 else low
    tail = pieces[-1] if len(pieces) > 1 else ""
    literals = [q for q in re.split(r"[*?]", low) if q]
    fixed = len(low) - low.count("*")
    out = []
    for name in cat.names:
        n = name.lower()
        # Necessary conditions only, for speed: the literal head and tail around the
        # stars, every wildcard-free piece somewhere in the name, and the length.
        if len(n) < fixed or ("*" not in low and len(n) != fixed):
            continue
        if "?" not in head and not n.startswith(head):
            continue
        if "?" not in tail and not n.endswith(tail):
            continue
        if not all(q in n for q in literals):
            continue
        if glob_dp(pattern, name):
            out.append(name)
    return tuple(out)


# --------------------------------------------------------------------------- snapshot


def test_counts_and_meta(cat: Catalog) -> None:
    m = cat.meta
    assert m.counts.actions >= 20_000
    assert m.counts.services >= 400
    assert m.counts.actions == len(cat) == len(cat.names)
    assert m.counts.services == len(cat.services)
    assert m.source
    assert m.source_version
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", m.date)
    assert m.sha256 == hashlib.sha256(snapshot_bytes()).hexdigest()


def test_source_md_matches_snapshot(cat: Catalog) -> None:
    text = resources.files("app.data.catalog").joinpath("SOURCE.md").read_text()
    for fact in (cat.meta.sha256, cat.meta.source_version, cat.meta.date):
        assert fact in text


def test_snapshot_is_compact_and_deterministic() -> None:
    data = snapshot_bytes()
    assert len(data) < 2 * 1024 * 1024
    assert data[4:8] == b"\0\0\0\0"  # gzip mtime 0
    doc = orjson.loads(gzip.decompress(data))
    assert orjson.dumps(doc, option=orjson.OPT_SORT_KEYS) == gzip.decompress(data)


# --------------------------------------------------------------------------- lookups


@pytest.mark.parametrize(
    ("query", "canonical"),
    [
        ("s3:getobject", "s3:GetObject"),
        ("S3:GETOBJECT", "s3:GetObject"),
        ("s3:GetObject", "s3:GetObject"),
        ("IAM:passrole", "iam:PassRole"),
        ("codepipeline:startpipelineexecution", "codepipeline:StartPipelineExecution"),
    ],
)
def test_case_insensitive_lookup(cat: Catalog, query: str, canonical: str) -> None:
    info = cat.action(query)
    assert info is not None
    assert info.name == canonical
    assert info.service == canonical.split(":", maxsplit=1)[0]
    assert query in cat
    assert cat.name_of(cat.index_of(query)) == canonical
    assert info.index == cat.index_of(canonical)


@pytest.mark.parametrize("query", ["s3:GetObjekt", "nosuchservice:Get", "s3", "", "s3:Get*"])
def test_unknown_actions(cat: Catalog, query: str) -> None:
    assert cat.action(query) is None
    assert query not in cat
    with pytest.raises(KeyError):
        cat.index_of(query)


@pytest.mark.parametrize(
    ("action", "level"),
    [
        ("s3:PutBucketPolicy", "Permissions management"),
        ("s3:GetObject", "Read"),
        ("s3:ListBucket", "List"),
        ("codecommit:TagResource", "Tagging"),
        ("s3:PutObject", "Write"),
        ("iam:PutRolePolicy", "Permissions management"),
        ("codepipeline:ListPipelines", "List"),
    ],
)
def test_access_levels(cat: Catalog, action: str, level: str) -> None:
    info = cat.action(action)
    assert info is not None
    assert info.access_level == level


def test_every_access_level_is_known(cat: Catalog) -> None:
    levels = {cat.action_at(i).access_level for i in range(0, len(cat), 7)}
    assert levels <= set(ACCESS_LEVELS)
    assert len(levels) == 5


@pytest.mark.parametrize(
    ("action", "resource_types", "arn_fragment"),
    [
        ("s3:ListAllMyBuckets", (), None),
        ("s3:PutBucketPolicy", ("bucket",), "arn:${Partition}:s3:::${BucketName}"),
        ("s3:GetObject", None, "arn:${Partition}:s3:::${BucketName}/${ObjectName}"),
        ("codepipeline:StartPipelineExecution", ("pipeline",), ":${PipelineName}"),
    ],
)
def test_resource_types(
    cat: Catalog, action: str, resource_types: tuple[str, ...] | None, arn_fragment: str | None
) -> None:
    info = cat.action(action)
    assert info is not None
    if resource_types is not None:
        assert info.resource_types == resource_types
    if arn_fragment is None:
        assert info.arn_formats == ()
    else:
        assert any(arn_fragment in a for a in info.arn_formats)
    svc = cat.services[info.service]
    for rt in info.resource_types:
        assert set(svc.resource_types[rt].arn_formats) <= set(info.arn_formats)


def test_service_view(cat: Catalog) -> None:
    s3 = cat.services["s3"]
    assert s3.prefix == "s3"
    assert "S3" in s3.name
    assert "s3:GetObject" in s3.actions
    assert s3.condition_keys["s3:prefix"] == "String"
    assert "bucket" in s3.resource_types
    ids = cat.service_ids("S3")
    assert [cat.name_of(i) for i in ids] == list(s3.actions)
    assert cat.service_ids("nosuch") == range(0)
    assert cat.has_service("S3")
    assert cat.has_service("codepipeline")
    assert not cat.has_service("codepipline")
    assert cat.service("s3") is s3


def test_ids_are_dense_and_stable(cat: Catalog) -> None:
    again = Catalog.from_snapshot(snapshot_bytes())
    assert again.names == cat.names
    assert [cat.index_of(n) for n in cat.names[:50]] == list(range(50))
    with pytest.raises(IndexError):
        cat.name_of(-1)


def test_catalog_is_immutable(cat: Catalog) -> None:
    with pytest.raises(AttributeError):
        cat._names = ()
    with pytest.raises(TypeError):
        Catalog()


# --------------------------------------------------------------------------- globs


@pytest.mark.parametrize(
    ("pattern", "must_include", "must_exclude"),
    [
        ("s3:Get*", {"s3:GetObject", "s3:GetBucketPolicy"}, {"s3:PutObject", "s3:ListBucket"}),
        ("S3:GET*", {"s3:GetObject"}, {"s3:PutObject"}),
        ("s3:?etObject", {"s3:GetObject"}, {"s3:PutObject"}),
        ("*:ListBucket", {"s3:ListBucket"}, {"s3:ListBucketVersions"}),
        ("*:ListBucket*", {"s3:ListBucket", "s3:ListBucketVersions"}, {"s3:ListAllMyBuckets"}),
        ("iam:*AccessKey*", {"iam:CreateAccessKey", "iam:ListAccessKeys"}, {"iam:PassRole"}),
        ("codepipeline:*", {"codepipeline:StartPipelineExecution"}, {"codebuild:StartBuild"}),
        ("code*:Start*", {"codebuild:StartBuild", "codepipeline:StartPipelineExecution"}, set()),
        ("s3*", {"s3:GetObject"}, {"iam:PassRole"}),
    ],
)
def test_expand(cat: Catalog, pattern: str, must_include: set[str], must_exclude: set[str]) -> None:
    got = cat.expand(pattern)
    assert must_include <= set(got)
    assert not (must_exclude & set(got))
    assert got == brute_force(cat, pattern)
    assert len(set(got)) == len(got)


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("s3:GetObject", ("s3:GetObject",)),
        ("s3:getobject", ("s3:GetObject",)),
        ("s3:?etObject", ("s3:GetObject",)),
        ("*:ListBuckets", ()),  # not an action anywhere (s3 has ListAllMyBuckets)
        ("s3:[G]etObject", ()),  # '[' is a literal, not a character class
        ("s3:Get[*", ()),
        ("s3:GetObject?", ()),
        ("nosuch:*", ()),
        ("s3", ()),
        ("", ()),
        ("s3:", ()),
    ],
)
def test_expand_exact(cat: Catalog, pattern: str, expected: tuple[str, ...]) -> None:
    assert cat.expand(pattern) == expected


def test_expand_star_is_everything(cat: Catalog) -> None:
    assert cat.expand("*") == cat.names
    assert cat.expand("*:*") == cat.names
    assert cat.mask("*") == cat.all_mask


def test_expand_is_cached_and_masks_roundtrip(cat: Catalog) -> None:
    assert cat.expand("s3:Get*") is not cat.expand("s3:get*")  # fresh tuples of names ...
    assert cat.expand_ids("s3:Get*") is cat.expand_ids("S3:GET*")  # ... over cached ids
    ids = cat.expand_ids("iam:*AccessKey*")
    mask = cat.mask("iam:*AccessKey*")
    assert mask == sum(1 << i for i in ids)
    assert cat.mask_to_ids(mask) == ids
    assert cat.mask_to_ids(0) == ()
    s3_mask = cat.ids_to_mask(cat.service_ids("s3"))
    assert cat.mask("s3:*") == s3_mask


def test_glob_has_no_catastrophic_backtracking() -> None:
    rx = compile_action_glob("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*z")
    assert rx.fullmatch("a" * 200) is None


# A tiny synthetic catalogue with awkward characters, for the property tests.
_ALPHABET = "ab:?*[].-"
_NAME = st.text(alphabet="abAB.[-", min_size=1, max_size=6)


@cache
def synthetic() -> Catalog:
    services = []
    for prefix, actions in {
        "a": ["a", "ab", "A.b", "b[a", "aa-b", "ba"],
        "ab": ["a", "ba", "[", "b.B", "aaa"],
        "b-a": ["ab", "b", "a[b]"],
        "a.b": ["x", "ab"],
    }.items():
        services.append(
            ServiceSpec(
                prefix=prefix,
                name=prefix.upper(),
                actions=tuple(ActionSpec(name=a, access_level="Read") for a in actions),
            )
        )
    return Catalog.from_snapshot(
        encode_snapshot(services, source="t", source_version="1", date="2024-01-01")
    )


@given(st.text(alphabet=_ALPHABET, max_size=8))
def test_property_expand_matches_dp_synthetic(pattern: str) -> None:
    cat = synthetic()
    expected = tuple(n for n in cat.names if glob_dp(pattern, n))
    assert cat.expand(pattern) == expected


@st.composite
def patterns_from_real_names(draw: st.DrawFn) -> str:
    name = draw(st.sampled_from(_real_catalog().names))
    chars = list(name)
    out: list[str] = []
    i = 0
    while i < len(chars):
        op = draw(st.sampled_from(["keep"] * 6 + ["star", "q", "case", "drop"]))
        if op == "star":
            out.append("*")
            i += draw(st.integers(min_value=0, max_value=4))
            continue
        if op == "q":
            out.append("?")
        elif op == "case":
            out.append(chars[i].swapcase())
        elif op == "keep":
            out.append(chars[i])
        i += 1
    if draw(st.booleans()):
        out.insert(draw(st.integers(0, len(out))), draw(st.sampled_from("*?[x")))
    return "".join(out)


@settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(patterns_from_real_names())
def test_property_expand_matches_dp_real(pattern: str) -> None:
    cat = _real_catalog()
    assert cat.expand(pattern) == brute_force(cat, pattern)


@given(st.text(alphabet="ab*?", max_size=10), st.text(alphabet="ab", max_size=12))
def test_property_compiled_glob_equals_dp(pattern: str, name: str) -> None:
    assert (compile_action_glob(pattern).fullmatch(name) is not None) == glob_dp(pattern, name)


# --------------------------------------------------------------------------- suggestions


@pytest.mark.parametrize(
    ("query", "expected_first"),
    [
        ("s3:GetObjekt", "s3:GetObject"),
        ("s3:getobjekt", "s3:GetObject"),
        ("iam:PassRoel", "iam:PassRole"),
        ("codepipline:StartPipelineExecution", "codepipeline:StartPipelineExecution"),
    ],
)
def test_suggest_action(cat: Catalog, query: str, expected_first: str) -> None:
    got = cat.suggest_action(query)
    assert got[0] == expected_first
    assert len(got) <= 3


@pytest.mark.parametrize(
    ("query", "expected_first"),
    [("codepipline", "codepipeline"), ("CodeBuld", "codebuild"), ("s3", "s3")],
)
def test_suggest_service(cat: Catalog, query: str, expected_first: str) -> None:
    got = cat.suggest_service(query)
    assert got[0] == expected_first
    assert len(got) <= 3


def test_suggest_nothing(cat: Catalog) -> None:
    assert cat.suggest_action("zzzzzzzz:qqqqqqq") == []
    assert cat.suggest_action("no-colon") == []
    assert cat.suggest_service("zzzzzzzzzz") == []


# --------------------------------------------------------------------------- condition keys


@pytest.mark.parametrize(
    ("key", "key_type"),
    [
        ("aws:SourceIp", "IPAddress"),
        ("AWS:SOURCEIP", "IPAddress"),
        ("aws:CurrentTime", "Date"),
        ("aws:EpochTime", "Date"),
        ("aws:SecureTransport", "Bool"),
        ("aws:MultiFactorAuthPresent", "Bool"),
        ("aws:MultiFactorAuthAge", "Numeric"),
        ("aws:PrincipalTag/team", "String"),
        ("aws:RequestTag/Env", "String"),
        ("aws:ResourceTag/Env", "String"),
        ("aws:resourcetag/a/b:c", "String"),
        ("aws:ResourceTag/${TagKey}", "String"),
        ("aws:TagKeys", "ArrayOfString"),
        ("aws:ResourceAccount", "String"),
        ("aws:PrincipalAccount", "String"),
        ("aws:PrincipalArn", "ARN"),
        ("aws:SourceArn", "ARN"),
        ("aws:SourceAccount", "String"),
        ("aws:SourceVpc", "String"),
        ("aws:SourceVpce", "String"),
        ("aws:CalledVia", "ArrayOfString"),
        ("aws:ViaAWSService", "Bool"),
        ("aws:username", "String"),
        ("aws:userid", "String"),
        ("aws:PrincipalOrgID", "String"),
        ("aws:RequestedRegion", "String"),
        ("aws:ResourceOrgID", "String"),
        ("s3:prefix", "String"),
        ("S3:Prefix", "String"),
        ("s3:ExistingObjectTag/classification", "String"),
        ("codebuild:source.location", "String"),
        ("kms:EncryptionContext:purpose", "String"),
        ("ec2:ResourceTag/Name", "String"),
    ],
)
def test_condition_key_type(cat: Catalog, key: str, key_type: str) -> None:
    assert cat.condition_key_type(key) == key_type


def test_condition_key_details(cat: Catalog) -> None:
    assert cat.condition_key_types("aws:EpochTime") == ("Date", "Numeric")
    hit = cat.condition_key("aws:resourcetag/Env")
    assert hit is not None
    assert hit[0] == "aws:ResourceTag/${TagKey}"
    assert cat.condition_key_type("aws:NoSuchKey") is None
    assert cat.condition_key_type("nosuch:key") is None
    assert cat.condition_key_type("aws:ResourceTag/") is None  # the tag key is required
    assert cat.condition_key_types("s3:nosuch") == ()


def test_global_key_table_is_typed() -> None:
    known = {"String", "ArrayOfString", "ARN", "Bool", "Numeric", "Date", "IPAddress"}
    for key, types in GLOBAL_CONDITION_KEYS.items():
        assert key.startswith("aws:")
        assert types
        assert set(types) <= known


# --------------------------------------------------------------------------- encoding


@pytest.mark.parametrize(
    ("flags", "level"),
    [
        ({}, "Read"),
        ({"is_list": True}, "List"),
        ({"is_write": True}, "Write"),
        ({"is_write": True, "is_list": True}, "Write"),
        ({"is_write": True, "is_tagging_only": True}, "Tagging"),
        ({"is_write": True, "is_permission_management": True}, "Permissions management"),
        ({"is_tagging_only": True, "is_permission_management": True}, "Permissions management"),
    ],
)
def test_access_level_from_flags(flags: dict[str, bool], level: str) -> None:
    assert access_level_from_flags(**flags) == level


def test_encode_roundtrip_and_determinism() -> None:
    spec = ServiceSpec(
        prefix="Demo",
        name="Demo Service",
        actions=(
            ActionSpec("PutThing", "Write", ("thing",), ("demo:Color", "aws:RequestTag/${TagKey}")),
            ActionSpec("GetThing", "Read", ("thing", "Thing"), ("demo:color",)),
            ActionSpec("ListThings", "List"),
        ),
        resource_types=(
            ResourceType("thing", ("arn:${Partition}:demo:::${Name}",), ("demo:Color",)),
        ),
        condition_keys={"demo:Color": ("String",), "aws:RequestTag/${TagKey}": ("String",)},
    )
    data = encode_snapshot([spec], source="s", source_version="v", date="2024-02-03")
    assert data == encode_snapshot([spec], source="s", source_version="v", date="2024-02-03")
    cat = Catalog.from_snapshot(data)
    assert cat.names == ("demo:GetThing", "demo:ListThings", "demo:PutThing")
    get = cat.action("DEMO:getthing")
    assert get is not None
    assert get.resource_types == ("thing",)
    assert get.condition_keys == ("demo:Color",)
    assert get.arn_formats == ("arn:${Partition}:demo:::${Name}",)
    assert cat.services["demo"].resource_types["thing"].condition_keys == ("demo:Color",)
    assert cat.condition_key_type("demo:COLOR") == "String"
    assert cat.meta.date == "2024-02-03"


@pytest.mark.parametrize(
    "spec",
    [
        ServiceSpec(prefix="", name="x", actions=(ActionSpec("A", "Read"),)),
        ServiceSpec(prefix="a:b", name="x", actions=(ActionSpec("A", "Read"),)),
        ServiceSpec(
            prefix="x", name="x", actions=(ActionSpec("A", "Read"), ActionSpec("a", "Read"))
        ),
        ServiceSpec(prefix="x", name="x", actions=(ActionSpec("A", "Bogus"),)),  # type: ignore[arg-type]
        ServiceSpec(prefix="x", name="x", actions=(ActionSpec("x:A", "Read"),)),
    ],
)
def test_encode_rejects_bad_input(spec: ServiceSpec) -> None:
    with pytest.raises(CatalogError):
        encode_snapshot([spec], source="s", source_version="v", date="2024-01-01")


# mtime=0: the ids (the bytes) must not change with the second each test worker collects in.
@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not gzip",
        gzip.compress(b"not json", mtime=0),
        gzip.compress(b"[]", mtime=0),
        gzip.compress(b'{"f": "other/1"}', mtime=0),
        gzip.compress(b'{"f": "iam-catalog/1", "m": {}, "lv": [], "s": {}}', mtime=0),
        gzip.compress(
            b'{"f": "iam-catalog/1", "m": {}, "lv": ["Read"], "s": {"x": {"a": ["A"]}}}', mtime=0
        ),
    ],
)
def test_from_snapshot_rejects_garbage(data: bytes) -> None:
    with pytest.raises(CatalogError):
        Catalog.from_snapshot(data)


def _breakdown_by_hand(
    cat: Catalog, ids: set[int]
) -> dict[str, tuple[dict[str, int], tuple[str, ...]]]:
    out: dict[str, tuple[dict[str, int], list[str]]] = {}
    for i in sorted(ids):
        info = cat.action_at(i)
        counts, first = out.setdefault(info.service, ({}, []))
        counts[info.access_level] = counts.get(info.access_level, 0) + 1
        if len(first) < 5:
            first.append(info.name)
    return {s: (dict(sorted(c.items())), tuple(f)) for s, (c, f) in out.items()}


@settings(max_examples=examples(60), deadline=None)
@given(st.sets(st.integers(min_value=0, max_value=22_000), max_size=200))
def test_property_breakdown_and_mask_ids_agree_with_a_walk_over_the_ids(ids: set[int]) -> None:
    cat = _real_catalog()
    ids = {i for i in ids if i < len(cat)}
    mask = cat.ids_to_mask(ids)
    assert cat.mask_to_ids(mask) == tuple(sorted(ids))
    got = {s: (b.by_access_level, b.examples) for s, b in cat.breakdown(mask).items()}
    assert got == _breakdown_by_hand(cat, ids)


@pytest.mark.parametrize("pattern", ["*", "s3:*", "ec2:Describe*", "iam:PassRole", "nosuch:*"])
def test_breakdown_of_whole_patterns(cat: Catalog, pattern: str) -> None:
    ids = set(cat.expand_ids(pattern))
    got = {s: (b.by_access_level, b.examples) for s, b in cat.breakdown(cat.mask(pattern)).items()}
    assert got == _breakdown_by_hand(cat, ids)
    assert sum(
        sum(b.by_access_level.values()) for b in cat.breakdown(cat.mask(pattern)).values()
    ) == len(ids)
