"""A real server in its own process: `voelgoed serve` on a free port, on a fresh migrated
PostgreSQL database of its own and a Redis namespace, stopped and its database dropped at the end
whatever happens."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from support.servers import REDIS_URL, free_port, scratch_database

VOELGOED = Path(sys.executable).with_name("voelgoed")
START_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


@dataclass(frozen=True)
class LiveServer:
    base_url: str
    database_url: str
    environment: dict[str, str]
    log: Path

    def log_tail(self, lines: int = 80) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def cli(self, *arguments: str) -> str:
        """Run a `voelgoed` command against the server's database and Redis; its stdout."""
        done = subprocess.run(
            [str(VOELGOED), *arguments],
            env=self.environment,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, (arguments, done.stdout, done.stderr)
        return done.stdout


@contextlib.contextmanager
def live_server(
    *, namespace: str, log_dir: Path, extra_env: dict[str, str] | None = None
) -> Iterator[LiveServer]:
    with scratch_database(f"voelgoed_live_{uuid.uuid4().hex[:10]}") as url:
        port = free_port()
        environment = {
            **os.environ,
            "VOELGOED_DATABASE_URL": url,
            "VOELGOED_REDIS_URL": REDIS_URL,
            "VOELGOED_REDIS_NAMESPACE": namespace,
            **(extra_env or {}),
        }
        log = log_dir / "server.log"
        with log.open("wb") as sink:
            process = subprocess.Popen(
                [str(VOELGOED), "serve", "--host", "127.0.0.1", "--port", str(port)],
                env=environment,
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        try:  # the server stops before its database goes
            server = LiveServer(f"http://127.0.0.1:{port}", url, environment, log)
            _wait_until_healthy(server, process)
            yield server
        finally:
            _stop(process)


def _die_with_parent() -> None:
    """In the child, before exec: SIGTERM when the test process dies, even by SIGKILL (Linux),
    so no server outlives its run."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _wait_until_healthy(server: LiveServer, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited ({process.returncode}):\n{server.log_tail()}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{server.base_url}/health", timeout=2).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"the server did not become healthy:\n{server.log_tail()}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM (a graceful shutdown), then SIGKILL if it lingers. Only this process's group:
    it was started in a session of its own."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=STOP_TIMEOUT)
