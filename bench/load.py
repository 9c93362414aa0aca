"""Load benchmark of the HTTP API on loopback (a script, not a timed test).

    .venv/bin/python bench/load.py [--clients 8] [--requests 400] [--workers 1] [--mix all]
    .venv/bin/python bench/load.py --url http://127.0.0.1:8000   # an already running server

Without --url it starts `vidensbank serve` on a free loopback port over VIDENSBANK_DATA_DIR
(run `vidensbank ingest` there first), waits for /readyz, warms up, then N concurrent
clients send a fixed number of requests: with ``--mix all`` a mix of Danish searches
(hybrid, with and without filters) and browse calls, with ``--mix hybrid`` only unfiltered
hybrid searches (first and second page). Prints req/s, p50/p95/p99 latency and the error
count; ``--write`` puts them into docs/BENCHMARKS.md under "## HTTP API load" (only that
section).
"""

from __future__ import annotations

import argparse
import os
import queue
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from vidensbank.bench import cpu_description, percentile, write_doc_section

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = ROOT / "docs" / "BENCHMARKS.md"
HEADING = "## HTTP API load"

QUESTIONS = [
    "hvordan undgår vi udsættelser?",
    "økonomisk rådgivning til beboere",
    "biodiversitet i boligområdet",
    "grønne ambassadører blandt beboerne",
    "opkvalificering af ejendomsfunktionærer",
    "håndtering af klager og konflikter",
    "beboere med psykiske problemer",
    "sociale viceværter",
    "klimatilpasning og regnvand",
    "unge i boligområdet",
]


MIXES = ("all", "hybrid")
MIX_DESCRIPTIONS = {
    "all": "a mix of hybrid searches (k=10, page 2, theme-filtered), lexical searches, facets,"
    " case and document lists and /readyz",
    "hybrid": "hybrid searches only (k=10, first page and page 2, no filters)",
}


def hybrid_mix() -> list[str]:
    """Paths cycled by the clients for ``--mix hybrid``: each question's first two pages."""
    return [
        f"/api/search?{httpx.QueryParams({'q': q, 'k': 10, 'offset': offset})}"
        for q in QUESTIONS
        for offset in (0, 10)
    ]


def request_mix(mix_name: str = "all") -> list[str]:
    """Paths cycled by the clients; ``all``: 60 % hybrid search, 10 % filtered, 30 % browse."""
    if mix_name == "hybrid":
        return hybrid_mix()
    mix: list[str] = []
    for i, q in enumerate(QUESTIONS):
        mix.append(f"/api/search?{httpx.QueryParams({'q': q, 'k': 10})}")
        mix.append(f"/api/search?{httpx.QueryParams({'q': q, 'k': 10, 'offset': 10})}")
        mix.append(f"/api/search?{httpx.QueryParams({'q': q, 'k': 5, 'mode': 'lexical'})}")
        if i % 2 == 0:
            mix.append(f"/api/search?{httpx.QueryParams({'q': q, 'theme': 'Biodiversitet'})}")
    mix += ["/api/facets", "/api/cases", "/api/documents", "/readyz"] * 3
    return mix


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(url: str, process: subprocess.Popen[bytes] | None, timeout: float = 180) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            sys.exit(f"`vidensbank serve` exited with {process.returncode}; see its output above")
        try:
            response = httpx.get(f"{url}/readyz", timeout=2)
            if response.status_code == 200:
                return response.json()
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    sys.exit(f"{url}/readyz not ready after {timeout:.0f} s (is there an index? run ingest)")


def run_load(
    url: str, clients: int, total: int, mix: str = "all"
) -> tuple[list[float], int, float, dict[int, int]]:
    paths = request_mix(mix)
    jobs: queue.Queue[str] = queue.Queue()
    for i in range(total):
        jobs.put(paths[i % len(paths)])
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors = 0
    lock = threading.Lock()

    def client() -> None:
        nonlocal errors
        with httpx.Client(base_url=url, timeout=60) as http:
            while True:
                try:
                    path = jobs.get_nowait()
                except queue.Empty:
                    return
                started = time.perf_counter()
                try:
                    status = http.get(path).status_code
                except httpx.HTTPError:
                    status = 0
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    latencies.append(elapsed)
                    statuses[status] = statuses.get(status, 0) + 1
                    if status != 200:
                        errors += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors, time.perf_counter() - started, statuses


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="benchmark a running server instead of starting one")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers to start")
    parser.add_argument("--warmup", type=int, default=40, help="requests before measuring")
    parser.add_argument("--mix", choices=MIXES, default="all", help="which requests to send")
    parser.add_argument("--write", action="store_true", help="update docs/BENCHMARKS.md")
    args = parser.parse_args()

    process = None
    url = args.url
    if url is None:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        command = [
            str(Path(sys.executable).parent / "vidensbank"),
            "serve",
            "--port",
            str(port),
            "--workers",
            str(args.workers),
            "--log-level",
            "warning",
        ]
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    try:
        ready = wait_ready(url, process)
        run_load(url, min(args.clients, 4), args.warmup, args.mix)  # model, caches, connections
        load_before = os.getloadavg()[0]
        latencies, errors, seconds, statuses = run_load(url, args.clients, args.requests, args.mix)
        load_after = os.getloadavg()[0]
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=30)

    rate = len(latencies) / seconds
    p50, p95, p99 = (percentile(latencies, q / 100) for q in (50, 95, 99))
    counts = ready.get("counts", {})
    section = "\n".join(
        [
            HEADING,
            "",
            f"Measured with `bench/load.py` against `vidensbank serve --workers {args.workers}` on"
            f" loopback, {cpu_description()}; seed corpus ({counts.get('passages')} passages,"
            f" {counts.get('cases')} cases), bundled model. {args.clients} concurrent clients"
            f" sent {len(latencies)} requests after {args.warmup} warm-up requests:"
            f" {MIX_DESCRIPTIONS[args.mix]}. Load average {load_before:.1f} → {load_after:.1f} (a"
            " shared machine: absolute figures vary).",
            "",
            "| clients | requests | req/s | p50 | p95 | p99 | errors |",
            "|---:|---:|---:|---:|---:|---:|---:|",
            f"| {args.clients} | {len(latencies)} | {rate:.1f} | {p50:.0f} ms | {p95:.0f} ms"
            f" | {p99:.0f} ms | {errors} |",
            "",
            f"Mean latency {statistics.mean(latencies):.0f} ms; status codes: "
            + ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items()))
            + ".",
            "",
        ]
    )
    print(section)
    if args.write:
        write_doc_section(BENCHMARKS, section)
        print(f"wrote {BENCHMARKS.relative_to(ROOT)}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
