"""Real server processes for the end-to-end, hostile-input, soak and crash tests: the
`pipeline-policy` command, a free loopback port, readiness polling, stop and SIGKILL."""

from __future__ import annotations

import fcntl
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
READY_SECONDS = 60.0
# One lock file per port handed out; see free_ports.
PORT_LOCKS = Path(tempfile.gettempdir()) / "pipeline-policy-test-ports"
_held_port_locks: list[int] = []


def command(*args: str) -> list[str]:
    script = shutil.which("pipeline-policy", path=str(Path(sys.executable).parent))
    return [script, *args] if script else [sys.executable, "-m", "app.cli", *args]


def environment(url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REQUIRE_KEYS_FOR_READS", "PRODUCTION")}
    env.update(
        DATABASE_URL=url,
        LOG_LEVEL="warning",
        PROFILE_REFRESH_SECONDS="1",
    )
    env.update(extra)
    return env


def run_cli(url: str, *args: str) -> str:
    """Run `pipeline-policy ARGS` against the database at `url`; its stdout (fails on exit != 0)."""
    done = subprocess.run(
        command(*args),
        env=environment(url),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, f"pipeline-policy {' '.join(args)}:\n{done.stdout}{done.stderr}"
    return done.stdout


def prepare_database(url: str) -> None:
    """Migrate and seed through the CLI, as an operator would."""
    run_cli(url, "db", "upgrade")
    run_cli(url, "seed")


def cli_key(url: str, scope: str, name: str = "e2e") -> str:
    """A new key made by `pipeline-policy keys create` (the key is the last line it prints)."""
    return run_cli(url, "keys", "create", "--name", name, "--scope", scope).strip().splitlines()[-1]


def free_port() -> int:
    return free_ports(1)[0]


def free_ports(count: int) -> list[int]:
    """Ports nobody listens on, all distinct, and kept for this process until it exits.

    The system picks each (a bind to port 0) and the port is free again once the socket closes,
    before the server binds it: meanwhile another test worker, or another test run on the
    machine, could be given the same port, and one server would answer the other's readiness
    poll. So each port is also locked (flock on a file named after it) for the rest of this
    process's life; a port some other process holds is passed over."""
    PORT_LOCKS.mkdir(exist_ok=True)
    ports: list[int] = []
    with ExitStack() as stack:
        while len(ports) < count:
            s = stack.enter_context(socket.socket())  # kept open: the system picks another
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
            if _lock_port(port):
                ports.append(port)
    return ports


def _lock_port(port: int) -> bool:
    fd = os.open(PORT_LOCKS / f"{port}.lock", os.O_CREAT | os.O_RDONLY, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return False
    _held_port_locks.append(fd)  # released when the process exits
    return True


class Server:
    """One `pipeline-policy serve` process (with one uvicorn worker, its pid is the server's;
    with more, the supervisor's)."""

    def __init__(
        self, url: str, log: Path, *, port: int | None = None, workers: int = 1, **env: str
    ) -> None:
        self.url = url
        self.log = log
        self.env = env
        self.workers = workers
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self) -> Server:
        with self.log.open("a") as out:
            self.process = subprocess.Popen(
                command(
                    "serve",
                    "--no-prepare",
                    "--port",
                    str(self.port),
                    "--workers",
                    str(self.workers),
                ),
                env=environment(self.url, **self.env),
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + READY_SECONDS
        while True:
            assert self.process.poll() is None, f"server exited:\n{self.log.read_text()}"
            try:
                if httpx.get(f"{self.base}/readyz", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"server never ready:\n{self.log.read_text()}"
            time.sleep(0.05)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL: no shutdown handlers, no flush; what is committed is all that remains."""
        assert self.process is not None
        self.process.kill()
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)

    def rss_kib(self) -> int:
        """Resident set size of the server process, from /proc/<pid>/status."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise AssertionError("no VmRSS in /proc status")


@contextmanager
def running_server(
    url: str, log: Path, *, port: int | None = None, workers: int = 1, **env: str
) -> Iterator[Server]:
    server = Server(url, log, port=port, workers=workers, **env)
    try:
        yield server.start()
    finally:
        server.stop()
