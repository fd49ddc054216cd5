"""`make audit`: known vulnerabilities in the project's installed dependencies.

pip-audit asks PyPI's JSON API for each installed release (/pypi/<name>/<version>/json) and
reads its `vulnerabilities`. Where that per-release address is not served (a registry proxy
that answers only /pypi/<name>/json, as on the machines this project is built on), pip-audit
audits nothing and still exits 0. Then this script asks /pypi/<name>/json itself: its
`vulnerabilities` are those of the latest release, the same records pip-audit would read, so a
distribution installed at its latest release is audited exactly; one installed at an older
release cannot be audited from that address and is listed as not audited, by name.

Distributions held below their latest release on purpose are listed, with the reason, in
.ci/audit-held.txt. A distribution installed at the version the lock file (requirements-dev.txt)
pins, when a newer release has come out since the lock was written, is reported by name as "not
audited: locked", with the advice to move the lock on; it does not fail the audit, since the
installed set is the locked one and a release upstream would otherwise fail every build. Any
other distribution that could not be audited fails the audit.

Exit status: 0 every distribution audited (or held, as listed) and no known vulnerability;
1 vulnerabilities found; 2 the audit is incomplete or could not run.
"""

from __future__ import annotations

import importlib.metadata
import json
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

BIN = Path(sys.executable).parent
HELD = Path(__file__).with_name("audit-held.txt")
LOCK = Path(__file__).resolve().parents[1] / "requirements-dev.txt"
PROJECT = "pipeline-policy"  # the project itself is not on PyPI
PYPI = "https://pypi.org/pypi"


def say(line: str) -> None:
    sys.stdout.write(line + "\n")


@dataclass
class Report:
    vulnerable: list[str] = field(default_factory=list)
    audited: list[str] = field(default_factory=list)
    not_audited: list[str] = field(default_factory=list)


def pip_audit() -> Report | None:
    """pip-audit's own report, or None when it could not look up any distribution."""
    done = subprocess.run(  # noqa: S603 - our own venv's pip-audit, fixed arguments
        [
            str(BIN / "pip-audit"),
            "--local",
            "--skip-editable",
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
        dependencies = json.loads(done.stdout).get("dependencies", [])
    except json.JSONDecodeError:
        return None
    report = Report()
    for d in dependencies:
        label = f"{d['name']} {d.get('version', '')}".strip()
        if d.get("skip_reason"):
            report.not_audited.append(f"{label} ({d['skip_reason']})")
            continue
        report.audited.append(label)
        for v in d.get("vulns", []):
            fixed = ", ".join(v.get("fix_versions", [])) or "no fixed version"
            report.vulnerable.append(f"{label}: {v['id']} (fixed in: {fixed})")
    return report if report.audited else None


def _latest(name: str) -> dict[str, object]:
    url = f"{PYPI}/{name}/json"  # a fixed https address
    request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310
        data: dict[str, object] = json.load(response)
    return data


def _one(name: str, version: str) -> tuple[str, list[str] | None, str]:
    """(label, vulnerability lines or None when not audited, why not)."""
    label = f"{name} {version}"
    try:
        data = _latest(name)
    except (urllib.error.URLError, TimeoutError, json.JSONDecodeError, OSError) as exc:
        return label, None, f"not looked up: {exc}"
    info = data.get("info")
    latest = info.get("version") if isinstance(info, dict) else None
    if latest != version:
        return label, None, f"latest release is {latest}; only the latest can be asked here"
    vulns = data.get("vulnerabilities")
    if not isinstance(vulns, list):
        return label, None, "the registry gave no vulnerability records"
    lines = []
    for v in vulns:
        if not isinstance(v, dict) or v.get("withdrawn"):
            continue  # a withdrawn advisory is no longer a finding (pip-audit skips it too)
        fixed = ", ".join(v.get("fixed_in") or []) or "no fixed version"
        lines.append(f"{label}: {v.get('id')} (fixed in: {fixed})")
    return label, lines, ""


def latest_release_audit(distributions: Iterable[tuple[str, str]]) -> Report:
    report = Report()
    with ThreadPoolExecutor(max_workers=16) as pool:
        for label, lines, why in pool.map(lambda d: _one(*d), distributions):
            if lines is None:
                report.not_audited.append(f"{label} ({why})")
            else:
                report.audited.append(label)
                report.vulnerable.extend(lines)
    return report


def installed() -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for dist in importlib.metadata.distributions():
        name = dist.metadata["Name"]
        if name and name.lower() != PROJECT:
            seen.setdefault(name, dist.version)
    return sorted(seen.items(), key=lambda item: item[0].lower())


def held() -> dict[str, str]:
    """Names (normalised) held below their latest release on purpose, with the reason."""
    out: dict[str, str] = {}
    for line in HELD.read_text().splitlines():
        name, _, why = line.partition(" ")
        if name and not name.startswith("#"):
            out[_normalise(name)] = why.strip()
    return out


def locked() -> dict[str, str]:
    """Normalised name -> the version the lock file pins (none without a lock file)."""
    if not LOCK.is_file():
        return {}
    out: dict[str, str] = {}
    for line in LOCK.read_text().splitlines():
        name, sep, version = line.partition("==")
        if sep and not line.startswith((" ", "#")):
            out[_normalise(name.strip())] = version.split()[0].strip(" \\")
    return out


def _normalise(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def main() -> int:
    try:
        return audit()
    except Exception as exc:  # any failure here means the audit was not done
        say(f"audit: NOT DONE: {type(exc).__name__}: {exc}")
        return 2


def audit() -> int:
    report = pip_audit()
    how = "pip-audit (PyPI's per-release vulnerability records)"
    if report is None:
        say(
            "audit: pip-audit could not look up any release (the per-release address is not "
            "served here); asking PyPI for each distribution's latest release instead"
        )
        report = latest_release_audit(installed())
        how = "PyPI's latest-release vulnerability records"
    for line in report.vulnerable:
        say(f"audit: VULNERABLE {line}")
    allowed = held()
    pins = locked()
    installed_versions = {_normalise(n): v for n, v in installed()}
    unexpected = []
    behind_lock = []
    for line in report.not_audited:
        name = _normalise(line.split(" ", 1)[0])
        reason = allowed.get(name)
        if reason is not None:
            say(f"audit: not audited, held on purpose ({reason}): {line}")
        elif name in pins and pins[name] == installed_versions.get(name):
            behind_lock.append(line)
            say(f"audit: not audited, locked below a newer release: {line}")
        else:
            unexpected.append(line)
            say(f"audit: NOT AUDITED: {line}")
    if not report.audited:
        say("audit: NOT DONE: no distribution could be audited")
        return 2
    total = len(report.audited) + len(report.not_audited)
    say(
        f"audit: {len(report.audited)} of {total} distributions audited with {how}; "
        f"{len(report.not_audited) - len(unexpected) - len(behind_lock)} held below their latest "
        f"release on purpose ({HELD.name}); {len(behind_lock)} locked below a newer release; "
        f"{len(unexpected)} others not audited; "
        f"{len(report.vulnerable)} known vulnerabilities"
    )
    if unexpected or behind_lock:
        say(
            "audit: a version behind its latest release cannot be audited here: move the lock on "
            "(`make lock UPGRADE=1`, then `make install`), or hold the distribution in "
            f"{HELD.name} with the reason"
        )
    if report.vulnerable:
        return 1
    return 2 if unexpected else 0


if __name__ == "__main__":
    sys.exit(main())
