"""devrecs serve over loopback: requests/s and latency, beside a bare endpoint, and a reload under load.

    python benchmarks/service.py [--seconds 5] [--max-requests 20000] [--clients 1,16,64]

Starts ``devrecs serve`` (default packs, one server process, no decision log, no store, plugins
switched off, so one person's decision runs on the event loop), the same with the installed
plugins when there are any (a plugin that enriches people sends each decision to a worker thread,
under the time limit), and a bare FastAPI endpoint on the same uvicorn settings, each in its own
process on 127.0.0.1 only,
and drives each with N keep-alive HTTP/1.1 connections from one client process (a minimal
asyncio client, so the load generator costs little of the machine's two cores). Each level
runs for --seconds or --max-requests, whichever comes first, after a one-second warm-up.
The bare endpoint takes the same JSON body through the same pydantic model and answers a
fixed body: the ratio is devrecs' own cost (token, validation, rules, JSON). Then 16 clients
run while the admin endpoint reloads the rules three times; no request may fail. When
Litestar is installed its bare endpoint is measured too (the framework choice, docs/service.md).
Results go to benchmarks/results.md (section "service"). Targets (issue 21): at least 800
single-person recommends/s, p99 under 50 ms at 16 clients, no failed request during reloads.
"""

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import re
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Optional

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results import write_section  # noqa: E402

HOST = "127.0.0.1"          # loopback only, never any other address
PERSON = "persona-deep-expert"


# -- the bare servers (run in their own process: --bare fastapi|litestar) ------------------------------

def bare_fastapi() -> Any:
    from fastapi import FastAPI
    from fastapi.responses import Response

    from devrecs.service import PersonRequest
    app = FastAPI()
    answer = json.dumps({"person": PERSON, "recommendations": []}).encode()

    @app.post("/v1/bare")
    async def bare(body: PersonRequest) -> Response:
        return Response(answer, media_type="application/json")
    return app


def bare_litestar() -> Any:
    from typing import Any as AnyT

    import msgspec
    from litestar import Litestar, Response, post

    class Body(msgspec.Struct, forbid_unknown_fields=True):
        person: dict[str, AnyT]
        audience: Optional[str] = None
        as_of: Optional[str] = None
    answer = json.dumps({"person": PERSON, "recommendations": []}).encode()

    @post("/v1/bare", status_code=200)
    async def bare(data: Body) -> Response:
        return Response(answer, media_type="application/json")
    return Litestar([bare], openapi_config=None)


def run_bare(kind: str) -> None:
    import uvicorn
    app = bare_fastapi() if kind == "fastapi" else bare_litestar()
    config = uvicorn.Config(app, host=HOST, port=0, log_level="warning", access_log=False, server_header=False)
    server = uvicorn.Server(config)

    async def main() -> None:
        serving = asyncio.ensure_future(server.serve())
        while not server.started and not serving.done():
            await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        print(f"listening on http://{HOST}:{port}/v1", file=sys.stderr, flush=True)
        await serving
    try:
        import uvloop
        uvloop.run(main())
    except ImportError:
        asyncio.run(main())


# -- the client ---------------------------------------------------------------------------------------

def start(cmd: list[str], env: Optional[dict] = None) -> tuple[subprocess.Popen, int]:
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
                            env=dict(os.environ, **(env or {})))
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line and proc.poll() is not None:
            break
        m = re.search(r"listening on http://127\.0\.0\.1:(\d+)/v1", line)
        if m:
            return proc, int(m.group(1))
    proc.kill()
    raise SystemExit(f"{cmd[:4]} did not start")


async def one_client(port: int, request: bytes, stop_at: float, budget: list[int], latencies: list[float],
                     failures: list[int], hashes: Optional[set] = None) -> None:
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        while time.perf_counter() < stop_at and budget[0] > 0:
            budget[0] -= 1
            began = time.perf_counter()
            writer.write(request)
            status = int((await reader.readline()).split()[1])
            length = 0
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b""):
                    break
                name, _, value = line.partition(b":")
                if name.lower() == b"content-length":
                    length = int(value)
            body = await reader.readexactly(length)
            latencies.append(time.perf_counter() - began)
            if status != 200:
                failures.append(status)
            if hashes is not None:
                hashes.add(json.loads(body).get("ruleset_hash"))
    finally:
        writer.close()


