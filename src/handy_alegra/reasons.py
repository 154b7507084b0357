"""Why a record was skipped, failed or changed, in words a company admin understands.

One entry per reason code: a short label (summaries, dashboards) and a sentence that says what
happened and what to do, in Spanish (the default: the people who run this mostly speak it)
and English. ``HANDY_ALEGRA_LANG=en`` switches the command line to English.
"""

from __future__ import annotations

import os
from typing import Any

LANGS = ("es", "en")

# code: {lang: (label, sentence)}
REASONS: dict[str, dict[str, tuple[str, str]]] = {
    # --- catalog -------------------------------------------------------------------------
    "no_reference": {
        "es": ("sin referencia", "no tiene referencia en Alegra; la referencia es el código del producto en Handy. Agrégala en Alegra."),
        "en": ("no reference", "has no reference in Alegra; the reference is the product's code in Handy. Add one in Alegra."),
    },
    "slash_in_reference": {
        "es": ("referencia con «/»", "su referencia contiene «/», que Handy no admite en un código. Cámbiala en Alegra."),
        "en": ("reference with '/'", "its reference contains '/', which Handy cannot use in a code. Change it in Alegra."),
    },
    "duplicate_reference": {
        "es": ("referencia repetida", "varios productos de Alegra comparten esta referencia (ids {ids}); deja la referencia en uno solo."),
        "en": ("shared reference", "several Alegra items share this reference (ids {ids}); keep it on one item only."),
    },
    "inactive": {
        "es": ("inactivo", "está inactivo en Alegra. Actívalo en Alegra si debe venderse."),
        "en": ("inactive", "is inactive in Alegra. Activate it in Alegra if it should be sold."),
    },
    "not_inventoriable": {
        "es": ("no inventariable", "no es inventariable en Alegra y esta cuenta sincroniza solo productos inventariables (se puede cambiar con --all-items)."),
        "en": ("not inventoriable", "is not inventoriable in Alegra and this account syncs inventoriable items only (change it with --all-items)."),
    },
    "no_price_in_list": {
        "es": ("sin precio en la lista", "no tiene precio en la lista de precios «{price_list}». Dale un precio en esa lista en Alegra."),
        "en": ("no price in the list", "has no price in the price list '{price_list}'. Give it a price in that list in Alegra."),
    },
    "negative_price": {
        "es": ("precio negativo", "su precio en la lista «{price_list}» es negativo."),
        "en": ("negative price", "its price in the list '{price_list}' is negative."),
    },
    "two_iva": {
        "es": ("dos IVA", "tiene dos impuestos activos llamados IVA; el precio con IVA sería ambiguo. Deja uno solo en Alegra."),
        "en": ("two IVA taxes", "has two active taxes named IVA, so the price with IVA is ambiguous. Keep one in Alegra."),
    },
    "not_in_alegra": {
        "es": ("ya no está en Alegra", "ya no existe en Alegra (o perdió la referencia)."),
        "en": ("gone from Alegra", "no longer exists in Alegra (or lost its reference)."),
    },
    # --- customers -----------------------------------------------------------------------
    "not_client": {
        "es": ("no es cliente", "es solo proveedor en Alegra; solo se copian los contactos tipo cliente."),
        "en": ("not a client", "is only a provider in Alegra; only client contacts are copied."),
    },
    "no_name": {
        "es": ("sin nombre", "no tiene nombre en Alegra."),
        "en": ("no name", "has no name in Alegra."),
    },
    "inactive_contact": {
        "es": ("contacto inactivo", "está inactivo en Alegra; su cliente en Handy se deshabilita."),
        "en": ("inactive contact", "is inactive in Alegra; its Handy customer is disabled."),
    },
    # --- both ----------------------------------------------------------------------------
    "unreadable": {
        "es": ("dato ilegible", "Alegra lo envió con un dato que no se pudo leer: el campo «{field}» {problem}."),
        "en": ("unreadable data", "Alegra sent it with data that could not be read: field '{field}' {problem}."),
    },
    "handy_rejected": {
        "es": ("rechazado por Handy", "Handy lo rechazó: {error}"),
        "en": ("refused by Handy", "Handy refused it: {error}"),
    },
    "outcome_unknown": {
        "es": ("resultado desconocido", "no se supo si Handy guardó el cambio (la conexión se cortó); la siguiente sincronización lo revisa."),
        "en": ("outcome unknown", "it is unknown whether Handy saved the change (the connection dropped); the next run checks."),
    },
}  # fmt: skip


def language() -> str:
    lang = (os.environ.get("HANDY_ALEGRA_LANG") or "es").lower()[:2]
    return lang if lang in LANGS else "es"


def label(code: str | None, lang: str | None = None) -> str:
    if code is None:
        return ""
    entry = REASONS.get(code)
    return entry[lang or language()][0] if entry else code.replace("_", " ")


def sentence(
    code: str | None, detail: dict[str, Any] | None = None, lang: str | None = None
) -> str:
    if code is None:
        return ""
    entry = REASONS.get(code)
    if entry is None:
        return code.replace("_", " ")
    values = {
        k: ", ".join(map(str, v)) if isinstance(v, list) else v for k, v in (detail or {}).items()
    }
    try:
        return entry[lang or language()][1].format(**values)
    except (KeyError, IndexError):
        return entry[lang or language()][1]
