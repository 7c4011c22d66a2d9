"""Load test for ``kokoro-litert serve``: time to first audio byte and total time under concurrency.

    .venv/bin/python -m kokoro_litert.serve_bench --bundle DIR [--clients 1,4,20] [--requests-per-client 3,3,1]

Starts ``kokoro-litert serve`` on 127.0.0.1 (a free port, ``--max-concurrency 2`` and a queue big
enough that nothing is refused), waits for /health, then for each concurrency level C runs C client
threads that each send N streaming-wav ``POST /v1/audio/speech`` requests of one fixed sentence, and
prints per level: requests, p50/p95 time to the first audio byte (TTFB, past the 44-byte wav
header), p50/p95 total time and throughput (requests/s, audio seconds/s), with the CPU and load.
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import threading
import time

import httpx

TEXT = "The quick brown fox jumps over the lazy dog near the river bank."
WAV_HEADER = 44


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="python -m kokoro_litert.serve_bench", description=__doc__.splitlines()[0])
    p.add_argument("--bundle", required=True, help="bundle directory")
    p.add_argument("--clients", default="1,4,20", help="concurrency levels, comma-separated (default 1,4,20)")
    p.add_argument("--requests-per-client", default="3", metavar="N",
                   help="requests per client: one number, or one per level (e.g. 3,3,1; default 3)")
    p.add_argument("--port", type=int, default=0, help="server port (default: a free one)")
    p.add_argument("--max-concurrency", type=int, default=2, help="the server's synthesis threads (default 2)")
    p.add_argument("--text", default=TEXT, help="the sentence every request speaks")
    p.add_argument("--voice", default="af_heart")
    p.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    args = p.parse_args(argv)
    args.clients = [int(c) for c in args.clients.split(",")]
    n = [int(x) for x in args.requests_per_client.split(",")]
    if len(n) not in (1, len(args.clients)):
        p.error("--requests-per-client: one number, or one per --clients level")
    args.requests = n * len(args.clients) if len(n) == 1 else n
    return args


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(bundle: str, port: int, max_concurrency: int, queue: int) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "kokoro_litert.cli", "serve", "--bundle", bundle, "--host", "127.0.0.1",
           "--port", str(port), "--max-concurrency", str(max_concurrency), "--queue", str(queue),
           "--log-level", "warning"]
    return subprocess.Popen(cmd)


def wait_healthy(base: str, server: subprocess.Popen, timeout: float = 300) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with status {server.returncode}")
        try:
            r = httpx.get(f"{base}/health", timeout=2)
            if r.status_code == 200:
                return r.json()
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"no /health from {base} within {timeout:.0f} s")


def one_request(client: httpx.Client, base: str, body: dict, bytes_per_second: int) -> dict:
    """One streamed wav request: seconds to the first audio byte, seconds in all, audio seconds."""
    start = time.perf_counter()
    ttfb, received = None, 0
    with client.stream("POST", f"{base}/v1/audio/speech", json=body) as r:
        r.raise_for_status()
        for block in r.iter_bytes():
            received += len(block)
            if ttfb is None and received > WAV_HEADER:
                ttfb = time.perf_counter() - start
    total = time.perf_counter() - start
    return {"ttfb": ttfb if ttfb is not None else total, "total": total,
            "audio": max(0, received - WAV_HEADER) / bytes_per_second}


def run_level(base: str, clients: int, requests: int, body: dict, bytes_per_second: int) -> dict:
    """``clients`` threads, each sending ``requests`` requests back to back, all started together."""
    results, errors, lock = [], [], threading.Lock()
    barrier = threading.Barrier(clients)

    def client_loop():
        with httpx.Client(timeout=600) as client:
            barrier.wait()
            for _ in range(requests):
                try:
                    res = one_request(client, base, body, bytes_per_second)
                except httpx.HTTPError as e:
                    with lock:
                        errors.append(repr(e))
                    continue
                with lock:
                    results.append(res)

    threads = [threading.Thread(target=client_loop) for _ in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    return summarize(clients, results, errors, wall)


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0-100)."""
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q / 100 * len(s) + 0.5) - 1))] if s else float("nan")


def summarize(clients: int, results: list[dict], errors: list[str], wall: float) -> dict:
    ttfb, total = [r["ttfb"] for r in results], [r["total"] for r in results]
    audio = sum(r["audio"] for r in results)
    return {"clients": clients, "requests": len(results), "errors": len(errors), "wall_s": wall,
            "ttfb_p50": percentile(ttfb, 50), "ttfb_p95": percentile(ttfb, 95),
            "total_p50": percentile(total, 50), "total_p95": percentile(total, 95),
            "req_per_s": len(results) / wall, "audio_s_per_s": audio / wall,
            "audio_s_per_request": audio / len(results) if results else 0.0, "error_samples": errors[:3]}


def machine() -> dict:
    """CPU model, the SIMD flags that matter to LiteRT/XNNPACK, cores and the 1-minute load."""
    model, flags = "?", []
    with open("/proc/cpuinfo") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key.strip() == "model name" and model == "?":
                model = value.strip()
            elif key.strip() == "flags" and not flags:
                flags = [x for x in value.split() if x.startswith(("avx", "fma", "amx", "f16c"))]
    return {"cpu": model, "flags": " ".join(flags), "cores": os.cpu_count(), "load1": os.getloadavg()[0]}


def print_table(rows: list[dict], info: dict, bundle: str) -> None:
    print(f"\nbundle {bundle}\ncpu    {info['cpu']} ({info['cores']} cores; {info['flags']})")
    print(f"load   1-min average {info['load1']:.2f} before, {info['load1_after']:.2f} after")
    print(f"\n{'clients':>7} {'reqs':>5} {'err':>4} {'TTFB p50':>9} {'TTFB p95':>9} {'total p50':>10} "
          f"{'total p95':>10} {'req/s':>6} {'audio s/s':>10}")
    for r in rows:
        print(f"{r['clients']:>7} {r['requests']:>5} {r['errors']:>4} {r['ttfb_p50']:>8.2f}s {r['ttfb_p95']:>8.2f}s "
              f"{r['total_p50']:>9.2f}s {r['total_p95']:>9.2f}s {r['req_per_s']:>6.2f} {r['audio_s_per_s']:>10.2f}")


def main(argv=None) -> None:
    args = parse_args(argv)
    port = args.port or free_port()
    base = f"http://127.0.0.1:{port}"
    info = machine()
    server = start_server(args.bundle, port, args.max_concurrency, queue=max(args.clients))
    try:
        health = wait_healthy(base, server)
        bytes_per_second = 2 * health["sample_rate"]
        body = {"model": "kokoro", "input": args.text, "voice": args.voice, "response_format": "wav"}
        with httpx.Client(timeout=600) as client:
            one_request(client, base, body, bytes_per_second)  # warm-up, not counted
        rows = []
        for clients, n in zip(args.clients, args.requests):
            rows.append(run_level(base, clients, n, body, bytes_per_second))
            print(f"C={clients}: {rows[-1]['requests']} requests in {rows[-1]['wall_s']:.1f} s", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=60)
    info["load1_after"] = os.getloadavg()[0]
    print_table(rows, info, args.bundle)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"bundle": args.bundle, "text": args.text, "machine": info, "levels": rows}, f, indent=2)


if __name__ == "__main__":
    main()
