"""One message catalog: every entry in both languages with the same placeholders, one
lookup, and the command line's output in one language at a time — ``demo`` runs through
activation, the three syncs, ``explain`` of a product and of an order."""

from __future__ import annotations

import re
import string

import pytest
from typer.testing import CliRunner

from handy_alegra import messages
from handy_alegra.cli import app
from handy_alegra.messages import MESSAGES, Refusal, Said

NAMESPACES = {
    "reason", "outcome_meaning", "cli", "web", "explain", "order_status", "doctor", "attempt",
    "error", "warning", "kind", "outcome", "count", "order", "health", "state", "col", "lang",
    "help", "alert",
}  # fmt: skip
#: Words that only the English output uses, and only the Spanish (headings, table rows, the
#: explanations' furniture), as whole words.
ENGLISH = [
    "created", "skipped", "failed", "outcome", "Activated", "price list", "Catalog", "Sales",
    "Customers", "orders are remissions", "The demo's store", "Sellers take orders",
    "What went wrong", "Reason", "Status", "Attempts", "not synced", "Last run", "In Handy",
    "left alone", "written back", "pending", "read", "sent",
]  # fmt: skip
SPANISH = [
    "creados", "omitidos", "fallidos", "desenlace", "lista de precios", "Catálogo", "Ventas",
    "Clientes", "pedidos son remisiones", "almacén", "vendedores", "Qué salió mal", "Motivo",
    "Estado", "Intentos", "no se sincroniza", "Última sincronización", "En Handy", "pendientes",
    "leídos", "enviados", "sin RFC",
]  # fmt: skip


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_entry_is_in_both_languages_with_the_same_placeholders() -> None:
    assert len(MESSAGES) > 300
    for key, (es, en) in MESSAGES.items():
        assert key.split(".")[0] in NAMESPACES, key
        assert es.strip() and en.strip(), key
        assert placeholders(es) == placeholders(en), key


def test_one_lookup_fills_in_the_chosen_language() -> None:
    assert messages.text("cli.status.orders", "es", count=3) == "  Pedidos no enviados: 3"
    assert messages.text("cli.status.orders", "en", count=3) == "  Orders not sent: 3"
    refusal = Refusal(
        "error.url", what=Said("error.url.public"), problem=Said("error.url.query", url="x")
    )
    assert (
        refusal.text("es") == "la URL pública: 'x' tiene consulta o fragmento; da solo la URL base"
    )
    assert (
        refusal.text("en")
        == "the public URL: 'x' has a query or a fragment; give the base URL only"
    )
    assert messages.text("no.such.key_here", "en") == "key here"


def test_the_language_is_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HANDY_ALEGRA_LANG", raising=False)
    assert messages.text("outcome.ok") == "correcta"  # Spanish by default
    monkeypatch.setenv("HANDY_ALEGRA_LANG", "en")
    assert messages.text("outcome.ok") == "ok"
    assert messages.text("outcome.ok", "es") == "correcta"  # a page's language wins


def found(words: list[str], output: str) -> list[str]:
    return [w for w in words if re.search(rf"(?<![\w']){re.escape(w)}(?![\w'])", output)]


@pytest.mark.parametrize(
    ("lang", "own", "other"), [("es", SPANISH, ENGLISH), ("en", ENGLISH, SPANISH)]
)
def test_demo_speaks_one_language(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object, lang: str, own: list[str], other: list[str]
) -> None:
    monkeypatch.setenv("HANDY_ALEGRA_LANG", lang)
    result = CliRunner().invoke(
        app, ["demo", "--items", "40", "--orders", "5", "--home", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert found(other, result.output) == []
    assert found(own, result.output) == own  # the words are there: the check can fail
