"""`pipeline-policy compute | diff | validate | evaluate` on local files, for CI steps.

Each command sends the same request the HTTP API takes, either to a running server
(`--server URL`) or to the application in this process, on the database the service uses
(DATABASE_URL), so both give the same answer. Findings name the file and line they are about.
Exit status: 0 ok, 1 findings at or above `--fail-on` (or an insufficient diff, or a request
that is not allowed), 2 bad usage or input (an input file that could not be read or parsed
included; the others are still answered).
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer

from app.cli_backend import SHIPPED_PROFILES_FLAG, Backend, ProblemAnswerError, backend, post
from app.cli_exit import EXIT_BAD_INPUT, EXIT_FAILED, fail
from app.cli_inputs import (
    RUN_CONTEXT_FIELDS,
    InputFile,
    assignments,
    merged,
    read_authorization_context,
    read_companions,
    read_hints,
    read_inputs,
    read_parameters,
    read_text,
    read_variables,
)
from app.cli_locations import Locations
from app.cli_runs import FileRun
from app.engine.findings import SEVERITY_ORDER, FindingType


class PolicyOutput(StrEnum):
    JSON = "json"
    TABLE = "table"
    CLOUDFORMATION = "cloudformation"
    TERRAFORM = "terraform"


class ReportOutput(StrEnum):
    JSON = "json"
    TABLE = "table"


class PolicyType(StrEnum):
    MANAGED = "managed"
    INLINE = "inline"
    TRUST = "trust"
    BUCKET = "bucket"
    KEY = "key"


RENDERED = (PolicyOutput.CLOUDFORMATION, PolicyOutput.TERRAFORM)

ServerOption = typer.Option(None, "--server", help="URL of a running service; default: in process")
ApiKeyOption = typer.Option(None, "--api-key", envvar="PIPELINE_POLICY_API_KEY", help="API key")
ShippedProfilesOption = typer.Option(
    False,
    SHIPPED_PROFILES_FLAG,
    help="answer in process from the profiles shipped with this version, on a private SQLite "
    "database under the cache folder (migrated and seeded on use), instead of DATABASE_URL",
)
PolicyOutputOption = typer.Option(PolicyOutput.JSON, "--output", "-o", help="output format")
ReportOutputOption = typer.Option(ReportOutput.JSON, "--output", "-o", help="output format")
FailOnOption = typer.Option(
    FindingType.ERROR, "--fail-on", help="the lowest finding type that fails (exit status 1)"
)
AccountOption = typer.Option(None, help="account ID (default: from the roleArn)")
RegionOption = typer.Option(None, help="Region (default: from the pipeline ARN)")
HintsOption = typer.Option(
    None,
    "--hints",
    help="JSON file: the list of hints the API takes, [{stage, action, hints}, ...]",
)
ParameterOption = typer.Option(
    [], "--parameter", help="CloudFormation parameter NAME=VALUE; repeat for more (wins over files)"
)
ParametersOption = typer.Option(
    [],
    "--parameters",
    help="JSON file of CloudFormation parameters: {NAME: VALUE}, create-stack's "
    "[{ParameterKey, ParameterValue}] or a template configuration {Parameters: {...}}",
)
VarOption = typer.Option(
    [], "--var", help="Terraform variable NAME=VALUE; repeat for more (wins over files)"
)
VarFileOption = typer.Option([], "--var-file", help="Terraform .tfvars or .tfvars.json file")
StackNameOption = typer.Option(
    None,
    "--stack-name",
    help="the CloudFormation stack the templates are deployed as (AWS::StackName; generated "
    "names start with it)",
)


def findings_at_or_above(findings: Sequence[dict[str, Any]], fail_on: FindingType) -> bool:
    threshold = SEVERITY_ORDER[fail_on]
    return any(SEVERITY_ORDER[FindingType(f["finding_type"])] >= threshold for f in findings)


def print_findings(findings: Sequence[dict[str, Any]], locations: Locations) -> None:
    for f in findings:
        typer.echo(
            f"  {f['finding_type']:<16} {f['code']:<28} {locations.where(f)}\n      {f['message']}"
        )


def _file_run(
    paths: Sequence[str],
    *,
    hints: Path | None,
    parameter: Sequence[str],
    parameters: Sequence[Path],
    var: Sequence[str],
    var_file: Sequence[Path],
    stack_name: str | None = None,
) -> FileRun:
    # Option files first: without them no answer is right, so they stop the command.
    hints_read = (hints, *read_hints(hints)) if hints else None
    given_parameters = merged((read_parameters(p) for p in parameters), assignments(parameter))
    given_variables = merged((read_variables(p) for p in var_file), assignments(var))
    return FileRun.of(
        read_inputs(paths),
        parameters=given_parameters,
        variables=given_variables,
        stack_name=stack_name,
        hints=hints_read,
    )


def _context_options(account: str | None, region: str | None) -> dict[str, str]:
    return {k: v for k, v in (("account", account), ("region", region)) if v}


def _parse_context(pairs: Sequence[str]) -> dict[str, list[str] | str]:
    context: dict[str, list[str] | str] = {}
    for pair in pairs:
        ((key, value),) = assignments([pair]).items()
        previous = context.get(key)
        if previous is None:
            context[key] = value
        else:
            context[key] = [*([previous] if isinstance(previous, str) else previous), value]
    return context


def _stop_on(problem: ProblemAnswerError, locations: Locations) -> None:
    typer.echo(locations.problem_text(problem), err=True)
    raise typer.Exit(EXIT_BAD_INPUT)


def _end(*, left_out: bool, failed: bool) -> None:
    """Exit status 2 when a file was left out, whatever the answer; else 1 when it failed."""
    if left_out:
        raise typer.Exit(EXIT_BAD_INPUT)
    if failed:
        raise typer.Exit(EXIT_FAILED)


def register(cli: typer.Typer) -> None:
    @cli.command()
    def compute(
        paths: list[str] = typer.Argument(..., help="pipeline files, directories or globs"),
        account: str | None = AccountOption,
        region: str | None = RegionOption,
        hints: Path | None = HintsOption,
        parameter: list[str] = ParameterOption,
        parameters: list[Path] = ParametersOption,
        var: list[str] = VarOption,
        var_file: list[Path] = VarFileOption,
        stack_name: str | None = StackNameOption,
        output: PolicyOutput = PolicyOutputOption,
        fail_on: FindingType = FailOnOption,
        server: str | None = ServerOption,
        api_key: str | None = ApiKeyOption,
        shipped_profiles: bool = ShippedProfilesOption,
    ) -> None:
        """The least-privilege service-role policy shared by the pipelines in PATHS."""
        run = _file_run(
            paths,
            hints=hints,
            parameter=parameter,
            parameters=parameters,
            var=var,
            var_file=var_file,
            stack_name=stack_name,
        )
        context = _context_options(account, region)
        with backend(server, api_key, shipped_profiles=shipped_profiles) as client:
            data, located = _answered(
                client,
                run,
                "/v1/policies/compute",
                lambda: {"sources": run.sources(), "context": context, **run.hints_body()},
                lambda: run.locations("/sources/{}/body", "/hints"),
                output,
            )
        if output == PolicyOutput.TABLE:
            typer.echo(
                f"{len(data['statements'])} statements, {data['size']['characters']} characters"
            )
            for s in data["statements"]:
                typer.echo(
                    f"  {s['sid']}: {', '.join(s['actions'])}\n      on {', '.join(s['resources'])}"
                )
                if s["condition"]:
                    typer.echo(f"      when {json.dumps(s['condition'], separators=(',', ':'))}")
            print_findings(data["findings"], located)
        elif output == PolicyOutput.JSON:
            typer.echo(json.dumps(data, indent=2))
        _end(left_out=bool(run.left_out), failed=findings_at_or_above(data["findings"], fail_on))

    @cli.command()
    def diff(
        paths: list[str] = typer.Argument(..., help="pipeline files, directories or globs"),
        current: list[Path] = typer.Option([], "--current", help="the role's policy document(s)"),
        baseline: str | None = typer.Option(None, "--baseline", help="or a named baseline"),
        from_sources: bool = typer.Option(
            False,
            "--from-sources",
            help="or the policies the CloudFormation templates and Terraform files in PATHS "
            "attach to their pipelines' service role (and the trust, artifact bucket and key "
            "policies they define, compared too)",
        ),
        account: str | None = AccountOption,
        region: str | None = RegionOption,
        hints: Path | None = HintsOption,
        parameter: list[str] = ParameterOption,
        parameters: list[Path] = ParametersOption,
        var: list[str] = VarOption,
        var_file: list[Path] = VarFileOption,
        stack_name: str | None = StackNameOption,
        companions: Path | None = typer.Option(
            None,
            "--companions",
            help="a JSON file: the list of trust, bucket and key policies as they stand "
            "({kind, target, document}), each compared with the one the pipelines need",
        ),
        authorization: Path | None = typer.Option(
            None,
            "--authorization-context",
            help="a JSON file of the service role's other layers (principal, "
            "permissions_boundary, session_policies, resource_policies, accounts) and the "
            "action roles' policies (action_roles): the answer then says whether the pipelines "
            "will run, and which layer decides each permission",
        ),
        output: PolicyOutput = PolicyOutputOption,
        fail_on: FindingType = FailOnOption,
        server: str | None = ServerOption,
        api_key: str | None = ApiKeyOption,
        shipped_profiles: bool = ShippedProfilesOption,
    ) -> None:
        """What the current policy lacks for the pipelines, and what it grants beyond them.

        Exit 1 when the policy is insufficient or conditional, a companion policy is
        insufficient, the pipelines will not run (with --authorization-context), or there are
        findings at or above --fail-on (`--fail-on WARNING` fails an `unverified` answer
        too)."""
        if sum((bool(current), bool(baseline), from_sources)) != 1:
            fail("give --current FILE (one or more), --baseline NAME or --from-sources")
        documents = [read_text(p) for p in current]
        run = _file_run(
            paths,
            hints=hints,
            parameter=parameter,
            parameters=parameters,
            var=var,
            var_file=var_file,
            stack_name=stack_name,
        )
        context = _context_options(account, region)
        extra: dict[str, Any] = {}
        extra_files: list[tuple[str, Path, str]] = []
        if companions is not None:
            extra["companions"], text = read_companions(companions)
            extra_files.append(("/current/companions", companions, text))
        if authorization is not None:
            extra["authorization"], text = read_authorization_context(
                authorization, RUN_CONTEXT_FIELDS
            )
            extra_files.append(("/current/authorization", authorization, text))

        def body() -> dict[str, Any]:
            policy: dict[str, Any] = (
                {"from_sources": True}
                if from_sources
                else {"baseline": baseline}
                if baseline
                else {"documents": documents}
            )
            return {
                "current": {**policy, **extra},
                "required": {"sources": run.sources(), "context": context, **run.hints_body()},
            }

        def locations() -> Locations:
            located = run.locations("/required/sources/{}/body", "/required/hints")
            for i, (path, text) in enumerate(zip(current, documents, strict=True)):
                located.add(f"/current/documents/{i}", path, text)
            for prefix, path, text in extra_files:
                located.add(prefix, path, text)
            return located

        with backend(server, api_key, shipped_profiles=shipped_profiles) as client:
            data, located = _answered(
                client, run, "/v1/policies/diff", body, locations, output, "/required/sources"
            )
        if output == PolicyOutput.TABLE:
            _print_diff(data)
            print_findings(data["findings"], located)
        elif output == PolicyOutput.JSON:
            typer.echo(json.dumps(data, indent=2))
        will_run = data.get("will_run")
        _end(
            left_out=bool(run.left_out),
            failed=data["verdict"] in ("insufficient", "conditional")
            or any(c["verdict"] in ("insufficient", "conditional") for c in data["companions"])
            or (will_run is not None and will_run["verdict"] == "fails")
            or findings_at_or_above(data["findings"], fail_on),
        )

    @cli.command()
    def validate(
        paths: list[str] = typer.Argument(..., help="policy or pipeline files, directories, globs"),
        policy_type: PolicyType = typer.Option(PolicyType.MANAGED, help="policy kind"),
        hints: Path | None = HintsOption,
        parameter: list[str] = ParameterOption,
        parameters: list[Path] = ParametersOption,
        var: list[str] = VarOption,
        var_file: list[Path] = VarFileOption,
        stack_name: str | None = StackNameOption,
        output: ReportOutput = ReportOutputOption,
        fail_on: FindingType = FailOnOption,
        server: str | None = ServerOption,
        api_key: str | None = ApiKeyOption,
        shipped_profiles: bool = ShippedProfilesOption,
    ) -> None:
        """Validate each policy (IAM grammar, catalogue, quotas, security) or pipeline file."""
        every = _file_run(
            paths,
            hints=hints,
            parameter=parameter,
            parameters=parameters,
            var=var,
            var_file=var_file,
            stack_name=stack_name,
        )
        results: dict[str, Any] = {}
        located: dict[str, Locations] = {}
        runs = [every]
        with backend(server, api_key, shipped_profiles=shipped_profiles) as client:
            show = sys.stderr.isatty() and len(every.files) > 1
            with (
                typer.progressbar(every.files, label="validating", file=sys.stderr)
                if show
                else contextlib.nullcontext(every.files) as items
            ):
                for read in items:
                    run = _one_file(every, read)
                    runs.append(run)
                    data, locations = _validated(client, run, policy_type)
                    if data is not None:
                        results[str(read.path)] = data
                        located[str(read.path)] = locations
        left_out = [f for run in runs for f in run.left_out]
        for finding in left_out:
            results[finding["file"]] = {"valid": False, "findings": [finding]}
        results = dict(sorted(results.items()))
        if output == ReportOutput.TABLE:
            for name, data in results.items():
                typer.echo(f"{name}: {'valid' if data['valid'] else 'INVALID'}")
                print_findings(data["findings"], located.get(name, Locations()))
        else:
            typer.echo(json.dumps(results, indent=2))
        failed = any(findings_at_or_above(r["findings"], fail_on) for r in results.values())
        _end(left_out=bool(left_out), failed=failed)

    @cli.command()
    def evaluate(
        policy: list[Path] = typer.Argument(..., help="the identity policy document(s)"),
        action: str = typer.Option(..., "--action", help="e.g. codebuild:StartBuild"),
        resource: str = typer.Option("*", "--resource", help="the resource ARN"),
        context: list[str] = typer.Option([], "--context", help="KEY=VALUE, repeat for lists"),
        authorization: Path | None = typer.Option(
            None,
            "--authorization-context",
            help="a JSON file of the caller and the other layers: principal, "
            "permissions_boundary, session_policies, resource_policies, accounts",
        ),
        resource_account: str | None = typer.Option(
            None, "--resource-account", help="the resource owner (S3 ARNs name none)"
        ),
        output: ReportOutput = ReportOutputOption,
        server: str | None = ServerOption,
        api_key: str | None = ApiKeyOption,
        shipped_profiles: bool = ShippedProfilesOption,
    ) -> None:
        """Is the request allowed? Exit 0 when allowed, 1 otherwise. With an authorization
        context, the answer names the layer that decided it."""
        documents = [read_text(p) for p in policy]
        request: dict[str, Any] = {
            "action": action,
            "resource": resource,
            "context": _parse_context(context),
        }
        if resource_account is not None:
            request["resource_account"] = resource_account
        body: dict[str, Any] = {"policy": {"documents": documents}, "requests": [request]}
        locations = Locations(
            (f"/policy/documents/{i}", path, text)
            for i, (path, text) in enumerate(zip(policy, documents, strict=True))
        )
        if authorization is not None:
            layers, text = read_authorization_context(authorization)
            body.update(layers)
            for field in layers:
                locations.add(f"/{field}", authorization, text, within=f"/{field}")
        with backend(server, api_key, shipped_profiles=shipped_profiles) as client:
            try:
                data = post(client, "/v1/policies/evaluate", body).json()
            except ProblemAnswerError as problem:
                _stop_on(problem, locations)
        locations.locate(data)
        result = data["results"][0]
        if output == ReportOutput.TABLE:
            undecided = "" if result["definite"] else " (not definite: a condition is undecided)"
            typer.echo(f"{result['decision']}{undecided}{_decided_by(result)}")
            # A layered answer's documents are the caller's files: their findings are shown.
            layered = "layer" in result
            print_findings([*(data["findings"] if layered else []), *result["findings"]], locations)
        else:
            typer.echo(json.dumps(data, indent=2))
        if result["decision"] != "allowed":
            raise typer.Exit(EXIT_FAILED)


def _decided_by(result: dict[str, Any]) -> str:
    """` by …`: the deciding statements of an identity answer; the layer (and statement) and
    why, of a layered one."""
    if "layer" not in result:
        deciding = ", ".join(
            d["statement"]["sid"] or d["statement"]["path"] for d in result["deciding"]
        )
        return f" by {deciding}" if deciding else ""
    level = "" if result["level"] is None else f" level {result['level']}"
    statement = result["statement"]
    named = "" if statement is None else f" ({statement['sid'] or statement['path']})"
    return f" by {result['layer']}{level}{named}: {result['reason']}"


def _answered(
    client: Backend,
    run: FileRun,
    path: str,
    body: Callable[[], dict[str, Any]],
    locations: Callable[[], Locations],
    output: PolicyOutput,
    sources_at: str = "/sources",
) -> tuple[dict[str, Any], Locations]:
    """The JSON answer for the files the service can parse, with the files left out among its
    findings and every finding located; the rendering is printed when the output is one."""
    text_at = sources_at + "/{}/body"
    response = run.answer(lambda: post(client, path, body()), text_at, locations)
    if response is None:
        raise typer.Exit(EXIT_BAD_INPUT)
    if output in RENDERED:
        try:
            rendered = post(client, path, body(), {"format": output.value})
        except ProblemAnswerError as problem:
            _stop_on(problem, locations())
        typer.echo(rendered.text, nl=False)
    data: dict[str, Any] = response.json()
    data["findings"] = [*run.left_out, *data["findings"]]
    located = locations()
    located.locate(data)
    return data, located


def _one_file(every: FileRun, read: InputFile) -> FileRun:
    """A run of one file of a validation, with the options of the whole run."""
    return FileRun(
        files=[read], parameters=every.parameters, variables=every.variables, hints=every.hints
    )


def _validated(
    client: Backend, run: FileRun, policy_type: PolicyType
) -> tuple[dict[str, Any] | None, Locations]:
    """One file's validation as a policy or a pipeline, and where its findings are."""
    text = run.files[0].text or ""
    if _looks_like_policy(text):
        endpoint, text_at = "/v1/policies/validate", "/policy/documents/{}"
        body: dict[str, Any] = {
            "policy": {"documents": [text]},
            "policy_type": policy_type.value,
        }
    else:
        endpoint, text_at = "/v1/pipelines/validate", "/sources/{}/body"
        body = {"sources": run.sources(), **run.hints_body()}

    def locations() -> Locations:
        return run.locations(text_at, "/hints")

    response = run.answer(lambda: post(client, endpoint, body), text_at, locations)
    if response is None:
        return None, Locations()
    located = locations()
    data: dict[str, Any] = response.json()
    located.locate(data)
    return data, located


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
    for c in data["companions"]:
        typer.echo(f"{c['kind']} of {c['target']}: {c['verdict']}")
        for gap in c["missing"]:
            who = gap["principal"] or "*"
            typer.echo(f"  MISSING {', '.join(gap['actions'])} for {who}")
        for unneeded in c["unneeded"]:
            typer.echo(f"  UNNEEDED statement at {unneeded['path']}")
    if (run := data.get("will_run")) is not None:
        _print_will_run(run)


def _print_will_run(run: dict[str, Any]) -> None:
    summary = run["summary"]
    typer.echo(
        f"will run: {run['verdict']} ({summary['allowed']} allowed, {summary['denied']} "
        f"denied, {summary['undecided']} undecided)"
    )
    for check in run["checks"]:
        if check["decision"] == "allowed" and check["definite"]:
            continue
        decided = check["decision"] if check["definite"] else "undecided"
        status = (decided or "undecided").upper().replace("_", " ")
        by = f" by {check['layer']}" if check["layer"] else ""
        typer.echo(f"  {status}{by}: {check['action']} on {check['resource']}")
        typer.echo(f"      as {check['role']} ({check['necessity']})")
        if check["statement"]:
            typer.echo(f"      statement {check['statement']['path']}")
        if check["note"]:
            typer.echo(f"      {check['note']}")
        if check["impact"]:
            typer.echo(f"      without it: {check['impact']['behaviour']}")
