"""Server configuration: the workspace, transport security and limits."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path

from revarch.errors import InputError

DEFAULT_MAX_UPLOAD_MB = 200
SESSION_HOURS = 12


def is_loopback(host: str) -> bool:
    """Return whether ``host`` names only this machine (127.0.0.0/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class WebConfig:
    """Options of one server. ``tls`` is true when requests arrive over HTTPS."""

    workspace: Path
    host: str = "127.0.0.1"
    tls: bool = False
    behind_proxy: bool = False
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_MB * 1024 * 1024
    session_hours: int = SESSION_HOURS

    @property
    def secure_cookies(self) -> bool:
        return self.tls or self.behind_proxy


def check_exposure(
    host: str,
    *,
    users: int,
    certfile: Path | None,
    keyfile: Path | None,
    behind_proxy: bool,
) -> None:
    """Raise ``InputError`` when a server off loopback would lack login or TLS."""
    if (certfile is None) != (keyfile is None):
        raise InputError(
            "--ssl-certfile and --ssl-keyfile go together; give both files or neither"
        )
    if certfile is not None and behind_proxy:
        raise InputError(
            "pass --ssl-certfile/--ssl-keyfile or --behind-proxy, not both: a "
            "proxy that ends TLS forwards plain HTTP"
        )
    if is_loopback(host):
        return
    if users == 0:
        raise InputError(
            f"--host {host} is reachable from other machines and no user is "
            "configured; add one with `revarch serve user add NAME --role admin` "
            "or bind to 127.0.0.1"
        )
    if certfile is None and not behind_proxy:
        raise InputError(
            f"--host {host} is reachable from other machines without TLS; pass "
            "--ssl-certfile and --ssl-keyfile, or --behind-proxy when a reverse "
            "proxy ends TLS, or bind to 127.0.0.1"
        )
