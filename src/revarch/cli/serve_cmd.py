"""``revarch serve``: the web app for the whole team, and its users."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from revarch.cli.common import console, state

serve_app = typer.Typer()
user_app = typer.Typer(
    help="Manage who can log in to the web app.", no_args_is_help=True
)
serve_app.add_typer(user_app, name="user")


@serve_app.callback(invoke_without_command=True)
def serve(
    ctx: typer.Context,
    host: Annotated[
        str,
        typer.Option(help="Address to listen on; 127.0.0.1 keeps it on this machine."),
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    ssl_certfile: Annotated[
        Path | None,
        typer.Option(
            "--ssl-certfile",
            help="TLS certificate (PEM) to serve HTTPS with.",
            show_default=False,
        ),
    ] = None,
    ssl_keyfile: Annotated[
        Path | None,
        typer.Option(
            "--ssl-keyfile",
            help="Private key (PEM) of --ssl-certfile.",
            show_default=False,
        ),
    ] = None,
    behind_proxy: Annotated[
        bool,
        typer.Option(
            "--behind-proxy",
            help="A reverse proxy ends TLS: trust its X-Forwarded-Proto and "
            "X-Forwarded-For, from --proxy-address only.",
        ),
    ] = False,
    proxy_address: Annotated[
        str,
        typer.Option(help="IP address of the reverse proxy (with --behind-proxy)."),
    ] = "127.0.0.1",
    max_upload_mb: Annotated[
        int, typer.Option(min=1, help="Largest upload accepted, in megabytes.")
    ] = 200,
) -> None:
    """Serve the web app: dashboard, seller pages, forms; every page also as JSON.

    Off loopback it needs users (`revarch serve user add`) and TLS
    (--ssl-certfile/--ssl-keyfile, or --behind-proxy). The workspace's
    database stays open while the server runs, so stop it before running
    other revarch commands on the same workspace.

    Example: revarch -w ./acme serve --port 8080
    """
    if ctx.invoked_subcommand is not None:
        return
    import uvicorn

    from revarch.web import WebConfig, create_app
    from revarch.web.config import check_exposure
    from revarch.web.users import read_users
    from revarch.workspace import locate_workspace

    folder = locate_workspace(state(ctx).workspace)
    users = read_users(folder)
    check_exposure(
        host,
        users=len(users),
        certfile=ssl_certfile,
        keyfile=ssl_keyfile,
        behind_proxy=behind_proxy,
    )
    config = WebConfig(
        workspace=folder,
        host=host,
        tls=ssl_certfile is not None,
        behind_proxy=behind_proxy,
        max_upload_bytes=max_upload_mb * 1024 * 1024,
    )
    logging.getLogger("revarch.web").setLevel(logging.INFO)
    scheme = "https" if ssl_certfile or behind_proxy else "http"
    login = f"{len(users)} users can log in" if users else "no login (loopback only)"
    console.print(
        f"Serving {folder} at {scheme}://{host}:{port}/ ({login}); Ctrl-C stops."
    )
    uvicorn.run(
        create_app(config),
        host=host,
        port=port,
        ssl_certfile=str(ssl_certfile) if ssl_certfile else None,
        ssl_keyfile=str(ssl_keyfile) if ssl_keyfile else None,
        proxy_headers=behind_proxy,
        forwarded_allow_ips=proxy_address if behind_proxy else None,
        access_log=False,
        server_header=False,
        log_level="info",
    )


@user_app.command("add")
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[
        str, typer.Option(help="admin (everything), manager (their team) or seller.")
    ],
    person: Annotated[
        str | None,
        typer.Option(
            help="The manager's or seller's id in the sellers table.",
            show_default=False,
        ),
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin.")
    ] = False,
) -> None:
    """Add a user, or replace the password and role of an existing one.

    Example: revarch serve user add lena --role manager --person 005Nw0000000085IAA
    """
    from revarch.errors import InputError
    from revarch.leadership.people import People
    from revarch.web.users import add_user, check_role
    from revarch.workspace import locate_workspace, open_workspace

    folder = locate_workspace(state(ctx).workspace)
    check_role(role, person)
    if person:
        with open_workspace(folder) as workspace:
            if person not in People.read(workspace).by_id:
                raise InputError(
                    f"unknown --person {person!r}: no row of the sellers table has "
                    "that id; `revarch metrics --by seller --json` lists the ids"
                )
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    user = add_user(folder, name, role, password, person=person)
    console.print(f"Stored user {user.name} ({user.role}) in {folder / 'users.json'}.")


@user_app.command("list")
def list_users(ctx: typer.Context) -> None:
    """List the users who can log in.

    Example: revarch serve user list
    """
    from revarch.web.users import read_users
    from revarch.workspace import locate_workspace

    users = read_users(locate_workspace(state(ctx).workspace))
    if not users:
        console.print("No users: the web app serves loopback only, without login.")
        return
    table = Table("name", "role", "person", "added")
    for user in users.values():
        table.add_row(user.name, user.role, user.person or "-", user.created_at)
    console.print(table)


@user_app.command("remove")
def remove(
    ctx: typer.Context, name: Annotated[str, typer.Argument(help="Login name.")]
) -> None:
    """Remove a user; their sessions end with it.

    Example: revarch serve user remove lena
    """
    from revarch.web.users import remove_user
    from revarch.workspace import locate_workspace

    remove_user(locate_workspace(state(ctx).workspace), name)
    console.print(f"Removed user {name}.")


def register(app: typer.Typer) -> None:
    app.add_typer(serve_app, name="serve")
