"""`make audit`: pip-audit over the project's virtualenv, failing loudly when it cannot audit.

pip-audit asks PyPI's JSON API (/pypi/<name>/<version>/json) for each installed distribution's
known vulnerabilities. When that service cannot be reached (or answers "not found" for every
package, as a mirror without the JSON API does), pip-audit still exits 0 having audited nothing;
here that is an error, with a message that says so. Exit status: 0 clean, 1 vulnerabilities
found, 2 the audit could not be done.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent


def say(line: str) -> None:
    sys.stdout.write(line + "\n")


def main() -> int:
    done = subprocess.run(  # noqa: S603 - our own venv's pip-audit, fixed arguments
        [
            str(BIN / "pip-audit"),
            "--local",
            "--skip-editable",  # the project itself is not on PyPI
            "--progress-spinner",
            "off",
            "--timeout",
            "20",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        sys.stderr.write(done.stderr)
        say("audit: pip-audit gave no report (is the vulnerability service reachable?)")
        return 2
    dependencies = report.get("dependencies", [])
    skipped = [d for d in dependencies if d.get("skip_reason")]
    audited = [d for d in dependencies if not d.get("skip_reason")]
    vulnerable = [d for d in audited if d.get("vulns")]
    for d in vulnerable:
        for v in d["vulns"]:
            fixed = ", ".join(v.get("fix_versions", [])) or "no fixed version"
            say(f"audit: {d['name']} {d['version']}: {v['id']} (fixed in: {fixed})")
    if not audited:
        reason = skipped[0]["skip_reason"] if skipped else "no dependencies listed"
        say(
            f"audit: NOT DONE: none of {len(dependencies)} distributions could be looked up in "
            f"the vulnerability service (PyPI's JSON API); first reason: {reason}"
        )
        return 2
    if skipped:
        names = ", ".join(f"{d['name']} {d['version']}" for d in skipped)
        say(f"audit: could not look up {len(skipped)} distribution(s): {names}")
    if vulnerable or skipped:
        return 1 if vulnerable else 2
    say(f"audit: {len(audited)} distributions, no known vulnerabilities")
    return 0


if __name__ == "__main__":
    sys.exit(main())
