"""Which URLs may carry credentials: https anywhere, plain http only to this machine.

Loopback means ``localhost`` and the loopback addresses (127.0.0.0/8, ::1): the simulators,
tests, a tunnel on this host. Any other host over plain http would see the API tokens in clear
(Alegra's Basic credentials, Handy's bearer token, the webhook path token), so it is refused
unless the deployment sets ``HANDY_ALEGRA_ALLOW_INSECURE_HTTP`` (lab setups; a warning on
every start).
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit


def is_loopback(host: str) -> bool:
    name = host.strip().strip("[]").rstrip(".").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def in_clear(url: str) -> bool:
    """True when ``url`` is plain http to a host other than loopback."""
    parts = urlsplit(url.strip())
    return parts.scheme.lower() == "http" and not is_loopback(parts.hostname or "")


def problem(url: str, *, allow_insecure: bool = False) -> str | None:
    """What is wrong with ``url`` as an API or public base URL (None: nothing)."""
    text = url.strip()
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 — raises on a port that is not a number
    except ValueError:
        return f"{text!r} is not a URL"
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return f"{text!r} is not an http(s) URL with a host"
    if parts.username is not None or parts.password is not None:
        return f"{parts.scheme}://…@{parts.hostname} carries credentials in the URL; leave them out"
    if parts.query or parts.fragment:
        return f"{text!r} has a query or a fragment; give the base URL only"
    if in_clear(text) and not allow_insecure:
        return (
            f"{text!r} is plain http to another machine, which would send the token in clear; "
            "use https:// (http is accepted for loopback only; a lab may set "
            "HANDY_ALEGRA_ALLOW_INSECURE_HTTP=1)"
        )
    return None
