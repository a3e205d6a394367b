"""Load benchmark of ``revarch serve``: concurrent clients on the dashboard.

Starts ``revarch serve`` on a free loopback port over a demo workspace (made
in a temporary folder unless --workspace names one), then runs CLIENTS
concurrent clients for DURATION seconds, each alternating between
/dashboard and /dashboard.json, and prints the latency percentiles, the
throughput and the errors. Traffic goes to 127.0.0.1 only; the run stops
after DURATION seconds or MAX_REQUESTS requests, whichever comes first.

Example: python benchmarks/web_load.py --clients 50 --seconds 30
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

PATHS = ("/dashboard", "/dashboard.json")
MAX_REQUESTS = 200_000
REQUEST_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def make_workspace(folder: Path) -> Path:
    """Create the demo company used by the web tests (6 sellers, 4 months)."""
    from revarch.demo import create_demo

    create_demo(
        folder, sellers=6, months=4, seed=3, scale=0.1, progress=lambda *a: None
    )
    return folder


def start_server(workspace: Path, port: int) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "revarch",
        "-w",
        str(workspace),
        "serve",
        "--port",
        str(port),
    ]
    return subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def wait_until_up(url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"revarch serve exited with {server.returncode}")
        try:
            if httpx.get(url + "/login", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise SystemExit(f"revarch serve did not respond at {url} within 120 s")


async def client(
    http: httpx.AsyncClient,
    deadline: float,
    latencies: list[float],
    errors: dict[str, int],
    budget: list[int],
) -> None:
    turn = 0
    while time.monotonic() < deadline and budget[0] > 0:
        budget[0] -= 1
        path = PATHS[turn % len(PATHS)]
        turn += 1
        started = time.perf_counter()
        try:
            response = await http.get(path)
            if response.status_code != 200:
                key = f"HTTP {response.status_code}"
                errors[key] = errors.get(key, 0) + 1
                continue
        except httpx.HTTPError as exc:
            key = type(exc).__name__
            errors[key] = errors.get(key, 0) + 1
            continue
        latencies.append(time.perf_counter() - started)


async def run_load(url: str, clients: int, seconds: float) -> dict[str, object]:
    latencies: list[float] = []
    errors: dict[str, int] = {}
    budget = [MAX_REQUESTS]
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(
        base_url=url, timeout=REQUEST_TIMEOUT, limits=limits
    ) as http:
        for path in PATHS:
            (await http.get(path)).raise_for_status()
        started = time.monotonic()
        deadline = started + seconds
        await asyncio.gather(
            *(client(http, deadline, latencies, errors, budget) for _ in range(clients))
        )
        elapsed = time.monotonic() - started
    cuts = (
        statistics.quantiles(latencies, n=100, method="inclusive") if latencies else []
    )
    return {
        "requests": len(latencies),
        "errors": errors,
        "seconds": round(elapsed, 1),
        "per_second": round(len(latencies) / elapsed, 1),
        "p50_ms": round(cuts[49] * 1000, 1) if cuts else None,
        "p99_ms": round(cuts[98] * 1000, 1) if cuts else None,
        "max_ms": round(max(latencies) * 1000, 1) if latencies else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--workspace", type=Path, help="existing workspace to serve")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="revarch-load-") as temp:
        workspace = args.workspace or make_workspace(Path(temp) / "ws")
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        server = start_server(workspace, port)
        try:
            wait_until_up(url, server)
            result = asyncio.run(run_load(url, args.clients, args.seconds))
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, {platform.platform()}"
    )
    print(
        f"clients: {args.clients}, duration: {args.seconds:g} s, "
        f"paths: {', '.join(PATHS)}"
    )
    for key, value in result.items():
        print(f"{key}: {value}")


if __name__ == "__main__":
    main()
