"""The authorization engine against a brute-force reading of the evaluation-layers reference
(shared/reference/iam-evaluation-layers.md §1-§5), written here without any of the engine's
code: small random contexts (two accounts, a few actions and resources, random statements in
every layer, wildcards and Principal forms) must get the same decision and deciding layer."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from hypothesis import given, note, settings
from hypothesis import strategies as st

from app.engine.authorization import (
    AccountPolicies,
    AuthorizationContext,
    AuthorizationRequest,
    Principal,
    authorize,
)
from tests.hypothesis_profiles import examples

A, B = "111111111111", "222222222222"
BUCKET_A, BUCKET_B = "arn:aws:s3:::bucket-a", "arn:aws:s3:::bucket-b"
KEY = f"arn:aws:kms:us-east-1:{A}:key/k1"
OWNER = {f"{BUCKET_A}/o": A, f"{BUCKET_B}/o": B, KEY: A}
ACTIONS = ["s3:GetObject", "s3:PutObject", "kms:Decrypt", "kms:ScheduleKeyDeletion"]
ACTION_PATTERNS = ["s3:GetObject", "s3:*", "*", "kms:Decrypt", "kms:*", "s3:Put*", "S3:getobject"]
RESOURCE_PATTERNS = ["*", f"{BUCKET_A}/*", f"{BUCKET_B}/*", KEY, f"{BUCKET_A}/o"]


@dataclass(frozen=True)
class Caller:
    arn: str
    kind: str  # user, session, root
    account: str
    role: str = ""  # the role's name, for a session


CALLERS = [
    Caller(f"arn:aws:iam::{A}:user/u", "user", A),
    Caller(f"arn:aws:sts::{A}:assumed-role/R/s", "session", A, "R"),
    Caller(f"arn:aws:sts::{B}:assumed-role/X/s", "session", B, "X"),
    Caller(f"arn:aws:iam::{A}:root", "root", A),
]
PRINCIPALS: list[Any] = [
    "*",
    {"AWS": "*"},
    {"AWS": A},
    {"AWS": B},
    {"AWS": f"arn:aws:iam::{A}:root"},
    {"AWS": f"arn:aws:iam::{B}:root"},
    {"AWS": f"arn:aws:iam::{A}:user/u"},
    {"AWS": f"arn:aws:iam::{A}:role/R"},
    {"AWS": f"arn:aws:iam::{B}:role/X"},
    {"AWS": f"arn:aws:sts::{A}:assumed-role/R/s"},
    {"AWS": f"arn:aws:iam::{A}:role/R*"},
    {"AWS": [f"arn:aws:iam::{A}:user/u", A]},
    {"Service": "s3.amazonaws.com"},
]


def _statement(resource_policy: bool) -> st.SearchStrategy[dict[str, Any]]:
    def build(
        effect: str,
        action: str,
        resource: str,
        not_resource: bool,
        who: Any,
        negated: bool,
        account: str | None,
    ) -> dict[str, Any]:
        out: dict[str, Any] = {"Effect": effect, "Action": action}
        out["NotResource" if not_resource else "Resource"] = resource
        if resource_policy and who is not None:
            out["NotPrincipal" if negated else "Principal"] = who
        if account is not None:
            out["Condition"] = {"StringEquals": {"aws:PrincipalAccount": account}}
        return out

    return st.builds(
        build,
        st.sampled_from(["Allow", "Allow", "Allow", "Deny"]),
        st.sampled_from(ACTION_PATTERNS),
        st.sampled_from(RESOURCE_PATTERNS),
        st.sampled_from([False, False, False, True]),
        st.sampled_from([*PRINCIPALS, None]),
        st.sampled_from([False, False, False, True]),
        st.sampled_from([None, None, A, B]),
    )


# Deny statements with NotPrincipal that except each caller, and the caller without its account
# (which does not except it) [NOTP, R5.5].
EXCEPTING = [
    {"AWS": [f"arn:aws:iam::{A}:user/u", A]},
    {"AWS": [f"arn:aws:sts::{A}:assumed-role/R/s", f"arn:aws:iam::{A}:root"]},
    {"AWS": [f"arn:aws:iam::{B}:role/X", B]},
    {"AWS": f"arn:aws:iam::{A}:user/u"},
    {"AWS": A},
]
NOT_PRINCIPAL_DENY = st.builds(
    lambda who, resource: {
        "Effect": "Deny",
        "Action": "*",
        "Resource": resource,
        "NotPrincipal": who,
    },
    st.sampled_from(EXCEPTING),
    st.sampled_from(["*", f"{BUCKET_A}/*", KEY]),
)


def _document(resource_policy: bool = False) -> st.SearchStrategy[dict[str, Any]]:
    statement = _statement(resource_policy)
    if resource_policy:
        statement = statement | NOT_PRINCIPAL_DENY
    return st.lists(statement, min_size=1, max_size=2).map(
        lambda s: {"Version": "2012-10-17", "Statement": s}
    )


def _documents() -> st.SearchStrategy[list[dict[str, Any]]]:
    return st.lists(_document(), max_size=2)


FULL_ACCESS = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}


def _sometimes(strategy: st.SearchStrategy[Any], one_in: int) -> st.SearchStrategy[Any]:
    """`strategy` one time in `one_in`, else None: most random layers would deny everything."""
    return st.integers(1, one_in).flatmap(lambda n: strategy if n == 1 else st.none())


LEVEL = st.integers(1, 8).flatmap(
    lambda n: (
        st.just([])  # a level with no policy [R1.4 SIM]
        if n == 1
        else st.lists(
            st.integers(1, 3).flatmap(lambda n: _document() if n == 1 else st.just(FULL_ACCESS)),
            min_size=1,
            max_size=2,
        )
    )
)
LEVELS = _sometimes(st.lists(LEVEL, min_size=1, max_size=2), 3)


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[Caller, dict[str, Any], str, str]:
    caller = draw(st.sampled_from(CALLERS))
    world = {
        "identity": draw(_documents()),
        "boundary": draw(_sometimes(_document(), 3)),
        "session": draw(_sometimes(_documents(), 3)),
        "scp": {a: draw(LEVELS) for a in (A, B)},
        "rcp": {a: draw(LEVELS) for a in (A, B)},
        "management": draw(st.sampled_from([None, A, B])),
        "rbp": {
            r: d for r in (BUCKET_A, BUCKET_B, KEY) if (d := draw(st.none() | _document(True)))
        },
    }
    resource = draw(st.sampled_from(sorted(OWNER)))
    service = resource.split(":")[2]
    action = draw(st.sampled_from([a for a in ACTIONS if a.startswith(service)]))
    return caller, world, action, resource


# ---- the brute-force reading -------------------------------------------------------------


def _glob(pattern: str, text: str, ignore_case: bool) -> bool:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, text, re.IGNORECASE if ignore_case else 0) is not None


def _listed(value: Any) -> list[str]:
    return value if isinstance(value, list) else [value]


def _applies(stmt: dict[str, Any], caller: Caller, action: str, resource: str) -> bool:
    if not any(_glob(p, action, True) for p in _listed(stmt["Action"])):
        return False
    if "Resource" in stmt:
        if not any(_glob(p, resource, False) for p in _listed(stmt["Resource"])):
            return False
    elif any(_glob(p, resource, False) for p in _listed(stmt["NotResource"])):
        return False
    condition = stmt.get("Condition", {}).get("StringEquals", {})
    return all(caller.account == v for v in condition.values())


def _verdict(docs: list[dict[str, Any]], caller: Caller, action: str, resource: str) -> str:
    hits = [s for d in docs for s in d["Statement"] if _applies(s, caller, action, resource)]
    if any(s["Effect"] == "Deny" for s in hits):
        return "deny"
    return "allow" if hits else "none"


def _names(entry: str, caller: Caller) -> str:
    """§5: how one AWS principal entry names the caller ('' when it does not)."""
    if entry == "*":
        return "named"
    if re.fullmatch(r"[0-9]{12}", entry):
        entry = f"arn:aws:iam::{entry}:root"
    if "*" in entry:
        return ""  # R5.1: partial wildcards never match
    if entry == f"arn:aws:iam::{caller.account}:root":
        return "account"  # R5.2
    if entry == caller.arn and caller.kind != "root":
        return "named"
    if caller.kind == "session" and entry == f"arn:aws:iam::{caller.account}:role/{caller.role}":
        return "role"  # R5.3
    return ""


def _naming(stmt: dict[str, Any], caller: Caller, boundary: bool) -> str:
    if "Principal" in stmt:
        who = stmt["Principal"]
        if who == "*":
            return "named"
        kinds = {_names(e, caller) for e in _listed(who.get("AWS", []))} - {""}
        for kind in ("named", "role", "account"):
            if kind in kinds:
                return kind
        return ""
    if "NotPrincipal" in stmt and stmt["Effect"] == "Deny":
        if boundary:
            return "named"  # R5.5
        who = stmt["NotPrincipal"]
        if who == "*":
            return ""
        kinds = {_names(e, caller) for e in _listed(who.get("AWS", []))}
        own = "named" in kinds or "role" in kinds or caller.kind == "root"
        return "" if ("account" in kinds and own) else "named"
    return ""  # R5.4; Allow with NotPrincipal unsupported [NOTP]


def oracle(caller: Caller, world: dict[str, Any], action: str, resource: str) -> tuple[str, str]:
    owner = OWNER[resource]
    same = owner == caller.account
    is_key = resource == KEY
    boundary = world["boundary"]
    # An empty list of session policies is none passed [R1.7].
    session = (world["session"] or None) if caller.kind == "session" else None
    scp = None if world["management"] == caller.account else world["scp"][caller.account]
    rcp = None if world["management"] == owner else world["rcp"][owner]
    policy = world["rbp"].get(KEY if is_key else resource.rsplit("/", 1)[0])
    rbp_hits = []
    if policy is not None:
        for s in policy["Statement"]:
            kind = _naming(s, caller, boundary is not None)
            if kind and _applies(s, caller, action, resource):
                rbp_hits.append((s["Effect"], kind))
    identity = _verdict(world["identity"], caller, action, resource)
    pb = _verdict([boundary], caller, action, resource) if boundary is not None else None
    sess = _verdict(session, caller, action, resource) if session is not None else None
    scp_v = [_verdict(level, caller, action, resource) for level in scp or []]
    rcp_v = [_verdict(level, caller, action, resource) for level in rcp or []]
    rbp = "deny" if any(e == "Deny" for e, _ in rbp_hits) else "allow" if rbp_hits else "none"
    # R1.2: any Deny, in the order SCP, RCP, resource, identity, boundary, session.
    for layer, verdicts in (
        ("scp", scp_v),
        ("rcp", rcp_v),
        ("resource", [rbp]),
        ("identity", [identity]),
        ("boundary", [pb]),
        ("session", [sess]),
    ):
        if "deny" in verdicts:
            return "explicitly_denied", layer
    # R1.4, R1.3: every level must allow.
    for layer, verdicts in (("scp", scp_v), ("rcp", rcp_v)):
        if any(v != "allow" for v in verdicts):
            return "implicitly_denied", layer
    if is_key and not same and action != "kms:Decrypt":
        return "implicitly_denied", "service_rule"  # R4.3
    kinds = {k for e, k in rbp_hits if e == "Allow"}
    best = next((k for k in ("named", "role", "account") if k in kinds), "")
    id_ok = identity == "allow" or caller.kind == "root"  # R1.1
    pb_ok, sess_ok = pb in (None, "allow"), sess in (None, "allow")
    if not same:  # R3.1: both sides
        if id_ok and pb_ok and sess_ok and best:
            return "allowed", "resource"
        failed = [
            n
            for n, ok in (
                ("identity", id_ok),
                ("boundary", pb_ok),
                ("session", sess_ok),
                ("resource", bool(best)),
            )
            if not ok
        ]
        return "implicitly_denied", failed[0]
    if best == "named" or (best == "role" and pb_ok and sess_ok):  # §2
        return "allowed", "resource"
    if id_ok and pb_ok and sess_ok and (not is_key or best == "account"):  # R1.8, R4.1
        return "allowed", "identity" if identity == "allow" else "root"
    if best == "role":
        return "implicitly_denied", "boundary" if not pb_ok else "session"
    if is_key and not best:
        return "implicitly_denied", "resource"
    failed = [
        n for n, ok in (("identity", id_ok), ("boundary", pb_ok), ("session", sess_ok)) if not ok
    ]
    return "implicitly_denied", failed[0]


def _engine(
    caller: Caller, world: dict[str, Any], action: str, resource: str, *, pattern: bool = False
) -> tuple[str, str]:
    kind = {"user": "user", "session": "assumed_role", "root": "root"}[caller.kind]
    accounts = {
        a: AccountPolicies(world["scp"][a], world["rcp"][a], management=world["management"] == a)
        for a in (A, B)
    }
    context = AuthorizationContext(
        Principal(caller.arn, kind),  # type: ignore[arg-type]
        world["identity"],
        world["boundary"],
        world["session"],
        world["rbp"],
        accounts,
    )
    request = AuthorizationRequest(
        action, resource, resource_account=OWNER[resource], facts={} if pattern else None
    )
    got = authorize(context, [request])[0]
    return got.decision, got.layer


@settings(max_examples=examples(300), deadline=None)
@given(scenarios())
def test_engine_agrees_with_the_brute_force_reading(
    scenario: tuple[Caller, dict[str, Any], str, str],
) -> None:
    caller, world, action, resource = scenario
    note(repr(scenario))
    assert _engine(caller, world, action, resource) == oracle(caller, world, action, resource)


@settings(max_examples=examples(200), deadline=None)
@given(scenarios())
def test_a_resource_asked_as_a_pattern_is_decided_as_itself(
    scenario: tuple[Caller, dict[str, Any], str, str],
) -> None:
    """Deciding a layer by containment, for every resource a pattern stands for, gives the same
    answer as the request evaluator when the pattern is one resource."""
    caller, world, action, resource = scenario
    note(repr(scenario))
    assert _engine(caller, world, action, resource, pattern=True) == oracle(
        caller, world, action, resource
    )
