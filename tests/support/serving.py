"""A real `voelgoed serve` in a subprocess, seat-stream clients, and HTTP buyers in other OS
processes (``spawn``), for the end-to-end tests.

Buyers return plain data: what each client was told and when (``time.time()``, one clock for
every process on the machine), so the test can hold the server to every acknowledgment.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import psutil

from support.servers import free_port


def voelgoed(*arguments: str) -> list[str]:
    """The CLI, run by this interpreter (so the worktree's virtualenv, wherever it is)."""
    return [
        sys.executable,
        "-c",
        "from voelgoedevents.entrypoints.cli.main import run; run()",
        *arguments,
    ]


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base_url: str
    port: int
    log: Path

    def workers(self) -> list[psutil.Process]:
        """The processes that serve requests: uvicorn's children with our port open."""
        found = []
        for child in psutil.Process(self.process.pid).children(recursive=True):
            try:
                if any(
                    c.laddr and c.laddr.port == self.port and c.status == psutil.CONN_LISTEN
                    for c in child.net_connections(kind="tcp")
                ):
                    found.append(child)
            except psutil.NoSuchProcess:
                continue
        return found

    def owner_of(self, client_port: int) -> int | None:
        """The pid of the worker holding the server end of a client's connection."""
        for worker in self.workers():
            try:
                for c in worker.net_connections(kind="tcp"):
                    ours = c.laddr and c.laddr.port == self.port
                    if ours and c.raddr and c.raddr.port == client_port:
                        return worker.pid
            except psutil.NoSuchProcess:
                continue
        return None

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"

    def stop(self) -> None:
        """The whole process group (uvicorn and its workers), politely, then not."""
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
            except ProcessLookupError:
                pass
        # workers left behind by a parent that died first
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)


def start_server(env: Mapping[str, str], workers: int, log: Path) -> Server:
    port = free_port()
    output = log.open("wb")
    process = subprocess.Popen(
        voelgoed("serve", "--workers", str(workers), "--port", str(port)),
        env=dict(env),
        stdout=output,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: stopped together, whatever happens
    )
    output.close()
    return Server(process, f"http://127.0.0.1:{port}", port, log)


def wait_until_serving(server: Server, workers: int, timeout: float = 90.0) -> None:
    """/health answers 200 and every worker listens (each has finished starting up)."""
    deadline = time.monotonic() + timeout
    last = "no answer yet"
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"the server exited ({server.process.returncode}):\n" + server.log_tail()
            )
        try:
            answer = httpx.get(server.base_url + "/health", timeout=5)
            last = f"{answer.status_code} {answer.text[:200]}"
            if answer.status_code == 200 and len(server.workers()) >= workers:
                return
        except httpx.HTTPError as exc:
            last = repr(exc)
        time.sleep(0.3)
    raise RuntimeError(
        f"the server did not come up in {timeout:.0f} s ({last}):\n" + server.log_tail()
    )


# --- the seat stream ----------------------------------------------------------------------------


