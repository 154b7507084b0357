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

from handy_alegra.messages import Said


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


def problem(url: str, *, allow_insecure: bool = False) -> Said | None:
    """What is wrong with ``url`` as an API or public base URL (None: nothing), in words of the
    message catalog (``str()``: the configured language)."""
    text = url.strip()
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 — raises on a port that is not a number
    except ValueError:
        return Said("error.url.not_url", url=text)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return Said("error.url.not_http", url=text)
    if parts.username is not None or parts.password is not None:
        return Said("error.url.credentials", scheme=parts.scheme, host=parts.hostname)
    if parts.query or parts.fragment:
        return Said("error.url.query", url=text)
    if in_clear(text) and not allow_insecure:
        return Said("error.url.in_clear", url=text)
    return None
