"""One way to edit an account: ``accounts edit`` and the dashboard's settings page hand the
same values to ``activation.edit``, so they accept and refuse the same ones and store the
same result."""

from __future__ import annotations

from typing import Any

import pytest
from typer.testing import CliRunner

from handy_alegra.accounts import registry as accounts
from handy_alegra.cli import app
from handy_alegra.runtime import Runtime
from handy_alegra.simulators.seed import World
from tests.web.conftest import Browser, activate

#: (setting, typed value, stored value or None when refused)
CASES = [
    ("sales_every", "15", 15),
    ("sales_every", "0", None),  # the command line used to store 1
    ("sales_every", "-3", None),
    ("sales_every", "1.5", None),
    ("sales_every", "diez", None),
    ("daily_at", "4:05", "04:05"),
    ("daily_at", "25:00", None),
    ("timezone", "America/Bogota", "America/Bogota"),
    ("timezone", "Mars/Base", None),
    ("default_zone", " Ruta 9 ", "Ruta 9"),
    ("default_family", "Abarrotes", "Abarrotes"),
    ("colombia_default_nit", "900123456", "900123456"),
    ("alert_failed_runs", "5", 5),
    ("alert_failed_runs", "0", None),  # the command line used to store 1
    ("alert_order_minutes", "45", 45),
    ("alert_order_minutes", "una hora", None),
    ("alert_email", "ops@example.mx", "ops@example.mx"),
    ("price_list", "Ruta", ("3", "Ruta")),  # by name, checked against Alegra
    ("price_list", "No Existe", None),
    ("warehouse", "Principal", "1"),
    ("warehouse", "Bodega Fantasma", None),
]
OPTION = {"alert_failed_runs": "--alert-after-failed-runs"}
STORED = {"price_list": ("price_list_id", "price_list_name"), "warehouse": ("warehouse_id",)}


def stored(rt: Runtime, setting: str) -> Any:
    with rt.store.session() as session:
        account = accounts.load(session, rt.vault, "acme")
    names = STORED.get(setting, (setting,))
    values = tuple(getattr(account, n) for n in names)
    return values if len(values) > 1 else values[0]


def by_command_line(rt: Runtime, setting: str, value: str) -> tuple[bool, Any]:
    option = OPTION.get(setting, "--" + setting.replace("_", "-"))
    result = CliRunner().invoke(app, ["accounts", "edit", "acme", option, value], obj=rt)
    assert result.exit_code in (0, 2), result.output
    assert result.exit_code == 0 or len(result.stderr.strip().splitlines()) == 1
    return result.exit_code == 0, stored(rt, setting)


def by_dashboard(browser: Browser, rt: Runtime, setting: str, value: str) -> tuple[bool, Any]:
    answer = browser.post("/accounts/acme/edit", {setting: value})
    assert answer.status_code in (303, 400), answer.text
    return answer.status_code == 303, stored(rt, setting)


@pytest.mark.parametrize(("setting", "value", "expected"), CASES)
def test_the_command_line_and_the_dashboard_accept_and_refuse_the_same_values(
    signed_in: Browser, rt: Runtime, world: World, setting: str, value: str, expected: Any
) -> None:
    assert activate(signed_in, world).status_code == 303
    before = stored(rt, setting)
    cli_accepted, cli_stored = by_command_line(rt, setting, value)
    assert cli_accepted == (expected is not None)
    assert cli_stored == (before if expected is None else expected)
    # back to the account as activated, then the same value through the dashboard
    with rt.store.session() as session:
        accounts.update(
            session, rt.vault, "acme", now=rt.clock.now(), **_as_columns(setting, before)
        )
    web_accepted, web_stored = by_dashboard(signed_in, rt, setting, value)
    assert (web_accepted, web_stored) == (cli_accepted, cli_stored)


def _as_columns(setting: str, value: Any) -> dict[str, Any]:
    names = STORED.get(setting, (setting,))
    return dict(zip(names, value if len(names) > 1 else (value,), strict=True))
