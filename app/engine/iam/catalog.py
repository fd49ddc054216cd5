"""The IAM action catalogue: every service, action, resource type and condition key.

The catalogue is a shipped, dated snapshot (gzip-compressed JSON, see ``SNAPSHOT_FORMAT``)
that this module decodes and indexes.  It is pure: callers hand it bytes, it does no I/O.

Snapshot layout (all keys short, all object keys sorted, gzip mtime 0)::

    {
      "f": "iam-catalog/1",
      "m": {"src": str, "ver": str, "date": "YYYY-MM-DD", "ns": int, "na": int},
      "lv": ["List", "Read", "Write", "Tagging", "Permissions management"],
      "s": {
        "<prefix>": {
          "n":  "<service name>",
          "a":  ["<ActionName>", ...],              # sorted by lower-case name
          "l":  "<one digit per action: index into lv>",
          "ar": [[<index into r>, ...], ...],       # per action; [] = Resource "*"
          "ac": [[<index into c>, ...], ...],       # per action
          "r":  [["<type>", ["<arn format>", ...], [<index into c>, ...]], ...],
          "c":  [["<key>", "<type>", ...], ...]     # key then its types (may be none)
        }
      }
    }

Action ids are positions in the order (prefix, lower-case action name).  They are stable
for one snapshot (same bytes, same ids) and are meant for Python-int bitsets; they are not
comparable across snapshots.
"""

from __future__ import annotations

import difflib
import gzip
import hashlib
import re
import zlib
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType
from typing import Any, Final, Literal, cast

import orjson

__all__ = [
    "ACCESS_LEVELS",
    "GLOBAL_CONDITION_KEYS",
    "SNAPSHOT_FORMAT",
    "AccessLevel",
    "ActionInfo",
    "ActionSpec",
    "Catalog",
    "CatalogCounts",
    "CatalogError",
    "CatalogMeta",
    "ResourceType",
    "Service",
    "ServiceSpec",
    "SnapshotTooLargeError",
    "access_level_from_flags",
    "compile_action_glob",
    "encode_snapshot",
    "gunzip",
]

SNAPSHOT_FORMAT: Final = "iam-catalog/1"

AccessLevel = Literal["List", "Read", "Write", "Tagging", "Permissions management"]
ACCESS_LEVELS: Final[tuple[AccessLevel, ...]] = (
    "List",
    "Read",
    "Write",
    "Tagging",
    "Permissions management",
)
_LEVEL_INDEX: Final = {lv: i for i, lv in enumerate(ACCESS_LEVELS)}

# Global condition keys (AWS "global condition context keys").  Templates use ${...}.
# A key may accept more than one operator family; the first type is the primary one.
GLOBAL_CONDITION_KEYS: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {
        # Principal properties
        "aws:PrincipalArn": ("ARN",),
        "aws:PrincipalAccount": ("String",),
        "aws:PrincipalOrgID": ("String",),
        "aws:PrincipalOrgPaths": ("ArrayOfString",),
        "aws:PrincipalTag/${TagKey}": ("String",),
        "aws:PrincipalIsAWSService": ("Bool",),
        "aws:PrincipalServiceName": ("String",),
        "aws:PrincipalServiceNamesList": ("ArrayOfString",),
        "aws:PrincipalType": ("String",),
        "aws:userid": ("String",),
        "aws:username": ("String",),
        "aws:AssumedRoot": ("Bool",),
        # Role session properties
        "aws:FederatedProvider": ("String",),
        "aws:TokenIssueTime": ("Date",),
        "aws:MultiFactorAuthAge": ("Numeric",),
        "aws:MultiFactorAuthPresent": ("Bool",),
        "aws:ChatbotSourceArn": ("ARN",),
        "aws:Ec2InstanceSourceVpc": ("String",),
        "aws:Ec2InstanceSourcePrivateIPv4": ("IPAddress",),
        "aws:SourceIdentity": ("String",),
        # Network properties
        "aws:SourceIp": ("IPAddress",),
        "aws:SourceVpc": ("String",),
        "aws:SourceVpcArn": ("ARN",),
        "aws:SourceVpce": ("String",),
        "aws:VpcSourceIp": ("IPAddress",),
        "aws:VpceAccount": ("String",),
        "aws:VpceOrgID": ("String",),
        "aws:VpceOrgPaths": ("ArrayOfString",),
        # Resource properties
        "aws:ResourceAccount": ("String",),
        "aws:ResourceOrgID": ("String",),
        "aws:ResourceOrgPaths": ("ArrayOfString",),
        "aws:ResourceTag/${TagKey}": ("String",),
        # Request properties
        "aws:CalledVia": ("ArrayOfString",),
        "aws:CalledViaFirst": ("String",),
        "aws:CalledViaLast": ("String",),
        "aws:ViaAWSService": ("Bool",),
        "aws:CurrentTime": ("Date",),
        "aws:EpochTime": ("Date", "Numeric"),
        "aws:referer": ("String",),
        "aws:RequestedRegion": ("String",),
        "aws:RequestTag/${TagKey}": ("String",),
        "aws:TagKeys": ("ArrayOfString",),
        "aws:SecureTransport": ("Bool",),
        "aws:SourceAccount": ("String",),
        "aws:SourceArn": ("ARN",),
        "aws:SourceOrgID": ("String",),
        "aws:SourceOrgPaths": ("ArrayOfString",),
        "aws:UserAgent": ("String",),
        "aws:IsMcpServiceAction": ("Bool",),
    }
)


