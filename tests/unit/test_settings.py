"""One settings object: every variable the service reads is a typed field of ``Settings``,
documented in docs/configuration.md (generated; stale → this test fails), and a malformed
value is one line naming the variable."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from handy_alegra import messages
from handy_alegra.config import settings as settings_module
from handy_alegra.config.settings import Settings, SettingsError, env_name, load_settings, markdown

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "handy_alegra"
VARIABLE = re.compile(r"HANDY_ALEGRA_[A-Z_]+[A-Z]")


def test_the_configuration_page_is_generated_from_the_settings() -> None:
    page = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert page == markdown(), (
        "docs/configuration.md is stale: "
        "python -m handy_alegra.config.settings --markdown > docs/configuration.md"
    )


def test_every_variable_named_anywhere_is_a_setting_or_a_test_only_one() -> None:
    known = {env_name(f) for f in Settings.model_fields} | set(settings_module.TEST_ONLY)
    named: dict[str, set[str]] = {}
    for folder in ("src", "tests", "bench", "docs"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix in (".py", ".md") and path.is_file():
                for name in VARIABLE.findall(path.read_text(encoding="utf-8")):
                    named.setdefault(name, set()).add(str(path.relative_to(ROOT)))
    unknown = {name: sorted(places) for name, places in named.items() if name not in known}
    assert unknown == {}
    assert all(f.description for f in Settings.model_fields.values())


def test_only_the_settings_module_reads_the_environment() -> None:
    readers = sorted(
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if re.search(r"os\.environ|os\.getenv|envvar=", path.read_text(encoding="utf-8"))
    )
    assert readers == ["config/settings.py"]


@pytest.mark.parametrize(
    ("name", "value", "spanish", "english"),
    [
        ("CONCURRENCY", "lots", "HANDY_ALEGRA_CONCURRENCY debe ser un número, no 'lots'",
         "HANDY_ALEGRA_CONCURRENCY must be a number, not 'lots'"),
        ("CONCURRENCY", "0", "HANDY_ALEGRA_CONCURRENCY debe ser un número de al menos 1, no '0'",
         "HANDY_ALEGRA_CONCURRENCY must be a number of at least 1, not '0'"),
        ("HTTP_TIMEOUT", "-1", "HANDY_ALEGRA_HTTP_TIMEOUT debe ser un número de al menos 0.001",
         "HANDY_ALEGRA_HTTP_TIMEOUT must be a number of at least 0.001"),
        ("RATE_WINDOW_SCALE", "inf", "HANDY_ALEGRA_RATE_WINDOW_SCALE debe ser un número de al",
         "HANDY_ALEGRA_RATE_WINDOW_SCALE must be a number of at"),
        ("LANG", "fr", "HANDY_ALEGRA_LANG debe ser es o en, no 'fr'",
         "HANDY_ALEGRA_LANG must be es or en, not 'fr'"),
        ("ALLOW_INSECURE_HTTP", "maybe", "HANDY_ALEGRA_ALLOW_INSECURE_HTTP debe ser true o false",
         "HANDY_ALEGRA_ALLOW_INSECURE_HTTP must be true or false"),
        ("CLOCK", "fast", "HANDY_ALEGRA_CLOCK debe tener la forma scaled:<epoch>:<iso>:<scale>",
         "HANDY_ALEGRA_CLOCK must be scaled:<epoch>:<iso>:<scale>"),
        ("LOG_LEVEL", "loud", "HANDY_ALEGRA_LOG_LEVEL debe ser uno de DEBUG, INFO, WARNING",
         "HANDY_ALEGRA_LOG_LEVEL must be one of DEBUG, INFO, WARNING"),
        ("SESSION_IDLE_MINUTES", "0", "HANDY_ALEGRA_SESSION_IDLE_MINUTES debe ser un número entero",
         "HANDY_ALEGRA_SESSION_IDLE_MINUTES must be a whole number"),
        ("SMTP_PORT", "smtp", "HANDY_ALEGRA_SMTP_PORT debe ser un número entero de 1 a 65535",
         "HANDY_ALEGRA_SMTP_PORT must be a whole number from 1 to 65535"),
    ],
)  # fmt: skip
def test_a_malformed_value_is_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, spanish: str, english: str
) -> None:
    monkeypatch.delenv("HANDY_ALEGRA_LANG", raising=False)
    monkeypatch.setenv(f"HANDY_ALEGRA_{name}", value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    for lang, line in (("es", spanish), ("en", english)):
        said = messages.settings_problems(caught.value, lang)
        assert said.startswith(line)
        assert "\n" not in said
    assert messages.settings_problems(caught.value).startswith(spanish)  # what the setting asks


def test_the_line_is_in_the_language_asked_for_when_that_can_be_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HANDY_ALEGRA_CONCURRENCY", "lots")
    monkeypatch.setenv("HANDY_ALEGRA_LANG", "en")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert caught.value.lang == "en"
    assert messages.settings_problems(caught.value) == (
        "HANDY_ALEGRA_CONCURRENCY must be a number, not 'lots'"
    )
    assert messages.text("cli.error") == "error"
    monkeypatch.setenv("HANDY_ALEGRA_LANG", "fr")  # the language itself malformed: Spanish
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert caught.value.lang == "es"
    assert messages.settings_problems(caught.value) == (
        "HANDY_ALEGRA_LANG debe ser es o en, no 'fr'; "
        "HANDY_ALEGRA_CONCURRENCY debe ser un número, no 'lots'"
    )


def test_values_are_read_as_the_command_line_always_read_them(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HANDY_ALEGRA_HOME", str(tmp_path))
    monkeypatch.delenv("HANDY_ALEGRA_DATABASE_URL", raising=False)
    monkeypatch.setenv("HANDY_ALEGRA_CONCURRENCY", " 8.7 ")  # cut to a whole number
    monkeypatch.setenv("HANDY_ALEGRA_LANG", "en_US.UTF-8")  # a locale's spelling
    monkeypatch.setenv("HANDY_ALEGRA_SECRET_KEY", "")  # empty: unset
    monkeypatch.setenv("HANDY_ALEGRA_ALLOW_INSECURE_HTTP", "yes")
    found = load_settings()
    assert (found.concurrency, found.lang, found.secret_key) == (8, "en", None)
    assert found.allow_insecure_http is True
    assert found.store_url == f"sqlite:///{tmp_path / 'handy-alegra.sqlite3'}"
    assert found.create_home is True
    monkeypatch.setenv("HANDY_ALEGRA_CONCURRENCY", "2")  # read again when the environment moves
    assert load_settings().concurrency == 2


def test_secrets_are_never_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HANDY_ALEGRA_SMTP_PASSWORD", "hunter2-smtp")
    monkeypatch.setenv("HANDY_ALEGRA_OPERATOR_PASSWORD", "hunter2-operator")
    shown = repr(load_settings()) + str(load_settings())
    assert "hunter2" not in shown
