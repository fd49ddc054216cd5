"""Our answers agree with each other, over the corpus, one pipeline per shipped profile and
drawn pipelines: what compute emits, validate accepts without ERROR, SECURITY_WARNING or
RESOURCE_STAR (every trust, bucket and key policy it emits, as what it is, without ERROR), diff
calls sufficient with no excess (each of those documents too), and evaluate allows; no statement
can never match; quotas are kept or an ERROR says why; compute reports what pipeline validation
calls an error. Drawn cross-account, cross-Region pipelines also get every document §9 of
shared/reference/iam-evaluation-layers.md names, and evaluate, with the whole authorization
context, allows what their roles do under them. The Hypothesis profile sets how many drawn
pipelines to try: 30 (and 20 cross-account ones) under `ci`, ten times as many under `long`
(tests/hypothesis_profiles.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from app.engine.iam.policy.quotas import MANAGED_POLICIES_PER_ROLE, MANAGED_POLICY_QUOTA, measure
from app.main import create_app
from app.settings import Settings
from tests.authorization_context import resource_policies, session
from tests.conftest import migrate_and_seed
from tests.hypothesis_profiles import examples
from tests.snippets import answer_companions, snippet_companions

from .pipelines import Case, corpus_cases, cross_account_cases, drawn_cases, profile_cases

# The companion documents validate checks, by the policy type it checks them as.
VALIDATED_KINDS = {"trust-policy": "trust", "bucket-policy": "bucket", "key-policy": "key"}
EXACT = ("StringEquals", "StringNotEquals", "ArnEquals", "ArnNotEquals", "StringEqualsIgnoreCase")


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    url = f"sqlite:///{tmp_path_factory.mktemp('invariants') / 'db.sqlite'}"
    migrate_and_seed(url)
    app = create_app(Settings(database_url=url))
    with TestClient(app) as client:
        yield client


def _post(api: TestClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = api.post(path, json=body)
    assert response.status_code == 200, f"{path}: {response.status_code} {response.text[:2000]}"
    data: dict[str, Any] = response.json()
    return data


def _documents(computed: dict[str, Any]) -> list[dict[str, Any]]:
    return computed["policies"] or [computed["policy"]]


def _exact_wildcards(document: dict[str, Any]) -> list[str]:
    found = []
    for stmt in document["Statement"]:
        for operator, block in (stmt.get("Condition") or {}).items():
            if operator.split(":")[-1].removesuffix("IfExists") not in EXACT:
                continue
            for key, value in block.items():
                for v in [value] if isinstance(value, str) else value:
                    if "*" in v or "?" in v:
                        found.append(f"{stmt['Sid']} {operator} {key}={v}")
    return found


def _context(condition: dict[str, Any] | None) -> dict[str, str | list[str]]:
    """A request context under which the statement's own condition holds."""
    context: dict[str, str | list[str]] = {}
    for block in (condition or {}).values():
        for key, value in block.items():
            context[key] = value if isinstance(value, str) else value[0]
    return context


