"""Sessions that end and logins that slow attackers: logout, a new password, disabling or
removing an operator and idleness end sessions in the store, whatever the cookie says; failed
logins lock the username (and the address) for a growing while, answered 429 with
Retry-After; every answer carries the security headers."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY
from typer.testing import CliRunner

from handy_alegra.accounts import operators
from handy_alegra.accounts import registry as accounts
from handy_alegra.accounts.vault import Vault
from handy_alegra.cli import app as cli_app
from handy_alegra.domain.clock import ManualClock
from handy_alegra.runtime import Runtime
from handy_alegra.simulators.seed import World
from handy_alegra.web.app import SESSION_COOKIE, create_app
from handy_alegra.web.headers import CSP
from tests.integration.test_store import add_account
from tests.web.conftest import PASSWORD, Browser, activate

runner = CliRunner()
KEY = "test-session-key-" * 2


def cli(rt: Runtime, *args: str) -> None:
    result = runner.invoke(cli_app, list(args), obj=rt, catch_exceptions=False)
    assert result.exit_code == 0, result.output


def is_login_redirect(response: object) -> bool:
    status = getattr(response, "status_code", None)
    headers = getattr(response, "headers", {})
    return status == 303 and headers["location"].startswith("/login")


def paused(rt: Runtime) -> bool:
    with rt.store.session() as session:
        return accounts.load(session, rt.vault, "acme").paused


def test_logout_ends_the_session_an_old_cookie_opens_no_page_and_posts_no_form(
    signed_in: Browser, rt: Runtime, world: World
) -> None:
    assert activate(signed_in, world).status_code == 303
    old_cookie = signed_in.client.cookies[SESSION_COOKIE]
    old_csrf = signed_in.token()
    with TestClient(signed_in.client.app, cookies={SESSION_COOKIE: old_cookie}) as copy:
        assert copy.get("/accounts/acme", follow_redirects=False).status_code == 200
    assert signed_in.post("/logout").status_code == 303
    # an attacker who copied the cookie before the logout replays it, CSRF token included
    with TestClient(signed_in.client.app, cookies={SESSION_COOKIE: old_cookie}) as stolen:
        page = stolen.get("/accounts/acme", follow_redirects=False)
        assert is_login_redirect(page)
    with TestClient(signed_in.client.app, cookies={SESSION_COOKIE: old_cookie}) as stolen:
        form = stolen.post(
            "/accounts/acme/pause", data={"csrf_token": old_csrf}, follow_redirects=False
        )
        assert is_login_redirect(form)
    assert not paused(rt)
    # the control: the same form with a live session does pause the account
    assert signed_in.login().status_code == 303
    assert signed_in.post("/accounts/acme/pause").status_code == 303
    assert paused(rt)


def two_browsers(rt: Runtime) -> tuple[Browser, Browser]:
    first = Browser(TestClient(create_app(rt, secret_key=KEY)))
    second = Browser(TestClient(create_app(rt, secret_key=KEY)))
    for browser in (first, second):
        assert browser.login().status_code == 303
        assert browser.get("/accounts").status_code == 200
    return first, second


@pytest.mark.parametrize(
    "command",
    [
        ("operators", "passwd", "ana"),
        ("operators", "disable", "ana"),
        ("operators", "remove", "ana", "--yes"),
    ],
)
def test_a_new_password_disabling_or_removing_ends_every_session_of_the_operator(
    rt: Runtime, command: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HANDY_ALEGRA_OPERATOR_PASSWORD", "otra-clave-larga")
    with rt.store.session() as session:
        operators.add(session, "beto", PASSWORD, now=rt.clock.now())
    first, second = two_browsers(rt)
    other = Browser(TestClient(create_app(rt, secret_key=KEY)))
    assert other.login("beto").status_code == 303
    cli(rt, *command)
    for browser in (first, second):
        assert is_login_redirect(browser.get("/accounts", follow_redirects=False))
    assert other.get("/accounts").status_code == 200  # another operator is not touched


def test_a_disabled_operator_cannot_log_in_until_enabled(web: Browser, rt: Runtime) -> None:
    cli(rt, "operators", "disable", "ana")
    refused = web.login()
    assert refused.status_code == 401
    assert "incorrectos" in refused.text  # the same words as a wrong password
    cli(rt, "operators", "enable", "ana")
    assert web.login().status_code == 303


def test_a_session_unused_for_the_idle_limit_ends_and_use_keeps_it_alive(
    signed_in: Browser, clock: ManualClock
) -> None:
    for _ in range(4):  # 4 × 20 minutes of activity: alive
        clock.advance(20 * 60)
        assert signed_in.get("/accounts").status_code == 200
    clock.advance(31 * 60)
    assert is_login_redirect(signed_in.get("/accounts", follow_redirects=False))


def test_no_session_outlives_its_lifetime_however_busy(
    signed_in: Browser, clock: ManualClock
) -> None:
    for _ in range(37):  # 37 × 20 minutes: beyond 12 hours of steady use
        clock.advance(20 * 60)
        signed_in.get("/accounts")
    assert is_login_redirect(signed_in.get("/accounts", follow_redirects=False))


def test_the_idle_limit_is_configurable(rt: Runtime, clock: ManualClock) -> None:
    web = Browser(TestClient(create_app(rt, secret_key=KEY, session_idle=timedelta(minutes=5))))
    assert web.login().status_code == 303
    clock.advance(4 * 60)
    assert web.get("/accounts").status_code == 200
    clock.advance(6 * 60)
    assert is_login_redirect(web.get("/accounts", follow_redirects=False))


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_the_sixth_wrong_password_in_a_minute_is_429_and_the_right_one_works_after_the_lock(
    web: Browser, clock: ManualClock, capsys: pytest.CaptureFixture[str]
) -> None:
    failures = sample("handy_alegra_login_failures_total", reason="wrong_password")
    throttled = sample("handy_alegra_login_throttled_total", scope="username")
    for _ in range(5):
        clock.advance(5)
        assert web.login(password="no-es-la-clave").status_code == 401
    clock.advance(5)
    sixth = web.login(password="no-es-la-clave")
    assert sixth.status_code == 429
    wait = int(sixth.headers["Retry-After"])
    assert 1 <= wait <= 60
    assert "Demasiados intentos" in sixth.text
    right_too_soon = web.login()
    assert right_too_soon.status_code == 429  # not even checked during the lock
    clock.advance(wait)
    assert web.login().status_code == 303
    assert sample("handy_alegra_login_failures_total", reason="wrong_password") == failures + 5
    assert sample("handy_alegra_login_throttled_total", scope="username") == throttled + 2
    logged = capsys.readouterr().err
    assert logged.count("login_failed") == 5
    assert "no-es-la-clave" not in logged


def test_an_unknown_username_is_logged_without_what_was_typed(
    web: Browser, capsys: pytest.CaptureFixture[str]
) -> None:
    assert web.login("mi-clave-secreta", "x" * 10).status_code == 401
    logged = capsys.readouterr().err
    assert "login_failed" in logged and "unknown_operator" in logged
    assert "mi-clave-secreta" not in logged


def test_an_attack_elsewhere_does_not_lock_the_operator_out_of_a_known_browser(
    rt: Runtime, clock: ManualClock
) -> None:
    own = Browser(TestClient(create_app(rt, secret_key=KEY)))
    assert own.login().status_code == 303  # this browser now carries a device cookie
    assert own.post("/logout").status_code == 303
    attacker = Browser(TestClient(create_app(rt, secret_key=KEY)))
    for _ in range(6):
        attacker.login(password="adivinando-1")
    assert attacker.login().status_code == 429  # the username is locked for strangers
    assert own.login().status_code == 303  # but not for the browser the operator uses


def test_many_usernames_from_one_address_lock_the_address(web: Browser, clock: ManualClock) -> None:
    for n in range(20):
        assert web.login(f"usuario-{n}", "adivinando-1").status_code == 401
    held = web.login()  # a real operator's right password, from the same address
    assert held.status_code == 429
    clock.advance(int(held.headers["Retry-After"]))
    assert web.login().status_code == 303


SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}


def test_every_answer_carries_the_security_headers_and_pages_are_not_cached(
    signed_in: Browser, world: World
) -> None:
    assert activate(signed_in, world).status_code == 303
    for path in ("/login", "/accounts", "/accounts/acme", "/accounts/new", "/healthz", "/nowhere"):
        answer = signed_in.get(path)
        for name, value in SECURITY_HEADERS.items():
            assert answer.headers.get(name) == value, (path, name)
        assert answer.headers["cache-control"] == "no-store", path
    style = signed_in.get("/static/dashboard.css")
    assert style.headers["x-content-type-options"] == "nosniff"
    assert style.headers.get("cache-control") != "no-store"
    assert "strict-transport-security" not in style.headers


def test_the_pages_need_no_inline_script_or_style(signed_in: Browser, world: World) -> None:
    """The CSP allows neither: a template that adds one would break in browsers."""
    assert activate(signed_in, world).status_code == 303
    for path in ("/login", "/accounts", "/accounts/acme", "/accounts/new", "/accounts/acme/edit"):
        html = signed_in.get(path).text
        assert not re.search(r"<script|<style|\sstyle=|\son[a-z]+=", html), path


def test_behind_tls_browsers_are_told_to_keep_to_https(rt: Runtime) -> None:
    with TestClient(create_app(rt, secret_key=KEY, https_only=True)) as client:
        assert client.get("/login").headers["strict-transport-security"] == "max-age=31536000"


def test_healthz_reports_the_store_and_the_key(web: Browser, rt: Runtime) -> None:
    assert web.get("/healthz").json() == {"status": "ok", "store": "ok", "key": "ok"}
    add_account(rt.store, rt.vault)
    right = rt._vault
    rt._vault = Vault([Fernet.generate_key()])  # the deployment's key changed under it
    wrong_key = web.get("/healthz")
    assert wrong_key.status_code == 503
    assert wrong_key.json() == {
        "status": "unavailable",
        "store": "ok",
        "key": "cannot open the stored secrets",
    }
    rt._vault = right
    rt.store.engine.dispose()
    rt.settings.home.joinpath("store.sqlite3").write_bytes(b"gone")  # the store breaks
    broken = web.get("/healthz")
    assert broken.status_code == 503
    assert broken.json()["store"].startswith("unavailable")
