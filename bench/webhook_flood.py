"""What large webhook POSTs cost the real ``serve`` process (issue 13.3).

Starts ``handy-alegra serve`` on loopback (fresh home, one account with webhooks on), then
POSTs bodies of 10 MB and 200 MB to the receiver — with a wrong token (Content-Length
declared, and chunked), and with the right token (chunked) — and reads the server's resident
memory (VmRSS) and its peak (VmHWM) from /proc before and after each. Before the fix a 200 MB
POST with a wrong token took the server from 139 to 733 MB.

    .venv/bin/python bench/webhook_flood.py
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from cryptography.fernet import Fernet

from handy_alegra.accounts import registry as accounts
from handy_alegra.accounts.vault import Vault
from handy_alegra.store.database import Store

MB = 1_000_000
TOKEN = "bench-webhook-token-0123456789abcdef"


def memory(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) in MB."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return (int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024)


def post(port: int, path: str, size: int, *, chunked: bool) -> str:
    """Send the whole body unless the server answers first; returns the status line."""
    block = b"x" * 65536
    with socket.create_connection(("127.0.0.1", port), timeout=60) as conn:
        head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        head += "Transfer-Encoding: chunked\r\n" if chunked else f"Content-Length: {size}\r\n"
        conn.sendall((head + "\r\n").encode())
        sent = 0
        try:
            while sent < size:
                piece = block[: min(len(block), size - sent)]
                conn.sendall(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
                sent += len(piece)
            if chunked:
                conn.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed without reading the rest
        try:
            answer = conn.recv(4096).decode(errors="replace")
        except ConnectionResetError:
            return "(connection reset after the answer)"
    return answer.splitlines()[0] if answer else "(no answer)"


def main() -> None:
    home = Path(tempfile.mkdtemp(prefix="handy-alegra-flood-"))
    key = Fernet.generate_key().decode()
    store = Store.open(f"sqlite:///{home / 'handy-alegra.sqlite3'}")
    now = datetime.now(UTC)
    with store.session() as session:
        accounts.insert(
            session,
            Vault([key.encode()]),
            name="bench",
            alegra_token="a",
            handy_token="h",
            now=now,
            country="MX",
            alegra_url="https://api.alegra.com/api/v1",
            alegra_email="bench@example.mx",
            handy_url="https://app.handy.la/api/v2",
            price_list_id="1",
            price_list_name="General",
            sales_since=now,
        )
        accounts.update(
            session, Vault([key.encode()]), "bench", now=now, webhook_token=TOKEN,
            webhook_public_url="https://sync.example.mx",
        )  # fmt: skip
    store.dispose()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "HANDY_ALEGRA_HOME": str(home), "HANDY_ALEGRA_SECRET_KEY": key}
    env.pop("HANDY_ALEGRA_DATABASE_URL", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "handy_alegra", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        server.stdout.readline()  # "Dashboard on …": listening
        time.sleep(0.5)
        print(f"serve pid {server.pid}; start: RSS {memory(server.pid)[0]:.0f} MB")
        wrong, right = "/webhooks/alegra/" + "W" * 32, f"/webhooks/alegra/{TOKEN}"
        cases = [
            ("wrong token, 10 MB, Content-Length", wrong, 10 * MB, False),
            ("wrong token, 10 MB, chunked", wrong, 10 * MB, True),
            ("wrong token, 200 MB, Content-Length", wrong, 200 * MB, False),
            ("right token, 10 MB, chunked", right, 10 * MB, True),
            ("right token, 200 MB, Content-Length", right, 200 * MB, False),
        ]
        for label, path, size, chunked in cases:
            before, _ = memory(server.pid)
            status = post(port, path, size, chunked=chunked)
            after, peak = memory(server.pid)
            print(
                f"{label:38} → {status:24} RSS {before:6.1f} → {after:6.1f} MB "
                f"(+{after - before:.1f}), peak so far {peak:.1f} MB"
            )
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