class CatalogError(ValueError):
    """The snapshot bytes or the importer input are not a valid catalogue."""


class SnapshotTooLargeError(CatalogError):
    """The snapshot expands to more than the caller allows (a decompression bomb, or simply
    more than the caller is prepared to hold)."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the snapshot expands to more than {limit} bytes")
        self.limit = limit


@dataclass(frozen=True, slots=True)
class CatalogCounts:
    services: int
    actions: int


@dataclass(frozen=True, slots=True)
class CatalogMeta:
    source: str
    source_version: str
    date: str
    sha256: str
    counts: CatalogCounts


@dataclass(frozen=True, slots=True)
class ResourceType:
    name: str
    arn_formats: tuple[str, ...]
    condition_keys: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Service:
    name: str
    prefix: str
    actions: tuple[str, ...]  # canonical "prefix:Action" names, in id order
    resource_types: Mapping[str, ResourceType]
    condition_keys: Mapping[str, str]  # key -> primary type ("" when the source gave none)


@dataclass(frozen=True, slots=True)
class ActionInfo:
    name: str  # canonical "prefix:Action"
    service: str  # prefix
    access_level: AccessLevel
    resource_types: tuple[str, ...]  # empty: the action needs Resource "*"
    condition_keys: tuple[str, ...]
    arn_formats: tuple[str, ...]  # ARN formats of its resource types, in type order
    index: int


# --------------------------------------------------------------------------- encoding


@dataclass(frozen=True, slots=True)
class ServiceBreakdown:
    """One service's share of an action mask: counts by access level, the first names."""

    by_access_level: dict[str, int]
    examples: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ActionSpec:
    """One action as an importer hands it to ``encode_snapshot``."""

    name: str  # without the prefix
    access_level: AccessLevel
    resource_types: tuple[str, ...] = ()
    condition_keys: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ServiceSpec:
    """One service as an importer hands it to ``encode_snapshot``."""

    prefix: str
    name: str
    actions: tuple[ActionSpec, ...]
    resource_types: tuple[ResourceType, ...] = ()
    condition_keys: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


def access_level_from_flags(
    *,
    is_list: bool = False,
    is_write: bool = False,
    is_permission_management: bool = False,
    is_tagging_only: bool = False,
) -> AccessLevel:
    """Service Reference annotations → one level (PermissionManagement > Tagging > Write > List)."""
    if is_permission_management:
        return "Permissions management"
    if is_tagging_only:
        return "Tagging"
    if is_write:
        return "Write"
    if is_list:
        return "List"
    return "Read"


