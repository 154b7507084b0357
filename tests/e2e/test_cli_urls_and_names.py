"""Tokens never travel in clear and accounts have sane names: API and public URLs must be
https (plain http only to loopback, or with the lab override), account names and countries
follow one rule; each refusal is one line, stores nothing and sends nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from handy_alegra.cli import app
from handy_alegra.clients.http import MockTransport, Request, Response
from handy_alegra.domain.clock import ManualClock
from handy_alegra.runtime import Runtime
from handy_alegra.simulators.seed import World
from tests.conftest import ALEGRA_SIM, HANDY_SIM, make_runtime

runner = CliRunner()
LOOP_ALEGRA = "http://127.0.0.1:18080/api/v1"
LOOP_HANDY = "http://localhost:18081/api/v2"


class Outside:
    """A host on the network: records every request that reaches it."""

    def __init__(self) -> None:
        self.seen: list[Request] = []

    def handle(self, request: Request) -> Response:
        self.seen.append(request)
        return Response(503)


@pytest.fixture
def outside() -> Outside:
    return Outside()


@pytest.fixture
def rt(
    world: World, sqlite_url: str, tmp_path: Path, clock: ManualClock, outside: Outside
) -> Iterator[Runtime]:
    runtime = make_runtime(world, sqlite_url, tmp_path, clock)
    runtime.transports = {
        **runtime.transports,
        "http://127.0.0.1:18080": MockTransport(world.alegra.handle),
        "http://localhost:18081": MockTransport(world.handy.handle),
        "http://example.com": MockTransport(outside.handle),
        "http://10.0.0.5": MockTransport(outside.handle),
    }
    yield runtime
    runtime.close()


@pytest.fixture(autouse=True)
def _english(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests read the command line's refusals in English."""
    monkeypatch.setenv("HANDY_ALEGRA_LANG", "en")


def cli(rt: Runtime, *args: str) -> Any:
    return runner.invoke(app, list(args), obj=rt, catch_exceptions=False)


def add(rt: Runtime, world: World, name: str = "acme", **options: str) -> Any:
    c = world.credentials
    settings = {
        "--country": "MX",
        "--alegra-email": c.alegra_email,
        "--alegra-token": c.alegra_token,
        "--handy-token": c.handy_token,
        "--price-list": "Mayoreo",
        "--alegra-url": ALEGRA_SIM,
        "--handy-url": HANDY_SIM,
        **{f"--{k.replace('_', '-')}": v for k, v in options.items()},
    }
    args = [item for pair in settings.items() for item in pair]
    return cli(rt, "accounts", "add", name, *args, "--no-initial-sync")


def one_line_refusal(result: Any, *expected: str) -> str:
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for text in expected:
        assert text in lines[0], lines[0]
    return str(lines[0])


def stored_names(rt: Runtime) -> list[str]:
    return [a["name"] for a in json.loads(cli(rt, "accounts", "list", "--json").stdout)]


@pytest.mark.parametrize(
    ("option", "url"),
    [
        ("alegra_url", "http://example.com/api/v1"),
        ("handy_url", "http://10.0.0.5/api/v2"),
        ("alegra_url", "https://user:pw@api.alegra.com/api/v1"),
        ("alegra_url", "ftp://api.alegra.com/api/v1"),
    ],
)
def test_an_api_url_that_is_not_https_fails_with_one_line_and_stores_and_sends_nothing(
    rt: Runtime, world: World, outside: Outside, option: str, url: str
) -> None:
    line = one_line_refusal(add(rt, world, **{option: url}), "nothing was stored")
    assert world.credentials.alegra_token not in line
    assert stored_names(rt) == []
    assert outside.seen == []


def test_the_plain_http_message_says_why_and_what_to_do(rt: Runtime, world: World) -> None:
    line = one_line_refusal(
        add(rt, world, alegra_url="http://example.com/api/v1"), "https://", "in clear"
    )
    assert "the Alegra API URL" in line


def test_loopback_api_urls_work_over_plain_http(rt: Runtime, world: World) -> None:
    result = add(rt, world, alegra_url=LOOP_ALEGRA, handy_url=LOOP_HANDY)
    assert result.exit_code == 0, result.output
    assert stored_names(rt) == ["acme"]


def test_a_lab_may_allow_plain_http_explicitly(rt: Runtime, world: World, outside: Outside) -> None:
    rt.settings = rt.settings.model_copy(update={"allow_insecure_http": True})
    result = add(rt, world, alegra_url="http://example.com/api/v1")
    assert result.exit_code == 2  # the outside host answers 503: it was reached
    assert "could not reach Alegra" in result.stderr
    assert len(outside.seen) >= 1


def test_accounts_edit_refuses_plain_http_and_changes_nothing(
    rt: Runtime, world: World, outside: Outside
) -> None:
    assert add(rt, world).exit_code == 0
    one_line_refusal(
        cli(rt, "accounts", "edit", "acme", "--alegra-url", "http://example.com/api/v1"),
        "nothing was changed",
    )
    shown = json.loads(cli(rt, "accounts", "show", "acme", "--json").stdout)
    assert shown["alegra_url"] == ALEGRA_SIM
    assert outside.seen == []


@pytest.mark.parametrize(
    "name", ["", "   ", "../../etc", "a/b", "a b", "acme\\x", "_acme", "x" * 65, "Panadería"]
)
def test_account_names_follow_one_rule(rt: Runtime, world: World, name: str) -> None:
    one_line_refusal(add(rt, world, name=name), "not a valid account name")
    assert stored_names(rt) == []


def test_a_name_is_trimmed_and_a_sensible_one_is_taken(rt: Runtime, world: World) -> None:
    assert add(rt, world, name="  Acme_Norte-2.mx ").exit_code == 0
    assert stored_names(rt) == ["Acme_Norte-2.mx"]


@pytest.mark.parametrize("country", ["ZZ", "US", "mexico", ""])
def test_only_mexico_and_colombia_are_countries(rt: Runtime, world: World, country: str) -> None:
    one_line_refusal(add(rt, world, country=country), "not a supported country", "MX or CO")
    assert stored_names(rt) == []
    assert add(rt, world, country="mx").exit_code == 0  # any case


def test_accounts_edit_refuses_an_unknown_country(rt: Runtime, world: World) -> None:
    assert add(rt, world).exit_code == 0
    one_line_refusal(cli(rt, "accounts", "edit", "acme", "--country", "ZZ"), "MX or CO")


@pytest.mark.parametrize(
    ("url", "accepted"),
    [
        ("http://sync.example.mx", False),
        ("http://192.168.1.10:8080", False),
        ("https://sync.example.mx/", True),
        ("http://127.0.0.1:8080", True),
        ("http://[::1]:8080", True),
    ],
)
def test_webhooks_enable_wants_an_https_public_url(
    rt: Runtime, world: World, url: str, accepted: bool
) -> None:
    assert add(rt, world).exit_code == 0
    result = cli(rt, "webhooks", "enable", "--account", "acme", "--public-url", url)
    if accepted:
        assert result.exit_code == 0, result.output
        assert json.loads(cli(rt, "accounts", "show", "acme", "--json").stdout)[
            "webhook_public_url"
        ] == url.rstrip("/")
    else:
        one_line_refusal(result, "the public URL", "https://")
        shown = json.loads(cli(rt, "accounts", "show", "acme", "--json").stdout)
        assert shown["webhook_public_url"] is None
