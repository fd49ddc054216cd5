"""Bodies that are not JSON, or not JSON this service reads, are 422s located by JSON pointer:
text that does not parse (with its line, column and offset), numbers that are not finite or
too long, and arrays and objects nested too deeply; on every route that reads a body."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.api.strict_json import MAX_DEPTH, MAX_INTEGER_DIGITS
from app.main import create_app
from app.settings import Settings

from ..documents import custom_profile

PROBLEM = "application/problem+json"
JSON = {"content-type": "application/json"}


def _problem(response: Any) -> dict[str, Any]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    return body


def _post(client: TestClient, path: str, body: bytes | str) -> Any:
    content = body.encode() if isinstance(body, str) else body
    return client.post(path, content=content, headers=JSON)


# -- text that is not JSON ---------------------------------------------------------------------

NOT_JSON: list[tuple[str, str, str, int, int, int]] = [
    # (case, body, pointer of the innermost open array or object, line, column, offset)
    ("inside an array", '{"pipelines": [1, 2', "/pipelines", 1, 20, 19),
    ("a member without a value", '{"a": }', "", 1, 7, 6),
    ("on a later line", '\n\n  {"x": [1,\n 2,, 3]}', "/x", 4, 4, 17),
    ("escaped member names", '{"a": {"b~/c": [true, {"d": tru}]}}', "/a/b~0~1c/1", 1, 29, 28),
    ("cut off deep inside", '{"a": [{"b": 1}, {"c": [', "/a/1/c", 1, 25, 24),
    ("a second document", "{} {}", "", 1, 4, 3),
    ("an unterminated string", '{"a": "open', "", 1, 7, 6),
    ("a trailing comma", "[1, 2, 3,]", "", 1, 10, 9),
    ("a missing colon", '{"k" 1}', "", 1, 6, 5),
    ("not JSON at all", "pipelines", "", 1, 1, 0),
]


@pytest.mark.parametrize(
    ("body", "pointer", "line", "column", "offset"),
    [row[1:] for row in NOT_JSON],
    ids=[row[0] for row in NOT_JSON],
)
def test_text_that_is_not_json_is_located(
    client: TestClient, body: str, pointer: str, line: int, column: int, offset: int
) -> None:
    problem = _problem(_post(client, "/v1/policies/compute", body))
    (error,) = problem["errors"]
    assert (error["pointer"], error["line"], error["column"], error["offset"]) == (
        pointer,
        line,
        column,
        offset,
    )
    assert error["detail"].startswith("the body is not JSON: ")
    assert f"line {line}, column {column}" in error["detail"]


def test_a_schema_problem_has_no_text_position(client: TestClient) -> None:
    (error,) = _problem(client.post("/v1/policies/compute", json={"pipelines": 1}))["errors"]
    assert error["pointer"] == "/pipelines"
    assert not {"line", "column", "offset"} & set(error)


# -- numbers -----------------------------------------------------------------------------------

CONFIGURATION = "/pipelines/0/pipeline/stages/0/actions/0/configuration/RepositoryName"
LONG = "9" * (MAX_INTEGER_DIGITS + 1)


def _pipeline_with(number: str) -> str:
    return (
        '{"pipelines": [{"pipeline": {"name": "p", "roleArn": "arn:aws:iam::111122223333:role/r",'
        ' "stages": [{"name": "Source", "actions": [{"name": "A", "actionTypeId": {"category":'
        ' "Source", "owner": "AWS", "provider": "CodeCommit", "version": "1"}, "configuration":'
        f' {{"RepositoryName": {number}, "BranchName": "main"}}}}]}}]}}}}]}}'
    )


NUMBERS: list[tuple[str, str, str]] = [
    # (case, the number as sent, what the problem says)
    ("beyond a double", "1e400", "infinite"),
    ("beyond a double, negative", "-1e400", "infinite"),
    ("just beyond a double", "1.8e308", "infinite"),
    ("a long mantissa times a large power", "12345678901234567890e300", "infinite"),
    ("NaN", "NaN", "not a JSON number"),
    ("Infinity", "Infinity", "not a JSON number"),
    ("-Infinity", "-Infinity", "not a JSON number"),
    ("an integer too long to read", LONG, f"at most {MAX_INTEGER_DIGITS}"),
    ("a negative integer too long to read", "-" + LONG, f"at most {MAX_INTEGER_DIGITS}"),
]


@pytest.mark.parametrize(
    ("number", "says"), [row[1:] for row in NUMBERS], ids=[row[0] for row in NUMBERS]
)
def test_numbers_this_service_cannot_hold_are_refused_where_they_are(
    client: TestClient, number: str, says: str
) -> None:
    problem = _problem(_post(client, "/v1/policies/compute", _pipeline_with(number)))
    (error,) = problem["errors"]
    assert error["pointer"] == CONFIGURATION
    assert says in error["detail"]


def test_numbers_a_double_holds_are_read(client: TestClient) -> None:
    for number in ("1.7e308", "1e-400", "-0.0", "9" * MAX_INTEGER_DIGITS):
        response = _post(client, "/v1/policies/compute", _pipeline_with(number))
        # the decoder reads it; what compute makes of a number as a repository name is its own
        assert response.status_code == 200, (number[:20], response.text[:300])
        assert ":inf" not in response.text


def _hostile_numbers() -> Iterator[tuple[str, str]]:
    for digits in (10, 100, 1_000, MAX_INTEGER_DIGITS, MAX_INTEGER_DIGITS + 1, 10_000, 100_000):
        yield f"integer-{digits}", "7" * digits
        yield f"negative-integer-{digits}", "-" + "7" * digits
        yield f"fraction-{digits}", "0." + "3" * digits
        yield f"exponent-{digits}-digits", "1e" + "9" * digits
        yield f"negative-exponent-{digits}-digits", "1e-" + "9" * digits
        yield f"mantissa-{digits}-digits-large-exponent", "5" * digits + "e308"


@pytest.mark.parametrize(
    ("number"), [n for _, n in _hostile_numbers()], ids=[i for i, _ in _hostile_numbers()]
)
def test_numbers_of_growing_size_are_refused_in_bounded_time(
    client: TestClient, number: str
) -> None:
    """Any number where a string belongs: a 422 at its pointer, whether the decoder refuses it
    (too long, not finite) or the schema does (not a string), within a second."""
    body = (
        '{"policy": {"documents": [{"Version": "2012-10-17", "Statement": []}]},'
        f' "requests": [{{"action": {number}}}]}}'
    )
    started = time.monotonic()
    response = _post(client, "/v1/policies/evaluate", body)
    elapsed = time.monotonic() - started
    problem = _problem(response)
    assert [e["pointer"] for e in problem["errors"]] == ["/requests/0/action"]
    assert elapsed < 1.0, elapsed


# -- nesting -----------------------------------------------------------------------------------

DEPTHS = (50, 100, 300, 1_000, 10_000)


def _nested(depth: int) -> str:
    """`depth` arrays, one in another, around an object."""
    return "[" * depth + "{}" + "]" * depth


@pytest.fixture(scope="module")
def writer(module_database_url: str, api_key: Callable[..., str]) -> Iterator[TestClient]:
    key = api_key(module_database_url, "write", "depth-writer")
    app = create_app(Settings(database_url=module_database_url))
    with TestClient(app, headers={"Authorization": f"Bearer {key}"}) as client:
        yield client


# (method, route, body with the nested arrays at NESTED, their pointer, the depth of the array or
# object holding them). Deep enough, the problem names the first array past MAX_DEPTH among them.
PLACES: list[tuple[str, str, str, str, int]] = [
    ("POST", "/v1/policies/compute", '{"pipelines": [NESTED]}', "/pipelines/0", 2),
    (
        "POST",
        "/v1/policies/diff",
        '{"current": {"documents": [NESTED]}}',
        "/current/documents/0",
        3,
    ),
    (
        "POST",
        "/v1/policies/validate",
        '{"policy": {"documents": [NESTED]}}',
        "/policy/documents/0",
        3,
    ),
    (
        "POST",
        "/v1/policies/evaluate",
        '{"policy": {"documents": [{}]}, "requests": [{"action": "s3:GetObject", "context":'
        ' {"k": NESTED}}]}',
        "/requests/0/context/k",
        4,
    ),
    ("POST", "/v1/pipelines/validate", '{"pipelines": [NESTED]}', "/pipelines/0", 2),
    ("POST", "/v1/profiles", "PROFILE", "/notes", 1),
    ("PUT", "/v1/profiles/Source/AWS/CodeCommit/1", "PROFILE", "/notes", 1),
]


def _body(template: str, depth: int) -> str:
    if template == "PROFILE":
        document = custom_profile(provider="DeepNotes")
        text = (
            '{"action_type": {"category": "Invoke", "owner": "Custom", "provider": "DeepNotes",'
            ' "version": "1"}, "notes": NESTED}'
        )
        assert set(document) >= {"action_type", "notes"}
        return text.replace("NESTED", _nested(depth))
    return template.replace("NESTED", _nested(depth))


@pytest.mark.parametrize("depth", DEPTHS)
@pytest.mark.parametrize(
    ("method", "path", "template", "holder", "holder_depth"),
    PLACES,
    ids=[f"{m} {p}" for m, p, *_ in PLACES],
)
def test_nesting_of_growing_depth_is_refused_where_it_goes_too_deep(
    writer: TestClient,
    method: str,
    path: str,
    template: str,
    holder: str,
    holder_depth: int,
    depth: int,
) -> None:
    headers = {**JSON, "If-Match": '"any"'} if method == "PUT" else JSON
    started = time.monotonic()
    response = writer.request(
        method, path, content=_body(template, depth).encode(), headers=headers
    )
    assert time.monotonic() - started < 2.0
    assert 400 <= response.status_code < 500, response.text[:500]
    assert response.headers["content-type"].startswith(PROBLEM)
    if holder_depth + depth + 1 <= MAX_DEPTH:
        assert "levels deep" not in response.text  # read; refused, if at all, for what it says
        return
    problem = _problem(response)
    (error,) = problem["errors"]
    # the first array past MAX_DEPTH: holder/0/0/… with MAX_DEPTH - holder_depth indices
    assert error["pointer"] == holder + "/0" * (MAX_DEPTH - holder_depth), error["pointer"]
    assert f"{MAX_DEPTH} levels deep" in error["detail"]
