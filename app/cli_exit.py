"""How the decision commands end: their exit statuses, and stopping on bad usage or input."""

from __future__ import annotations

from typing import NoReturn

import typer

EXIT_OK = 0
# Findings at or above --fail-on, a diff that is not sufficient, a request that is not allowed.
EXIT_FAILED = 1
# Bad usage or input: an option, a file that cannot be read, a database or server not usable.
EXIT_BAD_INPUT = 2


def fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(EXIT_BAD_INPUT)
