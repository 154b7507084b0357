"""The dashboard applies the same rules as the command line: https API URLs (plain http to
loopback only), one account-name rule, MX or CO; a refusal shows why and stores nothing."""

from __future__ import annotations

from html import unescape

import pytest
from sqlalchemy import func, select

from handy_alegra.runtime import Runtime
from handy_alegra.simulators.seed import World
from handy_alegra.store.tables import Account
from tests.web.conftest import Browser, credentials_form


def account_count(rt: Runtime) -> int:
    with rt.store.session() as session:
        return int(session.scalar(select(func.count()).select_from(Account)) or 0)


@pytest.mark.parametrize(
    "changes",
    [
        {"alegra_url": "http://example.com/api/v1"},
        {"handy_url": "http://192.168.0.7/api/v2"},
    ],
)
def test_plain_http_to_another_host_is_refused_before_any_call(
    signed_in: Browser, rt: Runtime, world: World, changes: dict[str, str]
) -> None:
    answer = signed_in.post("/accounts/new/check", credentials_form(world, **changes))
    assert answer.status_code == 400
    text = unescape(answer.text)
    assert "es http sin cifrar a otra máquina" in text and "https://" in text  # in Spanish
    assert 'name="sealed"' not in answer.text
    assert account_count(rt) == 0


@pytest.mark.parametrize("name", ["../../etc", "   ", "a b", "x" * 65])
def test_a_name_the_command_line_refuses_the_dashboard_refuses(
    signed_in: Browser, rt: Runtime, world: World, name: str
) -> None:
    answer = signed_in.post("/accounts/new/check", credentials_form(world, name=name))
    assert answer.status_code == 400
    assert "de 1 a 64 caracteres" in answer.text or "Faltan" in answer.text
    assert account_count(rt) == 0


def test_a_forged_country_is_refused(signed_in: Browser, rt: Runtime, world: World) -> None:
    answer = signed_in.post("/accounts/new/check", credentials_form(world, country="ZZ"))
    assert answer.status_code == 400
    assert "no es un país admitido" in unescape(answer.text)
    assert account_count(rt) == 0
