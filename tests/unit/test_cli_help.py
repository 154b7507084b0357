"""The command line's ``--help`` speaks one language at a time: every command and parameter has
its text in the catalog (both languages, the same placeholders), no decorator carries one,
and ``--help`` and the usage errors are Spanish by default and English with
``HANDY_ALEGRA_LANG=en``."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner

from handy_alegra.cli import app
from handy_alegra.cli.help import command_key, param_key, usage_text, walk
from handy_alegra.messages import MESSAGES

CLI = Path(__file__).resolve().parents[2] / "src" / "handy_alegra" / "cli"

#: Sentences of the English help; none may show in the Spanish one (and the reverse).
ENGLISH = [
    "Keeps Handy and Alegra in step", "Show this message and exit.", "Show the version",
    "Run a sync of one account now.", "Activate companies", "Options", "Commands", "Usage:",
    "Print the plan; write nothing.", "The account's name.", "Handy orders → Alegra remissions",
    "Example:", "[required]", "Arguments", "A short name for the company", "[default:",
]  # fmt: skip
SPANISH = [
    "Mantiene Handy y Alegra al día", "Muestra esta ayuda y termina.", "Muestra la versión",
    "Corre ahora una sincronización", "Activa empresas", "Opciones", "Comandos", "Uso:",
    "Imprime el plan; no escribe nada.", "El nombre de la cuenta.", "Pedidos de Handy →",
    "Ejemplo:", "[obligatorio]", "Argumentos", "Un nombre corto para la empresa",
    "[por defecto:",
]  # fmt: skip


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def tree() -> list[tuple[tuple[str, ...], typer.main.click.Command]]:  # type: ignore[name-defined]
    return list(walk(typer.main.get_command(app)))


def test_every_command_and_parameter_has_its_help_in_both_languages() -> None:
    used: set[str] = set()
    commands = tree()
    assert len(commands) > 40
    for path, command in commands:
        key = command_key(path)
        assert key in MESSAGES, f"no help for {' '.join(path) or 'handy-alegra'}: {key}"
        used.add(key)
        for param in command.params:
            if getattr(param, "hidden", False):
                continue
            found = param_key(path, param.name or "")
            assert found is not None, f"no help for {param.name} of {' '.join(path)}"
            assert found not in {command_key(p) for p, _ in commands}, found
            used.add(found)
    for key in used:
        es, en = MESSAGES[key]
        assert es.strip() and en.strip() and es != en, key
        assert placeholders(es) == placeholders(en), key
    written = {
        k for k in MESSAGES if k.startswith("help.") and k.split(".")[1] not in ("typer", "usage")
    }
    assert written - used == {"help.param.help"}, "help entries no command uses"


def test_no_decorator_carries_a_help_text() -> None:
    for path in CLI.glob("*.py"):
        if path.name == "help.py":  # the one that fills them in
            continue
        source = path.read_text(encoding="utf-8")
        assert not re.search(r"\bhelp\s*=", source), path.name
        assert "NAME_RULE" not in source


def run(lang: str | None, *args: str) -> str:
    env = {"HANDY_ALEGRA_LANG": lang, "COLUMNS": "200"}
    result = CliRunner().invoke(app, list(args), env=env)
    assert result.exit_code == 0, result.output
    return result.output


def found(sentences: list[str], output: str) -> list[str]:
    return [s for s in sentences if s in output]


@pytest.mark.parametrize(
    ("lang", "own", "other"), [(None, SPANISH, ENGLISH), ("en", ENGLISH, SPANISH)]
)
def test_help_speaks_one_language(lang: str | None, own: list[str], other: list[str]) -> None:
    output = "\n".join(
        run(lang, *args)
        for args in (["--help"], ["sync", "sales", "--help"], ["accounts", "add", "--help"])
    )
    assert found(own, output) == own
    assert found(other, output) == []


@pytest.mark.parametrize(
    ("lang", "args", "line"),
    [
        (None, ["status", "--bogus"], "No existe la opción --bogus"),
        ("en", ["status", "--bogus"], "No such option: --bogus"),
        (None, ["sync", "sale"], "No existe el comando 'sale'. ¿Quisiste decir 'sales'?"),
        ("en", ["sync", "sale"], "No such command 'sale'. Did you mean 'sales'?"),
        (None, ["sync", "sales"], "Falta la opción '--account' / '-a'."),
        (None, ["explain", "order"], "Falta el argumento 'handy_id'."),
        (None, ["run", "--tick", "x"], "Valor no válido para '--tick': se esperaba un número"),
        ("en", ["run", "--tick", "x"], "Invalid value for '--tick': Input should be a valid"),
        (None, ["--log-level", "loud", "status"], "usa uno de DEBUG, INFO, WARNING, ERROR"),
        ("en", ["--log-level", "loud", "status"], "use one of DEBUG, INFO, WARNING, ERROR"),
    ],
)
def test_a_usage_error_is_said_in_the_language(
    lang: str | None, args: list[str], line: str
) -> None:
    result = CliRunner().invoke(app, args, env={"HANDY_ALEGRA_LANG": lang, "COLUMNS": "200"})
    assert result.exit_code == 2
    assert line in result.output
    assert ("Error" in result.output) and ("Try '" in result.output) == (lang == "en")
    assert ("para ver la ayuda" in result.output) == (lang is None)


def test_a_sentence_the_catalog_does_not_know_stays_as_click_said_it() -> None:
    assert usage_text("Something new happened.", "es") == "Something new happened."
    assert usage_text("Missing argument 'X'.", "es") == "Falta el argumento 'X'."


def test_help_with_a_malformed_language_is_spanish() -> None:
    result = CliRunner().invoke(app, ["--help"], env={"HANDY_ALEGRA_LANG": "fr"})
    assert result.exit_code == 0
    assert "Muestra esta ayuda y termina." in result.output