def _disagreements(findings: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    return [
        (f["code"], f["path"], f["message"][:160])
        for f in findings
        if f["finding_type"] in ("ERROR", "SECURITY_WARNING") or f["code"] == "RESOURCE_STAR"
    ]


def check_answers_agree(api: TestClient, case: Case) -> None:
    response = api.post("/v1/policies/compute", json=case.request())
    if response.status_code == 422:
        body = response.json()
        assert body["errors"], body
        assert body["errors"][0]["pointer"], body
        return  # an unreadable definition is refused at its place: nothing to agree on
    assert response.status_code == 200, response.text[:2000]
    computed = response.json()
    findings = computed["findings"]
    errors = {f["code"] for f in findings if f["finding_type"] == "ERROR"}
    documents = _documents(computed)

    # Structure: what pipeline validation calls an error, compute reports too.
    validated = _post(api, "/v1/pipelines/validate", case.request())
    invalid = {
        (f["code"], f["path"]) for f in validated["findings"] if f["finding_type"] == "ERROR"
    }
    assert invalid <= {(f["code"], f["path"]) for f in findings}, case.name

    # No statement that can never match; no empty document; quotas or an ERROR.
    for document in documents:
        assert not _exact_wildcards(document), (case.name, _exact_wildcards(document))
        assert document["Statement"] or not computed["statements"], case.name
    if computed["policies"]:
        over = [d for d in computed["policies"] if measure(d).characters > MANAGED_POLICY_QUOTA]
        assert not over or "POLICY_PART_OVER_QUOTA" in errors, case.name
        too_many = len(computed["policies"]) > MANAGED_POLICIES_PER_ROLE
        assert not too_many or "TOO_MANY_MANAGED_POLICIES" in errors, case.name
    # Every output format carries the findings; a snippet is never a 200 hiding an ERROR.
    for chosen in ("cloudformation", "terraform"):
        snippet = api.post(f"/v1/policies/compute/{chosen}", json=case.request())
        if errors:
            assert snippet.status_code == 422, (case.name, chosen, snippet.status_code)
            listed = {f["code"] for f in snippet.json()["findings"]}
            assert errors <= listed, (case.name, chosen)
        else:
            assert snippet.status_code == 200, (case.name, chosen, snippet.text[:500])
            assert all(f["code"] in snippet.text for f in findings), (case.name, chosen)
            assert snippet_companions(snippet.text, chosen) == answer_companions(computed)

    # Validate accepts every trust, bucket and key policy compute emits, as what it is.
    for companion in computed["companions"]["documents"]:
        policy_type = VALIDATED_KINDS.get(companion["kind"])
        if policy_type is None:
            continue
        checked = _post(
            api,
            "/v1/policies/validate",
            {"policy": {"documents": [companion["policy"]]}, "policy_type": policy_type},
        )
        bad = [
            (f["code"], f["path"], f["message"][:160])
            for f in checked["findings"]
            if f["finding_type"] == "ERROR"
        ]
        assert not bad, (case.name, companion["kind"], companion["target"], bad)
    if not computed["statements"]:
        return

    # Profiles name exact actions: a role granting exactly them is what compute emits.
    for stmt in computed["statements"]:
        for action in stmt["actions"]:
            assert not set(action) & {"*", "?"}, (case.name, action)

    # Validate accepts compute's policy.
    if not errors & {"POLICY_PART_OVER_QUOTA"}:
        validation = _post(
            api,
            "/v1/policies/validate",
            {"policy": {"documents": documents}, "policy_type": "managed", "context": case.context},
        )
        bad = [
            (f["code"], f["path"], f["message"][:160])
            for f in validation["findings"]
            if f["finding_type"] in ("ERROR", "SECURITY_WARNING") or f["code"] == "RESOURCE_STAR"
        ]
        assert not bad, (case.name, bad)
        for role in computed["action_roles"]:
            checked = _post(
                api, "/v1/policies/validate", {"policy": {"documents": [role["policy"]]}}
            )
            bad = [
                (f["code"], f["path"], f["message"][:160])
                for f in checked["findings"]
                if f["finding_type"] in ("ERROR", "SECURITY_WARNING")
                or f["code"] == "RESOURCE_STAR"
            ]
            assert not bad, (case.name, role["role_arn"], bad)

    # Diff calls it sufficient, with nothing in excess, and each trust, bucket and key policy
    # sufficient, with no statement granting nothing.
    companions = [
        {"kind": d["kind"], "target": d["target"], "document": d["policy"]}
        for d in computed["companions"]["documents"]
        if d["kind"] in VALIDATED_KINDS
    ]
    diffed = _post(
        api,
        "/v1/policies/diff",
        {"current": {"documents": documents, "companions": companions}, "required": case.request()},
    )
    judged = [(c["target"], c["verdict"], c["unneeded"]) for c in diffed["companions"]]
    assert all(v == "sufficient" and not u for _, v, u in judged), (case.name, judged)
    assert len(judged) == len(companions), case.name
    assert diffed["verdict"] == "sufficient", (
        case.name,
        diffed["verdict"],
        diffed["missing"][:3],
        diffed["conditional"][:3],
        diffed["unverifiable"][:3],
    )
    assert diffed["excess"]["total_actions"] == 0, (case.name, diffed["excess"])
    assert not diffed["excess"]["broader_resources"], (case.name, diffed["excess"])

    # Evaluate allows every (action, resource) compute names, under the statement's condition,
    # on the service role and on each action role (its artifact statements included).
    assert not _denied(api, computed["statements"], documents), case.name
    for role in computed["action_roles"]:
        denied = _denied(api, role["statements"], [role["policy"]])
        assert not denied, (case.name, role["role_arn"], denied)


def _denied(
    api: TestClient, statements: list[dict[str, Any]], documents: list[dict[str, Any]]
) -> list[tuple[str, str, str]]:
    """The (action, resource) pairs of `statements` that the documents do not allow."""
    requests = [
        {"action": action, "resource": resource, "context": _context(stmt["condition"])}
        for stmt in statements
        for action in stmt["actions"]
        for resource in stmt["resources"]
    ][:10_000]
    evaluated = _post(
        api,
        "/v1/policies/evaluate",
        {"policy": {"documents": documents}, "requests": requests, "explain": False},
    )
    return [
        (r["action"], r["resource"], r["decision"])
        for r in evaluated["results"]
        if r["decision"] != "allowed"
    ][:5]


CORPUS = corpus_cases()
PROFILES = list(profile_cases())


@pytest.mark.skipif(not CORPUS, reason="../shared/corpus is absent")
@pytest.mark.parametrize("case", CORPUS, ids=lambda c: c.name)
def test_corpus_answers_agree(api: TestClient, case: Case) -> None:
    check_answers_agree(api, case)


@pytest.mark.parametrize("case", PROFILES, ids=lambda c: c.name)
def test_each_profile_answers_agree(api: TestClient, case: Case) -> None:
    check_answers_agree(api, case)


@settings(
    max_examples=examples(30),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=drawn_cases())
def test_drawn_pipelines_answers_agree(api: TestClient, case: Case) -> None:
    check_answers_agree(api, case)


def check_cross_account_documents(api: TestClient, case: Case) -> None:
    """What §9 of shared/reference/iam-evaluation-layers.md asks of a cross-account pipeline:
    each action role of another account trusts the service role by its ARN; each Region where
    such a role acts has its store's bucket policy, and its key's policy when the store has a
    key (without one, an ERROR says the store cannot be shared)."""
    computed = _post(api, "/v1/policies/compute", case.request())
    pipeline = case.pipelines[0]["pipeline"]
    home = case.context["region"]
    account = pipeline["roleArn"].split(":")[4]
    stores = pipeline.get("artifactStores") or {home: pipeline["artifactStore"]}
    documents = {(d["kind"], d["target"]): d["policy"] for d in computed["companions"]["documents"]}
    acting: dict[str, set[str]] = {}
    for action in pipeline["stages"][1]["actions"]:
        role = action.get("roleArn")
        if role is None or role.split(":")[4] == account:
            continue
        trust = documents[("trust-policy", role)]
        assert [s["Principal"] for s in trust["Statement"]] == [{"AWS": pipeline["roleArn"]}]
        acting.setdefault(action.get("region", home), set()).add(role.split(":")[4])
    listed = {
        s["region"]: set(s["other_accounts"]) for s in computed["companions"]["artifact_stores"]
    }
    assert {r: a for r, a in listed.items() if a} == acting, case.name
    errors = {f["code"] for f in computed["findings"] if f["finding_type"] == "ERROR"}
    for region in acting:
        store = stores[region]
        assert ("bucket-policy", store["location"]) in documents
        key = store.get("encryptionKey")
        if key:
            assert ("key-policy", key["id"]) in documents
        else:
            assert "CROSS_ACCOUNT_STORE_WITHOUT_KEY" in errors
    _check_authorized(api, computed, pipeline, account, home)


def _check_authorized(
    api: TestClient, computed: dict[str, Any], pipeline: dict[str, Any], account: str, home: str
) -> None:
    """Under the computed documents, with the whole authorization context, the service role
    assumes each action role, and each action role reads its input artifact (and the store's
    key) in its Region's store and invokes the functions its policy names."""
    policies = resource_policies(computed)
    roles = {r["role_arn"]: r["policy"] for r in computed["action_roles"]}
    stores = pipeline.get("artifactStores") or {home: pipeline["artifactStore"]}
    service_role = pipeline["roleArn"]
    asked = [{"action": "sts:AssumeRole", "resource": role} for role in sorted(roles)]
    checks = [(service_role, _documents(computed), asked)]
    for action in pipeline["stages"][1]["actions"]:
        role, region = action.get("roleArn"), action.get("region", home)
        if role is None:
            continue
        store = stores[region]
        reads = [
            {
                "action": "s3:GetObject",
                "resource": f"arn:aws:s3:::{store['location']}/release/src/a.zip",
                "context": {"aws:SecureTransport": "true"},
                "resource_account": account,
            }
        ]
        if "encryptionKey" in store:
            via = {"aws:ViaAWSService": "true", "kms:ViaService": f"s3.{region}.amazonaws.com"}
            reads.append(
                {"action": "kms:Decrypt", "resource": store["encryptionKey"]["id"], "context": via}
            )
        # The function it invokes, in whichever account: a function policy lets in a role of
        # another account [R4.11].
        invokes = [
            {"action": "lambda:InvokeFunction", "resource": function}
            for stmt in roles[role]["Statement"]
            if "lambda:InvokeFunction" in stmt["Action"]
            for function in ([stmt["Resource"]] if isinstance(stmt["Resource"], str)
                             else stmt["Resource"])
        ]  # fmt: skip
        checks.append((role, [roles[role]], reads + invokes))
    for caller, identity, requests in checks:
        answer = _post(
            api,
            "/v1/policies/evaluate",
            {
                "principal": session(caller),
                "policy": {"documents": identity},
                "resource_policies": policies,
                "requests": requests,
            },
        )
        assert not [f for f in answer["findings"] if f["finding_type"] == "ERROR"], caller
        denied = [(r["action"], r["resource"], r["reason"]) for r in answer["results"]
                  if r["decision"] != "allowed"]  # fmt: skip
        assert not denied, (caller, denied)


@settings(
    max_examples=examples(20),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=cross_account_cases())
def test_drawn_cross_account_pipelines_answers_agree(api: TestClient, case: Case) -> None:
    check_answers_agree(api, case)
    check_cross_account_documents(api, case)
