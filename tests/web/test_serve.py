"""``handy-alegra serve --with-service`` as a process: it says where it listens, answers
/healthz and the login page, and stops cleanly on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

from cryptography.fernet import Fernet


def test_serve_with_the_service_answers_and_stops_on_sigterm(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "HANDY_ALEGRA_HOME": str(tmp_path),
        "HANDY_ALEGRA_SECRET_KEY": Fernet.generate_key().decode(),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("HANDY_ALEGRA_DATABASE_URL", None)
    env["HANDY_ALEGRA_LANG"] = "en"  # the lines below are read in English
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "handy_alegra",
            "serve",
            "--port",
            "0",
            "--with-service",
            "--tick",
            "1",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("Dashboard on http://127.0.0.1:"), first
        assert first.strip().endswith("(with the service)")
        base = first.split()[2]
        with urllib.request.urlopen(f"{base}/healthz", timeout=10) as answer:
            assert json.loads(answer.read()) == {"status": "ok", "store": "ok", "key": "ok"}
        with urllib.request.urlopen(f"{base}/accounts", timeout=10) as answer:
            assert answer.url.endswith("/login")
            assert "Contraseña" in answer.read().decode()
    finally:
        process.send_signal(signal.SIGTERM)
        _, errors = process.communicate(timeout=60)
    assert process.returncode == 0, errors
    assert (tmp_path / "handy-alegra.sqlite3").exists()