def _dedup_ci(items: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for item in items:
        low = item.lower()
        if item and low not in seen:
            seen.add(low)
            out.append(item)
    return out


def _encode_service(spec: ServiceSpec) -> dict[str, Any]:
    # Condition keys: declared ones, then any key referenced but undeclared (no types).
    ck_types: dict[str, tuple[str, list[str]]] = {}
    for key, types in spec.condition_keys.items():
        ck_types.setdefault(key.lower(), (key, [t for t in types if t]))
    referenced = [k for rt in spec.resource_types for k in rt.condition_keys] + [
        k for a in spec.actions for k in a.condition_keys
    ]
    for key in referenced:
        ck_types.setdefault(key.lower(), (key, []))
    c_sorted = sorted(ck_types)
    c_index = {low: i for i, low in enumerate(c_sorted)}
    c_list = [[ck_types[low][0], *ck_types[low][1]] for low in c_sorted]

    def ck_refs(keys: Iterable[str]) -> list[int]:
        return sorted({c_index[k.lower()] for k in keys if k})

    rts: dict[str, ResourceType] = {}
    for rt in spec.resource_types:
        rts.setdefault(rt.name.lower(), rt)
    for a in spec.actions:
        for name in a.resource_types:
            rts.setdefault(name.lower(), ResourceType(name=name, arn_formats=()))
    r_sorted = sorted(rts)
    r_index = {low: i for i, low in enumerate(r_sorted)}
    r_list = [
        [rts[low].name, list(dict.fromkeys(rts[low].arn_formats)), ck_refs(rts[low].condition_keys)]
        for low in r_sorted
    ]

    actions: dict[str, ActionSpec] = {}
    for a in spec.actions:
        if not a.name or ":" in a.name:
            raise CatalogError(f"invalid action name {a.name!r} in service {spec.prefix!r}")
        if a.access_level not in _LEVEL_INDEX:
            raise CatalogError(f"invalid access level {a.access_level!r} for {a.name!r}")
        if a.name.lower() in actions:
            raise CatalogError(f"duplicate action {spec.prefix}:{a.name}")
        actions[a.name.lower()] = a
    ordered = [actions[low] for low in sorted(actions)]
    return {
        "n": spec.name or spec.prefix,
        "a": [a.name for a in ordered],
        "l": "".join(str(_LEVEL_INDEX[a.access_level]) for a in ordered),
        "ar": [[r_index[n.lower()] for n in _dedup_ci(a.resource_types)] for a in ordered],
        "ac": [ck_refs(a.condition_keys) for a in ordered],
        "r": r_list,
        "c": c_list,
    }


def encode_snapshot(
    services: Iterable[ServiceSpec], *, source: str, source_version: str, date: str
) -> bytes:
    """Encode services into snapshot bytes; deterministic for the same input."""
    encoded: dict[str, dict[str, Any]] = {}
    n_actions = 0
    for spec in services:
        prefix = spec.prefix.strip().lower()
        if not prefix or ":" in prefix or any(ch in prefix for ch in "*?"):
            raise CatalogError(f"invalid service prefix {spec.prefix!r}")
        if prefix in encoded:
            raise CatalogError(f"duplicate service prefix {prefix!r}")
        svc = _encode_service(spec)
        encoded[prefix] = svc
        n_actions += len(svc["a"])
    if not encoded:
        raise CatalogError("no services")
    doc = {
        "f": SNAPSHOT_FORMAT,
        "m": {
            "src": source,
            "ver": source_version,
            "date": date,
            "ns": len(encoded),
            "na": n_actions,
        },
        "lv": list(ACCESS_LEVELS),
        "s": encoded,
    }
    raw = orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)
    return gzip.compress(raw, compresslevel=9, mtime=0)


# --------------------------------------------------------------------------- globs


@lru_cache(maxsize=4096)
def compile_action_glob(pattern: str) -> re.Pattern[str]:
    """Compile an IAM action glob (``*``, ``?``; everything else literal) for ``fullmatch``.

    The pattern is lower-cased; match it against lower-cased names.  Middle segments use
    atomic lazy groups (leftmost placement is optimal for fixed-length segments), so the
    match is polynomial whatever the pattern: no catastrophic backtracking.
    """

    def seg(text: str) -> str:
        return "".join("." if ch == "?" else re.escape(ch) for ch in text)

    parts = pattern.lower().split("*")
    if len(parts) == 1:
        return re.compile(seg(parts[0]), re.DOTALL)
    head, *middle, tail = parts
    body = seg(head) + "".join(f"(?>.*?{seg(m)})" for m in middle if m) + ".*" + seg(tail)
    return re.compile(body, re.DOTALL)


# Placeholders in condition-key templates: ${TagKey} (AWS) and <key> (some S3 keys).
_PLACEHOLDER: Final = re.compile(r"\$\{[^}]*\}|<[^>]*>")
_ANY_NAMESPACE: Final = "*"  # templates whose namespace itself has a placeholder


def _template_namespace(template_lower: str) -> str:
    ns = template_lower.split(":", 1)[0]
    return _ANY_NAMESPACE if _PLACEHOLDER.search(ns) else ns