def http_request(path: str, body: bytes, token: Optional[str]) -> bytes:
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    return (f"POST {path} HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n{auth}\r\n").encode() + body


async def warm_up(port: int, request: bytes, clients: int) -> None:
    warm = time.perf_counter() + 1.0
    await asyncio.gather(*(one_client(port, request, warm, [10 ** 9], [], [], None) for _ in range(clients)))


async def load(port: int, request: bytes, clients: int, seconds: float, max_requests: int,
               hashes: Optional[set] = None) -> dict:
    latencies: list[float] = []
    failures: list[int] = []
    budget = [max_requests]
    began = time.perf_counter()
    await asyncio.gather(*(one_client(port, request, began + seconds, budget, latencies, failures, hashes)
                           for _ in range(clients)))
    took = time.perf_counter() - began
    latencies.sort()
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000  # noqa: E731
    return {"requests": len(latencies), "seconds": took, "rps": len(latencies) / took, "p50": pick(0.50),
            "p99": pick(0.99), "failures": len(failures)}


async def reload_under_load(port: int, request: bytes, admin: str, seconds: float, reloads: int) -> dict:
    hashes: set = set()
    await warm_up(port, request, 16)
    loader = asyncio.ensure_future(load(port, request, 16, seconds, 10 ** 9, hashes))
    await asyncio.sleep(seconds / (reloads + 2))       # spread the reloads over the run
    answers = []
    for _ in range(reloads):
        reader, writer = await asyncio.open_connection(HOST, port)
        writer.write(http_request("/v1/admin/reload", b"", admin))
        answers.append(int((await reader.readline()).split()[1]))
        writer.close()
        await asyncio.sleep(seconds / (reloads + 2))
    result = await loader
    result["reloads"] = answers
    return result


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (Linux /proc), for server CPU per request."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=5.0, help="measured time per level (after 1 s warm-up)")
    ap.add_argument("--max-requests", type=int, default=20000, help="most requests per level")
    ap.add_argument("--clients", default="1,16,64")
    ap.add_argument("--reloads", type=int, default=3)
    ap.add_argument("--out", default=str(Path(__file__).with_name("results.md")))
    ap.add_argument("--bare", choices=["fastapi", "litestar"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.bare:
        run_bare(args.bare)
        return
    from devrecs.intake.peoplefile import sample_file
    from devrecs.service import hash_token

    sample = sample_file()
    person = next(json.loads(json.dumps(raw, default=str)) for _, raw in sample.records if raw["id"] == PERSON)
    body = json.dumps({"person": person}).encode()
    token, admin = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    levels = [int(c) for c in args.clients.split(",")]
    load_before = os.getloadavg()
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        tokens = Path(tmp) / "tokens.yaml"
        tokens.write_text(json.dumps({"tokens": [{"name": "bench", "sha256": hash_token(token), "audience": "hr"},
                                                 {"name": "admin", "sha256": hash_token(admin), "admin": True}]}))
        serve = [sys.executable, "-m", "devrecs.cli", "serve", "--port", "0", "--tokens", str(tokens),
                 "--as-of", sample.as_of.isoformat()]
        from importlib.metadata import entry_points
        installed = sorted({ep.name for ep in entry_points(group="devrecs")})
        servers = {"devrecs serve `/v1/recommend`": (serve, http_request("/v1/recommend", body, token))}
        envs = {"devrecs serve `/v1/recommend`": {"DEVRECS_DISABLE_PLUGINS": ",".join(installed)}}
        if installed:
            with_plugins = f"devrecs serve, plugins {', '.join(installed)} (worker threads)"
            servers[with_plugins] = (serve, http_request("/v1/recommend", body, token))
        servers["bare FastAPI endpoint (same body model)"] = (
            [sys.executable, __file__, "--bare", "fastapi"], http_request("/v1/bare", body, None))
        try:
            import litestar  # noqa: F401
            servers["bare Litestar endpoint (msgspec body)"] = (
                [sys.executable, __file__, "--bare", "litestar"], http_request("/v1/bare", body, None))
        except ImportError:
            pass
        rows: dict[tuple[str, int], dict] = {}
        reload_result: dict = {}
        for name, (cmd, request) in servers.items():
            proc, port = start(cmd, {"DEVRECS_PLUGINS_DIR": "", **envs.get(name, {})})
            try:
                for clients in levels:
                    asyncio.run(warm_up(port, request, clients))
                    cpu = cpu_seconds(proc.pid)
                    rows[(name, clients)] = asyncio.run(load(port, request, clients, args.seconds, args.max_requests))
                    rows[(name, clients)]["cpu_ms"] = ((cpu_seconds(proc.pid) - cpu) * 1000 /
                                                       max(1, rows[(name, clients)]["requests"]))
                    print(name, clients, rows[(name, clients)], file=sys.stderr)
                if name == "devrecs serve `/v1/recommend`":
                    reload_result = asyncio.run(reload_under_load(port, request, admin, args.seconds * 2,
                                                                  args.reloads))
                    print("reload", reload_result, file=sys.stderr)
            finally:
                proc.terminate()
                proc.wait(20)
    load_after = os.getloadavg()
    took = time.monotonic() - started
    names = list(servers)
    ours, bare = names[0], next(n for n in names if n.startswith("bare"))
    lines = [f"Command: `python benchmarks/service.py --seconds {args.seconds:g} --max-requests {args.max_requests} "
             f"--clients {args.clients}`; {dt.date.today()}, Python {platform.python_version()}, "
             f"{os.cpu_count()} CPUs, load average {load_before[0]:.2f} before and {load_after[0]:.2f} after "
             f"(the machine is shared); one run of {took:.0f} s.", "",
             "One server process each (uvicorn with uvloop and httptools when installed), on 127.0.0.1; "
             "one client process with N keep-alive connections, one request in flight per connection; "
             f"the body is the sample's `{PERSON}` record; the token's audience is hr; no decision log, no store. "
             f"`devrecs serve` runs with plugins switched off (one person's decision then runs on the event loop) "
             f"and, in its own rows, with the installed plugins ({', '.join(installed) or 'none'}; one that "
             f"enriches people sends each decision to a worker thread, under the time limit).", "",
             "| endpoint | clients | requests | req/s | p50 ms | p99 ms | failed | server CPU ms/request |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for name in names:
        for clients in levels:
            r = rows[(name, clients)]
            lines.append(f"| {name} | {clients} | {r['requests']:,} | {r['rps']:,.0f} | {r['p50']:.2f} | "
                         f"{r['p99']:.2f} | {r['failures']} | {r['cpu_ms']:.2f} |")
    lines += ["", "server CPU ms/request: the server process's user and system CPU time over the measured "
                  "run, per request (less sensitive to other load than wall time); 1000 / it is about what "
                  "the process could answer on a core of its own.", ""]
    for clients in levels:
        a, b = rows[(ours, clients)], rows[(bare, clients)]
        lines.append(f"- {clients} clients: devrecs answers {a['rps'] / b['rps']:.2f}x the bare FastAPI rate; "
                     f"devrecs' own cost {a['cpu_ms'] - b['cpu_ms']:.2f} ms of server CPU per request "
                     f"({a['cpu_ms']:.2f} against {b['cpu_ms']:.2f})")
    r = reload_result
    lines += ["", f"Reload under load: 16 clients, after a warm-up, for {args.seconds * 2:g} s while "
                  f"`POST /v1/admin/reload` ran "
                  f"{len(r['reloads'])} times (answers {', '.join(map(str, r['reloads']))}): {r['requests']:,} "
                  f"requests, {r['rps']:,.0f} req/s, p50 {r['p50']:.2f} ms, p99 {r['p99']:.2f} ms, "
                  f"**{r['failures']} failed**.", ""]
    best = max(levels, key=lambda c: rows[(ours, c)]["rps"])
    one = rows[(ours, best)]["rps"]
    p99 = rows[(ours, 16)]["p99"] if (ours, 16) in rows else float("nan")
    ok = lambda b: "met" if b else "NOT met"  # noqa: E731
    lines += ["Targets (issue 21), this run:", "",
              f"- at least 800 single-person recommends/s with one server process: {one:,.0f} req/s at {best} "
              f"clients (the best level; " + ", ".join(f"{rows[(ours, c)]['rps']:,.0f} at {c}" for c in levels)
              + f"): **{ok(one >= 800)}**",
              f"- p99 under 50 ms at 16 clients: {p99:.1f} ms: **{ok(p99 < 50)}**",
              f"- a hot reload under load fails no request: {r['failures']} failed: **{ok(r['failures'] == 0)}**"]
    write_section(Path(args.out), "service", "devrecs serve: HTTP throughput, latency and reload under load", lines)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
