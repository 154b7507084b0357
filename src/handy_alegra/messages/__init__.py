"""The one message catalog: every text a person reads — per-record reasons, the command line,
the dashboard, ``explain`` and ``accounts doctor``, the refusals of activation and editing —
in Spanish (the default) and English.

One shape: ``key: (Spanish, English)``, the keys namespaced (``reason.*``, ``outcome_meaning.*``,
``cli.*``, ``web.*``, ``explain.*``, ``order_status.*``, ``doctor.*``, ``attempt.*``,
``error.*``, ``warning.*``, and the shared words ``kind.*``, ``outcome.*``, ``count.*``,
``order.*``, ``health.*``, ``state.*``, ``col.*``). One lookup: ``text(key, lang, **values)``.
The entries live in the modules beside this one, one per namespace group; a test holds every
key to both languages and to the same placeholders in each.

The language is ``lang`` when given (the dashboard: the operator's), else the ``lang``
setting (``HANDY_ALEGRA_LANG``: the command line, alerts). Log event names stay English: they
are for machines and the people who maintain them, not for the reader of the output.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from handy_alegra.config.settings import LANGS, SettingsError, load_settings
from handy_alegra.messages import cli, cli_help, errors, reasons, views, web, words

DEFAULT = "es"

MESSAGES: dict[str, tuple[str, str]] = {}
for _part in (reasons, words, views, cli, cli_help, errors, web):
    _clash = set(MESSAGES) & set(_part.TEXTS)
    assert not _clash, f"keys defined twice: {sorted(_clash)}"
    MESSAGES.update(_part.TEXTS)


class Rendered(Protocol):
    """A value that says itself in a language (a refusal inside a refusal, a doctor check)."""

    def text(self, lang: str | None = None) -> str: ...


def language(lang: str | None = None) -> str:
    """``lang`` when it is one of ``LANGS``, else the ``lang`` setting."""
    if lang in LANGS:
        return str(lang)
    try:
        return load_settings().lang
    except SettingsError as exc:  # the language asked for when it can be read, else the default
        return exc.lang


def normalize(lang: object) -> str:
    """A language a person chose (a session, a form): one of ``LANGS``, else the default."""
    return lang if isinstance(lang, str) and lang in LANGS else DEFAULT


def has(key: str) -> bool:
    return key in MESSAGES


def text(key: str, lang: str | None = None, /, **values: Any) -> str:
    """The entry ``key`` in ``lang``, its ``{placeholders}`` filled from ``values`` (values that
    say themselves — ``Rendered`` — are said in the same language). An unknown key reads as
    its last part; a template whose values are missing is shown as it is."""
    entry = MESSAGES.get(key)
    if entry is None:
        return key.rsplit(".", 1)[-1].replace("_", " ")
    chosen = language(lang)
    template = entry[LANGS.index(chosen)]
    filled = {k: v.text(chosen) if hasattr(v, "text") else v for k, v in values.items()}
    try:
        return template.format(**filled)
    except (KeyError, IndexError):
        return template


def word(namespace: str, value: object, lang: str | None = None) -> str:
    """A stored value (an outcome, a count's name, a status) in words, or as it is when the
    catalog has no word for it."""
    key = f"{namespace}.{value}"
    return text(key, lang) if key in MESSAGES else str(value).replace("_", " ")


def translator(lang: str, prefix: str = "") -> Callable[..., str]:
    """``t(key, **values)`` in ``lang``: ``prefix + key`` first, else ``key`` (the dashboard's
    templates: ``web.`` + their key, else a shared word)."""

    def t(key: str, /, **values: object) -> str:
        found = prefix + key if prefix + key in MESSAGES else key
        return text(found, lang, **values)

    return t


class Said:
    """A catalog entry with its values, said when it is shown — in the language of what shows
    it (a value inside another message, a refusal's detail)."""

    __slots__ = ("key", "values")

    def __init__(self, key: str, **values: Any) -> None:
        self.key, self.values = key, values

    def text(self, lang: str | None = None) -> str:
        return text(self.key, lang, **self.values)

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return f"Said({self.key!r})"


class SaidError(Exception):
    """A failure a person can fix, said from the catalog: a key and its values. ``str()`` is
    in the configured language; ``text(lang)`` in any (``StoreError``, ``VaultError``)."""

    def __init__(self, key: str, **values: Any) -> None:
        super().__init__(key)
        self.key = key
        self.values = values

    def text(self, lang: str | None = None) -> str:
        return text(self.key, lang, **self.values)

    def __str__(self) -> str:
        return self.text()


class Refusal(SaidError):
    """Something a person asked for is refused, and the message says what to fix."""


def settings_problems(error: SettingsError, lang: str | None = None) -> str:
    """A ``SettingsError`` as its one line: each malformed variable, joined by "; " — in
    ``lang``, else in the language the environment asks for (Spanish when it cannot say)."""
    chosen = lang if lang in LANGS else error.lang
    return "; ".join(text(key, chosen, **values) for key, values in error.problems)