@lru_cache(maxsize=1024)
def _compile_key_template(template_lower: str) -> re.Pattern[str]:
    pieces = _PLACEHOLDER.split(template_lower)
    return re.compile(".+".join(re.escape(p) for p in pieces), re.DOTALL)


# --------------------------------------------------------------------------- decoding


_GUNZIP_STEP: Final = 1 << 20
_GZIP_WBITS: Final = 16 + zlib.MAX_WBITS


def gunzip(data: bytes, max_expanded_bytes: int | None = None) -> bytearray:
    """The decompressed bytes of gzip ``data`` (one or more members), a step at a time, so that
    more than ``max_expanded_bytes`` is refused having held at most one byte more than that.

    Raises ``SnapshotTooLargeError`` past the limit, ``zlib.error``/``EOFError`` on bad or
    truncated data.
    """
    out = bytearray()
    pending = data
    while True:  # one pass per gzip member
        inflater = zlib.decompressobj(_GZIP_WBITS)
        while not inflater.eof:
            step = _GUNZIP_STEP
            if max_expanded_bytes is not None:
                step = max(1, min(step, max_expanded_bytes + 1 - len(out)))
            chunk = inflater.decompress(pending, step)
            pending = inflater.unconsumed_tail
            out += chunk
            if max_expanded_bytes is not None and len(out) > max_expanded_bytes:
                raise SnapshotTooLargeError(max_expanded_bytes)
            if not chunk and not pending and not inflater.eof:
                raise EOFError("the compressed data ends before its end marker")
        pending = inflater.unused_data
        if not pending:
            return out


def _expect(cond: bool, what: str) -> None:
    if not cond:
        raise CatalogError(f"malformed catalogue snapshot: {what}")


