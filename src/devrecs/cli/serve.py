"""The serve command: the HTTP service of devrecs.service, run by uvicorn on one address.

It parses options, builds the Engine and the service, and runs uvicorn; the
service and its framework are imported inside the command (they need the
``serve`` extra), so ``devrecs --help`` never loads them.
"""

from __future__ import annotations

import sys
from typing import Any, Callable, Optional

import click

from .options import (
    DEFAULT_CAP,
    as_of_option,
    engine,
    log_options,
    open_store,
    parse_date,
    pseudonymiser,
    rules_option,
    store_option,
)


@click.command()
@rules_option
@click.option("--tokens", "tokens_path", type=click.Path(dir_okay=False), envvar="DEVRECS_TOKENS",
              help="YAML file of SHA-256 token digests, each with an audience (and subject) or admin: true "
                   "(docs/service.md; default: $DEVRECS_TOKENS).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True,
              help="Port to listen on (0: any free port, printed on start).")
@click.option("--cap", type=click.IntRange(min=0), default=DEFAULT_CAP, show_default=True,
              help="Most items a person gets for themself.")
@as_of_option
@click.option("--max-people", type=click.IntRange(min=1), default=100, show_default=True,
              help="Most people in one batch request.")
@click.option("--max-body", type=click.IntRange(min=1024), default=1_000_000, show_default=True,
              help="Largest request body, in bytes.")
@click.option("--timeout", "timeout_s", type=click.FloatRange(min=0.01), default=10.0, show_default=True,
              help="Seconds a request may take before it is answered 503 (and nothing is written).")
@click.option("--threads", type=click.IntRange(min=1), default=4, show_default=True,
              help="Worker threads that run decisions; a slow request holds one (the rules run under "
                   "Python's GIL, so more threads do not add throughput).")
@click.option("--watch", is_flag=True,
              help="Reload when the rule files or folders change (polled; rules that do not validate are "
                   "refused, logged and shown in /v1/ready, and the old rules keep serving).")
@click.option("--watch-interval", type=click.FloatRange(min=0.05), default=1.0, show_default=True,
              help="Seconds between two looks at the rule files with --watch (a change is taken once it "
                   "held still for one).")
@store_option
@log_options
@click.option("--hash-token", is_flag=True,
              help="Print the SHA-256 digest of the token read from standard input for the token file, and exit.")
def serve(rules: tuple[str, ...], tokens_path: Optional[str], host: str, port: int, cap: int, as_of: Optional[str],
          max_people: int, max_body: int, timeout_s: float, threads: int, watch: bool, watch_interval: float,
          store_url: Optional[str], log_path: Optional[str], key_env: Optional[str], hash_token: bool) -> None:
    """Answer recommendations, explanations and outcomes over HTTP (JSON, OpenAPI at /v1/openapi.json).

    Every request needs a bearer token from --tokens; SIGHUP, POST /v1/admin/reload or (with --watch)
    a change to the rule files reads them again and keeps the rules in use when the new ones do not
    validate. Needs the serve extra:
    pip install "devrecs[serve]".
    """
    if hash_token:
        from ..service import hash_token as digest
        token = sys.stdin.readline().rstrip("\r\n")
        if not token:
            raise click.UsageError("give the token on standard input (echo -n TOKEN | devrecs serve --hash-token)")
        click.echo(digest(token))
        return
    try:
        import uvicorn

        from .. import service as svc
    except ImportError as exc:
        raise click.UsageError(f"devrecs serve needs the serve extra ({exc.name} is missing): "
                               f"pip install \"devrecs[serve]\"") from None
    if not tokens_path:
        raise click.UsageError("give --tokens FILE (or set DEVRECS_TOKENS): every request needs a bearer token")
    tokens = svc.Tokens.load(tokens_path)
    eng = engine(rules, cap, parse_date(as_of))
    settings = svc.Settings(max_people=max_people, max_body=max_body, timeout_s=timeout_s,
                            log_path=log_path, pseudonymiser=pseudonymiser(key_env, log_path),
                            store=open_store(store_url), workers=threads)
    echo = lambda line: click.echo(line, err=True)  # noqa: E731
    service = svc.Service(eng, tokens, settings, echo)
    app = svc.create_app(service)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False,
                            server_header=False, timeout_graceful_shutdown=10)
    server = uvicorn.Server(config)

    import gc
    gc.collect()
    gc.freeze()     # the rules and catalog live as long as the process: keep them out of every GC pass

    async def main() -> None:
        svc.sighup_reloads(service, echo)
        echo(f"devrecs serve: rules {eng.ruleset_hash} ({len(eng.rules)} rules), {len(tokens)} tokens")
        watching = None
        if watch:
            watcher = svc.RuleWatch(service, echo, watch_interval)
            watching = asyncio.ensure_future(watcher.run())
            echo(f"devrecs serve: watching {len(watcher.watched())} rule files and folders "
                 f"every {watch_interval:g} s")
        serving = asyncio.ensure_future(server.serve())
        while not server.started and not serving.done():
            await asyncio.sleep(0.01)
        if server.started:
            bound = [s.getsockname() for srv in server.servers for s in srv.sockets]
            echo(f"devrecs serve: listening on http://{bound[0][0]}:{bound[0][1]}{svc.API} "
                 f"(OpenAPI at {svc.API}/openapi.json)")
        try:
            await serving
        finally:
            if watching is not None:
                watching.cancel()

    import asyncio
    run: Callable[..., Any] = asyncio.run
    try:
        import uvloop
        run = uvloop.run
    except ImportError:
        pass
    try:
        run(main())
    except KeyboardInterrupt as exc:
        # uvicorn took SIGTERM or Ctrl-C, answered the requests in flight and closed, then passed the
        # signal on to the command line's handler: for a server that is the normal way to stop
        echo(f"devrecs serve: stopped ({exc or 'SIGINT'}) after answering the requests in flight")
