"""The command line's ``--help`` and usage errors in the catalog's language.

The texts live in the catalog (``messages/cli_help.py``); no decorator carries one. When the
command line starts (``Localized.main``: ``handy-alegra …`` and the test runner alike), the
click tree Typer built is filled from the catalog once, in the ``lang`` setting's language:
every command's help, every parameter's, the ``--help`` option's; Typer's panel titles and
markers (``typer.rich_utils``); the ``Usage:`` prefix. A usage error (no such option, a
missing argument, an invalid value) is said again from the catalog: the English side of each
``help.usage.*`` entry is the sentence Typer's Click says, matched whole; a sentence the
catalog does not know stays as Click said it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from typing import Any

from typer import rich_utils
from typer._click.core import Command, Context
from typer._click.exceptions import NoArgsIsHelpError, UsageError
from typer._click.formatting import HelpFormatter
from typer.core import TyperGroup

from handy_alegra import messages
from handy_alegra.clients.alegra import CO_REGIMES
from handy_alegra.config.settings import LANGS, LOG_LEVELS
from handy_alegra.messages import MESSAGES, Said

#: Values some help texts quote (one source each: the rule of a name, the regimes).
VALUES: dict[str, object] = {
    "rule": Said("error.account_name_rule"),
    "regimes": ", ".join(CO_REGIMES),
    "levels": ", ".join(LOG_LEVELS),
}

#: ``typer.rich_utils`` constants and the catalog entries they say.
TYPER_WORDS = {
    "ARGUMENTS_PANEL_TITLE": "help.typer.arguments",
    "OPTIONS_PANEL_TITLE": "help.typer.options",
    "COMMANDS_PANEL_TITLE": "help.typer.commands",
    "ERRORS_PANEL_TITLE": "help.typer.error",
    "ABORTED_TEXT": "help.typer.aborted",
    "DEFAULT_STRING": "help.typer.default",
    "ENVVAR_STRING": "help.typer.envvar",
    "REQUIRED_LONG_STRING": "help.typer.required",
    "DEPRECATED_STRING": "help.typer.deprecated",
    "RICH_HELP": "help.typer.try_help",
}


def command_key(path: tuple[str, ...]) -> str:
    return "help." + (".".join(path) or "root")


def param_key(path: tuple[str, ...], name: str) -> str | None:
    """The entry of parameter ``name`` of the command at ``path``: its own, else its group's,
    …, else the shared ``help.param.<name>``; None when there is none."""
    for end in range(len(path), 0, -1):
        key = f"help.{'.'.join(path[:end])}.{name}"
        if key in MESSAGES:
            return key
    shared = f"help.param.{name}"
    return shared if shared in MESSAGES else None


def walk(command: Command, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Command]]:
    """Every command of the tree with its path (the root's is empty)."""
    yield path, command
    for name, sub in getattr(command, "commands", {}).items():
        yield from walk(sub, (*path, name))


class _Formatter(HelpFormatter):
    """Click's formatter with the usage prefix in the command line's language."""

    usage = "Usage: "

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, self.usage if prefix is None else prefix)


def localize(root: Command, lang: str) -> None:
    """Fill the tree at ``root`` from the catalog in ``lang`` (once per tree and language)."""
    if getattr(root, "_help_lang", None) == lang:
        return
    say = _sayer(lang)
    for path, command in walk(root):
        command.help = say(command_key(path))
        command.short_help = None
        context_class = command.context_class
        if not issubclass(context_class.formatter_class, _Formatter):
            command.context_class = type(
                context_class.__name__, (context_class,), {"formatter_class": _Formatter}
            )
        for param in command.params:
            key = param_key(path, param.name or "")
            if key is not None and not getattr(param, "hidden", False):
                param.help = say(key)  # type: ignore[attr-defined]
        help_option = command.get_help_option(command.context_class(command))
        if help_option is not None:
            help_option.help = say("help.param.help")
    for constant, key in TYPER_WORDS.items():
        if hasattr(rich_utils, constant):
            setattr(rich_utils, constant, messages.text(key, lang))
    _Formatter.usage = messages.text("help.typer.usage", lang) + " "
    root._help_lang = lang  # type: ignore[attr-defined]


def _sayer(lang: str) -> Any:
    def say(key: str) -> str:
        return messages.text(key, lang, **VALUES)

    return say


@cache
def _usage_patterns() -> tuple[tuple[re.Pattern[str], str], ...]:
    """Each ``help.usage.*`` entry's English sentence as a pattern (``{name}``: any text)."""
    found = []
    for key, (_, english) in MESSAGES.items():
        if key.startswith("help.usage."):
            parts = re.split(r"\{(\w+)\}", english)
            pattern = "".join(
                re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)"
                for i, part in enumerate(parts)
            )
            found.append((re.compile(pattern, re.DOTALL), key))
    # the longer sentences first ("No such option: x (Possible options: …)" before the short)
    return tuple(sorted(found, key=lambda item: -len(item[0].pattern)))


def usage_text(sentence: str, lang: str) -> str:
    """A usage error's sentence in ``lang`` (its quoted parts said again where the catalog
    knows them); as it was when the catalog does not know it."""
    for pattern, key in _usage_patterns():
        match = pattern.fullmatch(sentence)
        if match:
            values = {k: usage_text(v, lang) for k, v in match.groupdict().items()}
            return messages.text(key, lang, **values)
    return sentence


def said_again(error: UsageError, lang: str) -> UsageError:
    """The usage error with its message in ``lang`` (same context, same exit code)."""
    if isinstance(error, NoArgsIsHelpError) or lang == LANGS[1]:
        return error
    translated = UsageError(usage_text(error.format_message(), lang), error.ctx)
    translated.exit_code = error.exit_code
    return translated


class Localized(TyperGroup):
    """The root command: says its help and its usage errors in the ``lang`` setting's
    language (read when the command line starts, not at import; a malformed setting reads as
    Spanish here and is reported by the root callback)."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        localize(self, messages.language())
        return super().main(*args, **kwargs)

    def make_context(self, *args: Any, **kwargs: Any) -> Context:
        try:
            return super().make_context(*args, **kwargs)
        except UsageError as error:
            raise said_again(error, messages.language()) from None

    def invoke(self, ctx: Context) -> Any:
        try:
            return super().invoke(ctx)
        except UsageError as error:
            raise said_again(error, messages.language()) from None