class Catalog:
    """An immutable, indexed IAM action catalogue.  Build it with ``from_snapshot``."""

    __slots__ = (
        "_action_cache",
        "_ck_by_ns_templates",
        "_ck_exact",
        "_expand_cached",
        "_level_masks_cache",
        "_level_table",
        "_lower_names",
        "_lower_to_id",
        "_mask_cached",
        "_meta",
        "_names",
        "_prefixes",
        "_ranges",
        "_raw",
        "_services",
        "_starts",
        "_union_cached",
    )

    _meta: CatalogMeta
    _names: tuple[str, ...]
    _lower_names: tuple[str, ...]
    _lower_to_id: dict[str, int]
    _prefixes: tuple[str, ...]  # sorted, aligned with _starts
    _starts: list[int]
    _ranges: dict[str, range]
    _raw: dict[str, dict[str, Any]]
    _services: Mapping[str, Service]
    _level_table: tuple[AccessLevel, ...]
    _ck_exact: dict[str, tuple[str, tuple[str, ...]]]
    _ck_by_ns_templates: dict[str, list[str]]
    _action_cache: list[ActionInfo | None]
    _level_masks_cache: dict[str, dict[str, int]] | None
    _mask_cached: Any
    _union_cached: Any
    _expand_cached: Any

    def __init__(self) -> None:
        raise TypeError("use Catalog.from_snapshot(data)")

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Catalog is immutable (cannot set {name!r})")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"Catalog is immutable (cannot delete {name!r})")

    def _set(self, name: str, value: object) -> None:
        object.__setattr__(self, name, value)

    # ---- construction

    @classmethod
    def from_snapshot(cls, data: bytes, *, max_expanded_bytes: int | None = None) -> Catalog:
        """Decode snapshot bytes; with ``max_expanded_bytes``, refuse (``SnapshotTooLargeError``)
        as soon as the decompressed text passes it, having held no more than that."""
        sha = hashlib.sha256(data).hexdigest()
        try:
            raw = gunzip(data, max_expanded_bytes)
            doc = orjson.loads(raw)
        except (OSError, EOFError, zlib.error, orjson.JSONDecodeError) as exc:
            raise CatalogError(f"unreadable catalogue snapshot: {exc}") from exc
        _expect(isinstance(doc, dict), "top level is not an object")
        _expect(doc.get("f") == SNAPSHOT_FORMAT, f"format is not {SNAPSHOT_FORMAT!r}")
        meta_raw, levels, services_raw = doc.get("m"), doc.get("lv"), doc.get("s")
        _expect(isinstance(meta_raw, dict), "m")
        _expect(isinstance(services_raw, dict) and bool(services_raw), "s")
        _expect(isinstance(levels, list) and all(lv in _LEVEL_INDEX for lv in levels), "lv levels")
        level_table = tuple(cast(list[AccessLevel], levels))

        self = object.__new__(cls)
        names: list[str] = []
        lower_names: list[str] = []
        prefixes = sorted(cast(dict[str, dict[str, Any]], services_raw))
        starts: list[int] = []
        ranges: dict[str, range] = {}
        services: dict[str, Service] = {}
        ck_exact: dict[str, tuple[str, tuple[str, ...]]] = {
            k.lower(): (k, v) for k, v in GLOBAL_CONDITION_KEYS.items()
        }
        ck_templates: dict[str, list[str]] = {}
        for k in GLOBAL_CONDITION_KEYS:
            if "${" in k:
                ck_templates.setdefault(_template_namespace(k.lower()), []).append(k.lower())

        for prefix in prefixes:
            svc = services_raw[prefix]
            try:
                acts: list[str] = svc["a"]
                lv: str = svc["l"]
                r_list: list[list[Any]] = svc["r"]
                c_list: list[list[str]] = svc["c"]
                _expect(
                    len(lv) == len(acts) == len(svc["ar"]) == len(svc["ac"]),
                    f"{prefix}: column lengths differ",
                )
            except (KeyError, TypeError) as exc:
                raise CatalogError(f"malformed catalogue snapshot: service {prefix}") from exc
            start = len(names)
            starts.append(start)
            head = prefix + ":"
            full = [head + a for a in acts]
            names.extend(full)
            lower_names.extend(n.lower() for n in full)
            ranges[prefix] = range(start, len(names))

            ck_map: dict[str, str] = {}
            for entry in c_list:
                key = entry[0]
                types = tuple(entry[1:])
                ck_map[key] = types[0] if types else ""
                low = key.lower()
                if low not in ck_exact and types:
                    ck_exact[low] = (key, types)
                    if "${" in low or "<" in low:
                        ck_templates.setdefault(_template_namespace(low), []).append(low)
            rt_map = {
                r[0]: ResourceType(
                    name=r[0],
                    arn_formats=tuple(r[1]),
                    condition_keys=tuple(c_list[i][0] for i in r[2]),
                )
                for r in r_list
            }
            services[prefix] = Service(
                name=svc.get("n", prefix),
                prefix=prefix,
                actions=tuple(full),
                resource_types=MappingProxyType(rt_map),
                condition_keys=MappingProxyType(ck_map),
            )

        for templates in ck_templates.values():
            # Most specific first: the longest literal text wins.
            templates.sort(key=lambda t: (-len(_PLACEHOLDER.sub("", t)), t))
        lower_to_id = {n: i for i, n in enumerate(lower_names)}
        _expect(len(lower_to_id) == len(names), "duplicate action names")
        self._set("_raw", services_raw)
        self._set("_names", tuple(names))
        self._set("_lower_names", tuple(lower_names))
        self._set("_lower_to_id", lower_to_id)
        self._set("_prefixes", tuple(prefixes))
        self._set("_starts", starts)
        self._set("_ranges", ranges)
        self._set("_services", MappingProxyType(services))
        self._set("_level_table", level_table)
        self._set("_ck_exact", ck_exact)
        self._set("_ck_by_ns_templates", ck_templates)
        self._set("_action_cache", [None] * len(names))
        self._set("_level_masks_cache", None)
        self._set("_expand_cached", lru_cache(maxsize=2048)(self._expand_ids_uncached))
        self._set("_mask_cached", lru_cache(maxsize=2048)(self._mask_uncached))
        self._set("_union_cached", lru_cache(maxsize=2048)(self._union_uncached))
        m = cast(dict[str, Any], meta_raw)
        self._set(
            "_meta",
            CatalogMeta(
                source=str(m.get("src", "")),
                source_version=str(m.get("ver", "")),
                date=str(m.get("date", "")),
                sha256=sha,
                counts=CatalogCounts(services=len(prefixes), actions=len(names)),
            ),
        )
        return self

    # ---- metadata and services

    @property
    def meta(self) -> CatalogMeta:
        return self._meta

    @property
    def services(self) -> Mapping[str, Service]:
        return self._services

    @property
    def names(self) -> tuple[str, ...]:
        """All canonical action names, indexed by action id."""
        return self._names

    def __len__(self) -> int:
        return len(self._names)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._lower_to_id

    def __repr__(self) -> str:
        m = self._meta
        return (
            f"<Catalog {m.source} {m.source_version} {m.date}: "
            f"{m.counts.services} services, {m.counts.actions} actions>"
        )

    def has_service(self, prefix: str) -> bool:
        return prefix.lower() in self._ranges

    def service(self, prefix: str) -> Service | None:
        return self._services.get(prefix.lower())

    # ---- ids

    def index_of(self, name: str) -> int:
        """The id of an action (case-insensitive).  Raises KeyError when unknown."""
        return self._lower_to_id[name.lower()]

    def name_of(self, index: int) -> str:
        if index < 0:
            raise IndexError(index)
        return self._names[index]

    def service_ids(self, prefix: str) -> range:
        """The (contiguous) ids of a service's actions; empty when the service is unknown."""
        return self._ranges.get(prefix.lower(), range(0))

    # ---- actions

    def action(self, name: str) -> ActionInfo | None:
        i = self._lower_to_id.get(name.lower())
        return None if i is None else self.action_at(i)

    def _service_level_masks(self) -> Mapping[str, Mapping[str, int]]:
        """Per service, its actions at each access level as a bitmask relative to the service's
        first id (built once)."""
        cached = self._level_masks_cache
        if cached is not None:
            return cached
        masks: dict[str, dict[str, int]] = {}
        for prefix in self._prefixes:
            levels: dict[str, int] = {}
            for j, digit in enumerate(self._raw[prefix]["l"]):
                level = self._level_table[int(digit)]
                levels[level] = levels.get(level, 0) | (1 << j)
            masks[prefix] = dict(sorted(levels.items()))
        self._set("_level_masks_cache", masks)
        return masks

    def breakdown(self, mask: int, examples: int = 5) -> dict[str, ServiceBreakdown]:
        """Per service with a bit set in ``mask``: counts by access level and the first names.

        The services are found on the mask's bit string with C-level `find`, so a mask naming
        a few services costs a few steps, and one spanning the whole catalogue (a `*` grant)
        one step per service, never one per action.
        """
        if mask <= 0:
            return {}
        levels = self._service_level_masks()
        bits = format(mask, "b")[::-1]  # bit i at index i
        out: dict[str, ServiceBreakdown] = {}
        i = bits.find("1")
        while i != -1:
            prefix = self._prefixes[bisect_right(self._starts, i) - 1]
            r = self._ranges[prefix]
            part = (mask >> r.start) & ((1 << len(r)) - 1)
            counts = {
                level: n for level, lm in levels[prefix].items() if (n := (part & lm).bit_count())
            }
            first: list[str] = []
            j = i
            while j != -1 and len(first) < examples:
                first.append(self._names[j])
                j = bits.find("1", j + 1, r.stop)
            out[prefix] = ServiceBreakdown(counts, tuple(first))
            i = bits.find("1", r.stop)
        return out

    def action_at(self, index: int) -> ActionInfo:
        if index < 0:
            raise IndexError(index)
        cached = self._action_cache[index]
        if cached is not None:
            return cached
        s = bisect_right(self._starts, index) - 1
        prefix = self._prefixes[s]
        j = index - self._starts[s]
        raw = self._raw[prefix]
        r_list: list[list[Any]] = raw["r"]
        c_list: list[list[str]] = raw["c"]
        rts = tuple(r_list[k][0] for k in raw["ar"][j])
        arns = tuple(dict.fromkeys(a for k in raw["ar"][j] for a in r_list[k][1]))
        info = ActionInfo(
            name=self._names[index],
            service=prefix,
            access_level=self._level_table[int(raw["l"][j])],
            resource_types=rts,
            condition_keys=tuple(c_list[k][0] for k in raw["ac"][j]),
            arn_formats=arns,
            index=index,
        )
        self._action_cache[index] = info
        return info

    # ---- globs

    def expand(self, pattern: str) -> tuple[str, ...]:
        """Canonical names matched by an IAM action glob (case-insensitive, whole name)."""
        names = self._names
        return tuple(names[i] for i in self.expand_ids(pattern))

    def expand_ids(self, pattern: str) -> tuple[int, ...]:
        ids: tuple[int, ...] = self._expand_cached(pattern.lower())
        return ids

    def mask(self, pattern: str) -> int:
        """The ids matched by ``pattern`` as a Python-int bitset (bit i = action id i)."""
        mask: int = self._mask_cached(pattern.lower())
        return mask

    def union_mask(self, patterns: Iterable[str]) -> int:
        """The ids any of ``patterns`` matches, as one bitset (cached per pattern list: the
        same statements are asked about pair after pair)."""
        mask: int = self._union_cached(tuple(patterns))
        return mask

    def _union_uncached(self, patterns: tuple[str, ...]) -> int:
        mask = 0
        for pattern in patterns:
            mask |= self.mask(pattern)
        return mask

    def _mask_uncached(self, pattern: str) -> int:
        if pattern == "*":
            return self.all_mask
        return self.ids_to_mask(self._expand_cached(pattern))

    def ids_to_mask(self, ids: Iterable[int]) -> int:
        bits = bytearray((len(self._names) + 8) // 8)
        for i in ids:
            bits[i >> 3] |= 1 << (i & 7)
        return int.from_bytes(bits, "little")

    def mask_to_ids(self, mask: int) -> tuple[int, ...]:
        if mask <= 0:
            return ()
        bits = format(mask, "b")[::-1]  # bit i at index i; `find` skips runs of zeros in C
        out: list[int] = []
        i = bits.find("1")
        while i != -1:
            out.append(i)
            i = bits.find("1", i + 1)
        return tuple(out)

    @property
    def all_mask(self) -> int:
        return (1 << len(self._names)) - 1

    def _expand_ids_uncached(self, pattern: str) -> tuple[int, ...]:
        if pattern == "*":
            return tuple(range(len(self._names)))
        if "*" not in pattern and "?" not in pattern:
            i = self._lower_to_id.get(pattern)
            return () if i is None else (i,)
        match = compile_action_glob(pattern).fullmatch
        svc, colon, _ = pattern.partition(":")
        if colon and "*" not in svc and "?" not in svc:
            candidates: Iterable[str] = (svc,) if svc in self._ranges else ()
        else:
            # Literal head before the first wildcard narrows the services to scan.
            cut = min(p for p in (pattern.find("*"), pattern.find("?")) if p >= 0)
            head = pattern[:cut]
            candidates = [
                p for p in self._prefixes if (p + ":").startswith(head) or head.startswith(p + ":")
            ]
        # A cheap substring test on the longest literal piece skips most non-matches.
        lit = max(re.split(r"[*?]", pattern), key=len)
        lower = self._lower_names
        out: list[int] = []
        for p in candidates:
            r = self._ranges[p]
            start = r.start
            chunk = lower[r.start : r.stop]
            if len(lit) >= 2:
                out.extend(
                    start + k for k, n in enumerate(chunk) if lit in n and match(n) is not None
                )
            else:
                out.extend(start + k for k, n in enumerate(chunk) if match(n) is not None)
        return tuple(out)

    # ---- suggestions

    def suggest_service(self, prefix: str) -> list[str]:
        return difflib.get_close_matches(prefix.lower(), self._prefixes, n=3, cutoff=0.6)

    def suggest_action(self, name: str) -> list[str]:
        low = name.lower()
        svc, colon, act = low.partition(":")
        if not colon:
            return []
        services = [svc] if svc in self._ranges else self.suggest_service(svc)
        out: list[str] = []
        for p in services:
            r = self._ranges[p]
            cands = self._lower_names[r.start : r.stop]
            for hit in difflib.get_close_matches(f"{p}:{act}", cands, n=3, cutoff=0.6):
                out.append(self._names[self._lower_to_id[hit]])
        return out[:3]

    # ---- condition keys

    def condition_key(self, key: str) -> tuple[str, tuple[str, ...]] | None:
        """(canonical key or template, types) for a key, case-insensitively; None if unknown.

        Concrete tag keys match their template: ``aws:ResourceTag/Env`` resolves to
        ``aws:ResourceTag/${TagKey}``.
        """
        low = key.lower()
        hit = self._ck_exact.get(low)
        if hit is not None:
            return hit
        ns = low.split(":", 1)[0]
        by_ns = self._ck_by_ns_templates
        for templates in (by_ns.get(ns, ()), by_ns.get(_ANY_NAMESPACE, ())):
            for template in templates:
                if _compile_key_template(template).fullmatch(low) is not None:
                    return self._ck_exact[template]
        return None

    def condition_key_types(self, key: str) -> tuple[str, ...]:
        hit = self.condition_key(key)
        return () if hit is None else hit[1]

    def condition_key_type(self, key: str) -> str | None:
        types = self.condition_key_types(key)
        return types[0] if types else None
