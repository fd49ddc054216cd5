"""`pipeline-policy compute | diff | validate | evaluate` on local files, for CI steps.

Each command sends the same request the HTTP API takes, either to a running server
(`--server URL`) or to the application in this process (on a cached SQLite database, migrated
and seeded on first use), so both give the same answer. Exit status: 0 ok, 1 findings at or
above `--fail-on` (or an insufficient diff, or a request that is not allowed), 2 bad usage or
input.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import sys
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

import httpx
import typer

SEVERITY = {"SUGGESTION": 0, "WARNING": 1, "SECURITY_WARNING": 2, "ERROR": 3}
PIPELINE_SUFFIXES = {".json", ".yaml", ".yml", ".template", ".tf"}
OUTPUTS = ("json", "table", "cloudformation", "terraform")


class Backend(Protocol):
    def post(self, path: str, body: dict[str, Any], params: dict[str, str]) -> httpx.Response: ...


class RemoteBackend:
    def __init__(self, url: str, api_key: str | None) -> None:
        headers = {"authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(base_url=url.rstrip("/"), headers=headers, timeout=120)

    def post(self, path: str, body: dict[str, Any], params: dict[str, str]) -> httpx.Response:
        return self._client.post(path, json=body, params=params)


class LocalBackend:
    """The application in this process, reached through its HTTP interface."""

    def __init__(self, client: httpx.Client) -> None:
        self._client = client

    def post(self, path: str, body: dict[str, Any], params: dict[str, str]) -> httpx.Response:
        return self._client.post(path, json=body, params=params)


@contextlib.contextmanager
def _local_backend() -> Iterator[Backend]:
    # Imported here: a remote call should not pay for the application's start-up.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from alembic import command  # noqa: PLC0415
    from fastapi.testclient import TestClient  # noqa: PLC0415

    from app.cli import alembic_config  # noqa: PLC0415
    from app.main import create_app  # noqa: PLC0415
    from app.service.seed import seed  # noqa: PLC0415
    from app.settings import Settings  # noqa: PLC0415
    from app.store.database import make_engine, make_session_factory, unit_of_work  # noqa: PLC0415

    url = os.environ.get("DATABASE_URL")
    if not url:
        cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "pipeline-policy"
        cache.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{cache / 'cli.db'}"
    command.upgrade(alembic_config(url), "head")
    engine = make_engine(url)
    with unit_of_work(make_session_factory(engine)) as session:
        seed(session)
    engine.dispose()
    with TestClient(create_app(Settings(database_url=url))) as client:
        yield LocalBackend(client)


@contextlib.contextmanager
def backend(server: str | None, api_key: str | None) -> Iterator[Backend]:
    if server:
        yield RemoteBackend(server, api_key)
    else:
        with _local_backend() as local:
            yield local


def expand_paths(patterns: Sequence[str]) -> list[Path]:
    """Files named, files under named directories, and glob matches; sorted, no duplicates."""
    found: dict[Path, None] = {}
    for pattern in patterns:
        path = Path(pattern)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and child.suffix.lower() in PIPELINE_SUFFIXES:
                    found[child] = None
        elif path.is_file():
            found[path] = None
        else:
            matches = sorted(glob.glob(pattern, recursive=True))
            if not matches:
                fail(f"no file matches `{pattern}`")
            for match in matches:
                found[Path(match)] = None
    return list(found)


def fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read {path}: {exc}")
    raise AssertionError  # fail() does not return


def send(
    client: Backend, path: str, body: dict[str, Any], params: dict[str, str] | None = None
) -> httpx.Response:
    try:
        response = client.post(path, body, params or {})
    except httpx.HTTPError as exc:
        fail(f"the server did not answer: {exc}")
        raise AssertionError from exc
    if response.status_code >= 400:
        problem = response.text
        with contextlib.suppress(ValueError):
            data = response.json()
            lines = [f"{data.get('title')}: {data.get('detail') or ''}"]
            lines += [f"  at {e['pointer']}: {e['detail']}" for e in data.get("errors", [])]
            problem = "\n".join(lines)
        typer.echo(problem, err=True)
        raise typer.Exit(2)
    return response


def findings_at_or_above(findings: Sequence[dict[str, Any]], fail_on: str) -> bool:
    threshold = SEVERITY[fail_on]
    return any(SEVERITY.get(f.get("finding_type", ""), 0) >= threshold for f in findings)


def print_findings(findings: Sequence[dict[str, Any]]) -> None:
    for f in findings:
        line = f" (line {f['line']})" if f.get("line") else ""
        typer.echo(
            f"  {f['finding_type']:<16} {f['code']:<28} {f['path']}{line}\n      {f['message']}"
        )


def _sources(paths: Sequence[Path]) -> list[dict[str, Any]]:
    return [{"body": read_text(p)} for p in paths]


def _parse_context(pairs: Sequence[str]) -> dict[str, list[str] | str]:
    context: dict[str, list[str] | str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            fail(f"`{pair}` is not KEY=VALUE")
        previous = context.get(key)
        if previous is None:
            context[key] = value
        else:
            context[key] = [*([previous] if isinstance(previous, str) else previous), value]
    return context


def _context_options(account: str | None, region: str | None) -> dict[str, str]:
    return {k: v for k, v in (("account", account), ("region", region)) if v}


def _check_output(output: str) -> None:
    if output not in OUTPUTS:
        fail(f"--output must be one of {', '.join(OUTPUTS)}")


ServerOption = typer.Option(None, "--server", help="URL of a running service; default: in process")
ApiKeyOption = typer.Option(None, "--api-key", envvar="PIPELINE_POLICY_API_KEY", help="API key")
OutputOption = typer.Option("json", "--output", "-o", help="json, table, cloudformation, terraform")
FailOnOption = typer.Option("ERROR", "--fail-on", help="lowest finding type that fails (exit 1)")


def register(cli: typer.Typer) -> None:
    @cli.command()
    def compute(
        paths: list[str] = typer.Argument(..., help="pipeline files, directories or globs"),
        account: str | None = typer.Option(None, help="account ID (default: from the roleArn)"),
        region: str | None = typer.Option(None, help="Region (default: from the pipeline ARN)"),
        output: str = OutputOption,
        fail_on: str = FailOnOption,
        server: str | None = ServerOption,
        api_key: str | None = ApiKeyOption,
    ) -> None:
        """The least-privilege service-role policy shared by the pipelines in PATHS."""
        _check_output(output)
        files = expand_paths(paths)
        body = {"sources": _sources(files), "context": _context_options(account, region)}
        params = {"format": output} if output in ("cloudformation", "terraform") else {}
        with backend(server, api_key) as client:
            response = send(client, "/v1/policies/compute", body, params)
        if params:
            typer.echo(response.text, nl=False)
            return
        data = response.json()
        if output == "table":
            typer.echo(
                f"{len(data['statements'])} statements, {data['size']['characters']} characters"
            )
            for s in data["statements"]:
                typer.echo(
                    f"  {s['sid']}: {', '.join(s['actions'])}\n      on {', '.join(s['resources'])}"
                )
            print_findings(data["findings"])
        else:
            typer.echo(json.dumps(data, indent=2))
        if findings_at_or_above(data["findings"], fail_on):
            raise typer.Exit(1)

    @cli.command()
    def diff(
        paths: list[str] = typer.Argument(..., help="pipeline files, directories or globs"),
        current: list[Path] = typer.Option([], "--current", help="the role's policy document(s)"),
        baseline: str | None = typer.Option(None, "--baseline", help="or a named baseline"),
        account: str | None = typer.Option(None),
        region: str | None = typer.Option(None),
        output: str = OutputOption,
        fail_on: str = FailOnOption,
        server: str | None = ServerOption,
        api_key: str | None = ApiKeyOption,
    ) -> None:
        """What the current policy lacks for the pipelines, and what it grants beyond them.

        Exit 1 when the policy is insufficient or conditional, or has findings at or above
        --fail-on (`--fail-on WARNING` fails an `unverified` answer too)."""
        _check_output(output)
        if fail_on not in SEVERITY:
            fail(f"--fail-on must be one of {', '.join(SEVERITY)}")
        if bool(current) == bool(baseline):
            fail("give --current FILE (one or more) or --baseline NAME")
        documents = [read_text(p) for p in current]
        body = {
            "current": {"baseline": baseline} if baseline else {"documents": documents},
            "required": {
                "sources": _sources(expand_paths(paths)),
                "context": _context_options(account, region),
            },
        }
        params = {"format": output} if output in ("cloudformation", "terraform") else {}
        with backend(server, api_key) as client:
            data = send(client, "/v1/policies/diff", body).json()
            if params:
                typer.echo(send(client, "/v1/policies/diff", body, params).text, nl=False)
        if output == "table":
            _print_diff(data)
        elif output == "json":
            typer.echo(json.dumps(data, indent=2))
        if data["verdict"] in ("insufficient", "conditional") or findings_at_or_above(
            data["findings"], fail_on
        ):
            raise typer.Exit(1)

    @cli.command()
    def validate(
        paths: list[str] = typer.Argument(..., help="policy or pipeline files, directories, globs"),
        policy_type: str = typer.Option("managed", help="managed or inline"),
        output: str = OutputOption,
        fail_on: str = FailOnOption,
        server: str | None = ServerOption,
        api_key: str | None = ApiKeyOption,
    ) -> None:
        """Validate each policy (IAM grammar, catalogue, quotas, security) or pipeline file."""
        if fail_on not in SEVERITY:
            fail(f"--fail-on must be one of {', '.join(SEVERITY)}")
        files = expand_paths(paths)
        failed = False
        results: dict[str, Any] = {}
        with backend(server, api_key) as client:
            show = sys.stderr.isatty() and len(files) > 1
            with (
                typer.progressbar(files, label="validating", file=sys.stderr)
                if show
                else contextlib.nullcontext(files) as items
            ):
                for path in items:
                    text = read_text(path)
                    if _looks_like_policy(text):
                        body: dict[str, Any] = {
                            "policy": {"documents": [text]},
                            "policy_type": policy_type,
                        }
                        data = send(client, "/v1/policies/validate", body).json()
                    else:
                        data = send(
                            client, "/v1/pipelines/validate", {"sources": [{"body": text}]}
                        ).json()
                    results[str(path)] = data
                    failed |= findings_at_or_above(data["findings"], fail_on)
        if output == "table":
            for name, data in results.items():
                typer.echo(f"{name}: {'valid' if data['valid'] else 'INVALID'}")
                print_findings(data["findings"])
        else:
            typer.echo(json.dumps(results, indent=2))
        if failed:
            raise typer.Exit(1)

    @cli.command()
    def evaluate(
        policy: list[Path] = typer.Argument(..., help="the identity policy document(s)"),
        action: str = typer.Option(..., "--action", help="e.g. codebuild:StartBuild"),
        resource: str = typer.Option("*", "--resource", help="the resource ARN"),
        context: list[str] = typer.Option([], "--context", help="KEY=VALUE, repeat for lists"),
        output: str = OutputOption,
        server: str | None = ServerOption,
        api_key: str | None = ApiKeyOption,
    ) -> None:
        """Is the request allowed? Exit 0 when allowed, 1 otherwise."""
        body = {
            "policy": {"documents": [read_text(p) for p in policy]},
            "requests": [
                {"action": action, "resource": resource, "context": _parse_context(context)}
            ],
        }
        with backend(server, api_key) as client:
            data = send(client, "/v1/policies/evaluate", body).json()
        result = data["results"][0]
        if output == "table":
            deciding = ", ".join(
                d["statement"]["sid"] or d["statement"]["path"] for d in result["deciding"]
            )
            typer.echo(f"{result['decision']}" + (f" by {deciding}" if deciding else ""))
            print_findings(result["findings"])
        else:
            typer.echo(json.dumps(data, indent=2))
        if result["decision"] != "allowed":
            raise typer.Exit(1)


def _looks_like_policy(text: str) -> bool:
    with contextlib.suppress(ValueError):
        data = json.loads(text)
        documents = data if isinstance(data, list) else [data]
        return all(isinstance(d, dict) and "Statement" in d for d in documents)
    return False


def _print_diff(data: dict[str, Any]) -> None:
    summary = data["summary"]
    typer.echo(
        f"verdict: {data['verdict']} ({summary['granted']} of {summary['required']} granted, "
        f"{summary['missing']} missing, {summary['conditional']} conditional, "
        f"{summary['unverifiable']} unverifiable, {summary['optional']} optional left out, "
        f"{summary['excess_actions']} excess actions)"
    )
    for m in data["missing"]:
        who = ", ".join(
            dict.fromkeys(f"{r['stage']}/{r['action']}" for r in m["required_by"] if r["action"])
        )
        impact = m["impact"]["behaviour"] if m["impact"] else ""
        typer.echo(f"  MISSING {', '.join(m['actions'])}\n      on {', '.join(m['resources'])}")
        if who or impact:
            typer.echo(f"      needed by {who or 'the pipeline'}; without it: {impact}")
    for c in data["conditional"]:
        typer.echo(f"  CONDITIONAL {', '.join(c['actions'])} on {', '.join(c['resources'])}")
    for kind in ("unverifiable", "optional"):
        for g in data[kind]:
            typer.echo(
                f"  {kind.upper()} {', '.join(g['actions'])}\n      on {', '.join(g['resources'])}"
                f"\n      {g['reason']}"
            )
    for s in data["excess"]["by_service"][:10]:
        typer.echo(f"  EXCESS {s['service']}: {s['total']} actions {dict(s['by_access_level'])}")
