"""``preconcile local ...``: commands of the embedded local Personalize.

One job: the ``local`` typer sub-app (``preconcile local serve``). It prints and chooses
exit codes only for these commands; ``personalize_reconcile.cli`` mounts it.

Callers: ``cli.py``, which mounts it as ``preconcile local``.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import typer

local_app = typer.Typer(
    name="local",
    help="The embedded, offline Personalize (the local target).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def state_dir_value(value: str | Path) -> Path:
    """``--state-dir``'s value as a path; an empty one (``--state-dir "$UNSET"``) is refused
    rather than read as the working directory, where the state would land beside the
    user's files.

    Raises:
        typer.BadParameter: the value is empty.
    """
    if str(value) == "":
        raise typer.BadParameter(
            "it is empty; give a folder, such as .preconcile (the default), or leave the option out"
        )
    return Path(value)


@local_app.command("serve")
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on (loopback by default)."),
    port: int = typer.Option(4566, min=0, max=65535, help="TCP port (0 picks a free one)."),
    state_dir: Path = typer.Option(
        None,
        "--state-dir",
        envvar="PRECONCILE_STATE_DIR",
        parser=state_dir_value,
        help="State directory (default .preconcile in the working directory).",
    ),
    account_id: str = typer.Option(
        None,
        "--account-id",
        envvar="PRECONCILE_ACCOUNT_ID",
        help="The 12-digit account that ARNs carry (default 000000000000).",
    ),
    debug: bool = typer.Option(False, "--debug", help="Log every request."),
    faults: str = typer.Option(
        None,
        "--faults",
        envvar="PRECONCILE_LOCAL_FAULTS",
        metavar="SPEC",
        help="Inject faults to rehearse retries: throttle=P,error=P,drop=P,seed=N "
        "(probabilities per request).",
    ),
    s3_endpoint_url: str = typer.Option(
        None,
        "--s3-endpoint-url",
        envvar="PRECONCILE_LOCAL_S3_ENDPOINT_URL",
        help="Read import data (s3:// URIs) through this S3 endpoint, with the usual AWS "
        "credentials, instead of the state dir's object store; that endpoint then answers "
        "S3 and this server refuses S3 requests. Without it, this server answers S3 itself "
        "over the state dir's object store.",
    ),
) -> None:
    """Serve the local target over HTTP for the AWS CLI, SDKs and scripts.

    One endpoint answers personalize, personalize-runtime, personalize-events and S3 (the
    state dir's object store, which import jobs read). Point clients at it with
    --endpoint-url http://HOST:PORT, or AWS_ENDPOINT_URL (AWS_ENDPOINT_URL_PERSONALIZE,
    AWS_ENDPOINT_URL_PERSONALIZE_RUNTIME, AWS_ENDPOINT_URL_PERSONALIZE_EVENTS,
    AWS_ENDPOINT_URL_S3).
    """
    import os

    from personalize_reconcile.local.config import ConfigError
    from personalize_reconcile.local.seams import S3_ENDPOINT_ENV
    from personalize_reconcile.local.server import LocalServer, is_loopback
    from personalize_reconcile.local.service import get_service

    logging.basicConfig(
        level=logging.DEBUG if debug else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if s3_endpoint_url:
        from urllib.parse import urlparse

        parsed = urlparse(s3_endpoint_url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            typer.echo(
                f"Error: --s3-endpoint-url {s3_endpoint_url!r} is not an http(s) URL; "
                "write one such as http://127.0.0.1:5000",
                err=True,
            )
            raise typer.Exit(1)
        os.environ[S3_ENDPOINT_ENV] = s3_endpoint_url  # read by import jobs in this process
    if not host.strip():
        typer.echo(
            "Error: --host is empty; give the address to listen on, such as 127.0.0.1 (this "
            "machine only, the default) or 0.0.0.0 (every interface)",
            err=True,
        )
        raise typer.Exit(1)
    injected = None
    if faults:
        from personalize_reconcile.local.faults import FaultsError, parse_faults

        try:
            injected = parse_faults(faults)
        except FaultsError as exc:
            typer.echo(
                f"Error: --faults: {exc}; write e.g. throttle=0.3,error=0.05,drop=0.05,seed=1",
                err=True,
            )
            raise typer.Exit(1) from None
    try:
        service = get_service(state_dir, account_id=account_id)
    except (ConfigError, OSError, sqlite3.Error) as exc:
        typer.echo(f"Error: cannot open the local state: {exc}", err=True)
        raise typer.Exit(1) from None
    if not is_loopback(host):
        bar = "!" * 72
        typer.secho(
            f"{bar}\nWARNING: serving on {host}, not loopback. Anyone who can reach this "
            "address can read and change\nthe local Personalize state; requests are NOT "
            f"authenticated.\n{bar}",
            err=True,
            fg=typer.colors.RED,
            bold=True,
        )
    try:
        server = LocalServer(service, host, port, injected, s3_endpoint_url)
    except OSError as exc:
        import errno

        fix = (
            "Pick another --port or stop what uses it."
            if exc.errno == errno.EADDRINUSE
            else "Check --host: it must be an address of this machine, such as 127.0.0.1."
        )
        where = host if len(host) <= 80 else f"{host[:80]}… ({len(host)} characters)"
        typer.echo(
            f"Error: cannot listen on {where}:{port}: {exc.strerror or exc}. {fix}", err=True
        )
        raise typer.Exit(1) from None
    if s3_endpoint_url:
        typer.echo(
            f"import jobs read s3:// data through {s3_endpoint_url}, which answers S3; "
            "this server refuses S3 requests",
            err=True,
        )
    if injected is not None:
        typer.echo(
            f"injecting faults: throttle {injected.throttle}, error {injected.error}, "
            f"drop {injected.drop} per request (seed {injected.seed})",
            err=True,
        )
    typer.echo(
        f"preconcile local target listening on {server.url} "
        f"(state dir {service.config.state_dir}, account "
        f"{service.config.account_id}); Ctrl-C to stop",
        err=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        service.close()


@local_app.command("fast-forward")
def fast_forward(
    arns: list[str] = typer.Argument(
        None,
        metavar="[ARN]...",
        help="Only the resources with these ARNs (default: every resource with a pending step).",
        show_default=False,
    ),
    one_step: bool = typer.Option(
        False,
        "--one-step",
        help="Bring only the next status change of each resource forward; the rest of its "
        "minimum duration stays.",
    ),
    state_dir: Path = typer.Option(
        None,
        "--state-dir",
        envvar="PRECONCILE_STATE_DIR",
        parser=state_dir_value,
        help="State directory (default .preconcile in the working directory).",
    ),
) -> None:
    """End the minimum durations of pending creates, updates and deletes now.

    Resources held in CREATE PENDING, CREATE IN_PROGRESS or DELETE PENDING by the durations
    set with PRECONCILE_LOCAL_DURATIONS move on at once, as if their time had passed.
    Imports and training runs already under way still take the time their work takes.
    A solution with performAutoTraining runs its next scheduled training now.
    """
    import re
    import time

    from personalize_reconcile.local.config import ConfigError
    from personalize_reconcile.local.service import get_service

    for arn in arns or []:
        # reference §1: every ARN is at most 256 characters
        if len(arn) > 256 or not re.fullmatch(
            r"arn:aws[a-z-]*:personalize:[a-z0-9-]+:\d{12}:[a-z-]+/.+", arn
        ):
            shown = repr(arn) if len(arn) <= 80 else f"{arn[:80]!r}… ({len(arn)} characters)"
            typer.echo(
                f"Error: {shown} is not the ARN of a Personalize resource; write one such as "
                "arn:aws:personalize:us-east-1:000000000000:campaign/NAME",
                err=True,
            )
            raise typer.Exit(1)
    try:
        service = get_service(state_dir, start=False)
        moved = service.fast_forward(arns or None, one_step=one_step)
    except (ConfigError, OSError, sqlite3.Error) as exc:
        typer.echo(f"Error: cannot open the local state: {exc}", err=True)
        raise typer.Exit(1) from None
    now = time.time()
    for m in moved:
        typer.echo(f"{m.action} {m.step} of {m.arn}: due now (was in {m.was_due - now:.1f}s)")
    missing = [a for a in arns or [] if a not in {m.arn for m in moved}]
    unknown = [a for a in missing if service.store.get(a) is None]
    for arn in missing:
        if arn in unknown:
            typer.echo(
                f"{arn}: no such resource in {service.config.state_dir}; check the ARN, or "
                "the --state-dir and the account (PRECONCILE_ACCOUNT_ID) it was made with",
                err=True,
            )
        else:
            typer.echo(f"{arn}: no pending step to bring forward", err=True)
    typer.echo(f"{len(moved)} step(s) brought forward.")
    if unknown:
        raise typer.Exit(1)