def unpack(states: bytes, count: int) -> list[int]:
    return [(states[i // 4] >> (6 - 2 * (i % 4))) & 3 for i in range(count)]


@dataclass
class SeatStream:
    """One SSE client of /events/{id}/seats/stream: the snapshot, then every change with the
    wall-clock instant it arrived."""

    name: str
    snapshots: int = 0
    initial: list[int] = field(default_factory=list)
    # (index, state, version, held_until_ms, arrived_at)
    changes: list[tuple[int, int, int, int, float]] = field(default_factory=list)
    other_events: list[str] = field(default_factory=list)
    client_port: int | None = None
    ready: asyncio.Event = field(default_factory=asyncio.Event)

    def latest(self) -> dict[int, tuple[int, int]]:
        """index -> (version, state) of the newest change seen."""
        seen: dict[int, tuple[int, int]] = {}
        for index, state, version, _, _ in self.changes:
            if version > seen.get(index, (0, 0))[0]:
                seen[index] = (version, state)
        return seen

    def final_states(self) -> list[int]:
        states = list(self.initial)
        for index, (_, state) in self.latest().items():
            states[index] = state
        return states

    async def follow(self, http: httpx.AsyncClient, url: str, headers: dict[str, str]) -> None:
        async with http.stream("GET", url, headers=headers) as response:
            if response.status_code != 200:
                raise AssertionError(f"{self.name}: stream answered {response.status_code}")
            stream = response.extensions.get("network_stream")
            if stream is not None:
                address = stream.get_extra_info("client_addr")
                self.client_port = address[1] if address else None
            kind, data = "message", ""
            async for line in response.aiter_lines():
                if line.startswith(":"):
                    continue
                if line.startswith("event:"):
                    kind = line[6:].strip()
                elif line.startswith("data:"):
                    data += line[5:].strip()
                elif line == "":
                    if data:
                        self._dispatch(kind, json.loads(data), time.time())
                    kind, data = "message", ""

    def _dispatch(self, kind: str, data: Any, arrived: float) -> None:
        if kind == "snapshot":
            self.snapshots += 1
            self.initial = unpack(base64.b64decode(data["states"]), data["seat_count"])
            self.ready.set()
        elif kind == "seats":
            for index, state, version, held_until_ms in data["changes"]:
                self.changes.append((index, state, version, held_until_ms, arrived))
        else:
            self.other_events.append(kind)


# --- buyers over HTTP, in other processes -------------------------------------------------------


@dataclass(frozen=True)
class StormPlan:
    base_url: str
    token: str
    event_id: str
    seat_ids: list[str]  # in seat-index order
    hot: int  # the first `hot` seats are the ones everybody wants
    buyers: int
    seconds: float
    start_at: float
    seed: int


def epoch_ms(moment: str) -> int:
    return int(datetime.fromisoformat(moment).timestamp() * 1000)


def http_storm(plan: StormPlan) -> dict[str, Any]:
    return asyncio.run(_http_storm(plan))


async def _http_storm(plan: StormPlan) -> dict[str, Any]:
    rng = random.Random(plan.seed)
    index = {seat: i for i, seat in enumerate(plan.seat_ids)}
    hot, everyone = plan.seat_ids[: plan.hot], plan.seat_ids
    log: dict[str, Any] = {
        "held": [],  # {hold, seats (indexes), until_ms, at}
        "sold": [],  # {hold, order, seats, at}
        "released": [],  # {hold, seats, at}
        "refused": {},
        "errors": [],
    }
    limits = httpx.Limits(max_connections=plan.buyers, max_keepalive_connections=plan.buyers)
    headers = {"Authorization": f"Bearer {plan.token}"}

    async def buyer(http: httpx.AsyncClient, number: int) -> None:
        holder = f"s{plan.seed}-b{number}"
        while time.time() < plan.start_at + plan.seconds:
            pool = hot if rng.random() < 0.7 else everyone
            wanted = rng.sample(pool, rng.randint(1, 4))
            try:
                answer = await http.post(
                    f"/events/{plan.event_id}/holds",
                    json={"seat_ids": wanted, "holder_ref": holder},
                )
            except httpx.HTTPError as exc:
                log["errors"].append(f"reserve: {exc!r}")
                continue
            at = time.time()
            if answer.status_code in (409, 503):
                code = answer.json().get("code", "?")
                log["refused"][code] = log["refused"].get(code, 0) + 1
                continue
            if answer.status_code != 201:
                log["errors"].append(f"reserve: {answer.status_code} {answer.text[:300]}")
                continue
            hold = answer.json()
            seats = sorted(index[seat] for seat in wanted)
            log["held"].append(
                {
                    "hold": hold["id"],
                    "seats": seats,
                    "until_ms": epoch_ms(hold["held_until"]),
                    "at": at,
                }
            )
            await asyncio.sleep(rng.uniform(0, 0.03))
            roll = rng.random()
            if roll < 0.25:
                path, kind, expected = f"/holds/{hold['id']}/order", "sold", 201
            elif roll < 0.85:
                path, kind, expected = f"/holds/{hold['id']}/release", "released", 200
            else:
                continue  # keeps the hold (ten minutes: it outlives the test)
            try:
                answer = await http.post(path)
            except httpx.HTTPError as exc:
                log["errors"].append(f"{kind}: {exc!r}")
                continue
            at = time.time()
            if answer.status_code != expected:
                log["errors"].append(f"{kind}: {answer.status_code} {answer.text[:300]}")
                continue
            entry = {"hold": hold["id"], "seats": seats, "at": at}
            if kind == "sold":
                entry["order"] = answer.json()["id"]
            log[kind].append(entry)

    async with httpx.AsyncClient(
        base_url=plan.base_url, headers=headers, limits=limits, timeout=30.0
    ) as http:
        await http.get("/health")  # the connection is open before the start
        await asyncio.sleep(max(0.0, plan.start_at - time.time()))
        await asyncio.gather(*(buyer(http, n) for n in range(plan.buyers)))
    return log
