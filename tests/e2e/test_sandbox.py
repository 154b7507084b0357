"""``handy-alegra sandbox`` as a user runs it: a process serving both APIs on loopback."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator

import pytest

from handy_alegra.clients.http import Client


@pytest.fixture(scope="module")
def sandbox() -> Iterator[dict[str, str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "handy_alegra", "sandbox", "--port", "0", "--items", "40"],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "HANDY_ALEGRA_LANG": "en"},  # the lines below are read in English
    )
    assert process.stdout is not None
    printed = []
    for line in process.stdout:  # blocks until the sandbox prints; no timing involved
        printed.append(line)
        if line.startswith("Serving"):
            break
    text = "".join(printed)
    try:
        yield {
            "alegra": re.search(r"Alegra API\s+(\S+)", text).group(1),  # type: ignore[union-attr]
            "handy": re.search(r"Handy API\s+(\S+)", text).group(1),  # type: ignore[union-attr]
            "user": re.search(r"user\s+(\S+)", text).group(1),  # type: ignore[union-attr]
            "alegra_token": re.findall(r"token\s+(\S+)", text)[0],
            "handy_token": re.findall(r"token\s+(\S+)", text)[1],
        }
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()


def test_alegra_items_page_by_page(sandbox: dict[str, str]) -> None:
    with Client(
        base_url=sandbox["alegra"], auth=(sandbox["user"], sandbox["alegra_token"])
    ) as http:
        first = http.get("/items", params={"start": 0, "limit": 30})
        second = http.get("/items", params={"start": 30, "limit": 30})
        assert first.status_code == second.status_code == 200
        assert (len(first.json()), len(second.json())) == (30, 10)
        assert first.headers["X-Rate-Limit-Limit"] == "150"
        too_big = http.get("/items", params={"limit": 31})
        assert too_big.status_code == 400
        assert too_big.json()["code"] == 903


def test_handy_products_and_wrong_credentials(sandbox: dict[str, str]) -> None:
    with Client(base_url=sandbox["handy"]) as http:
        ok = http.get("/product", headers={"Authorization": f"Bearer {sandbox['handy_token']}"})
        assert ok.status_code == 200
        assert [p["code"] for p in ok.json()["products"]] == ["LOCAL-001", "LOCAL-002", "LOCAL-003"]
        assert http.get("/product", headers={"Authorization": "Bearer wrong"}).status_code == 401
    with Client(base_url=sandbox["alegra"], auth=(sandbox["user"], "wrong")) as http:
        assert http.get("/items").status_code == 401
