"""Why a record was skipped, failed or changed, in words a company admin understands.

One entry per reason code: a short label (summaries, dashboards) and a sentence that says what
happened and what to do, in Spanish (the default: the people who run this mostly speak it)
and English. ``HANDY_ALEGRA_LANG=en`` switches the command line to English.
"""

from __future__ import annotations

from typing import Any

from handy_alegra.settings import load_settings
from handy_alegra.store.statuses import RunOutcome

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
    "bad_iva": {
        "es": ("IVA inválido", "el impuesto IVA activo del producto tiene una tasa de {iva} %, fuera de 0 a 100. Corrige la tasa en Alegra."),
        "en": ("invalid IVA", "the item's active IVA tax has a rate of {iva} %, outside 0 to 100. Fix the rate in Alegra."),
    },
    "amount_too_large": {
        "es": ("importe demasiado grande", "un importe calculado ({amount}) es demasiado grande o tiene demasiados dígitos para enviarse exacto. Corrige el precio o la cantidad."),
        "en": ("amount too large", "a computed amount ({amount}) is too large or has too many digits to be sent exactly. Fix the price or the quantity."),
    },
    "reference_too_long": {
        "es": ("referencia demasiado larga", "su referencia tiene más de 100 caracteres; Handy no puede usarla como código. Acórtala en Alegra."),
        "en": ("reference too long", "its reference is longer than 100 characters; Handy cannot use it as a code. Shorten it in Alegra."),
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
    # --- sales ---------------------------------------------------------------------------
    "no_rfc": {
        "es": ("cliente sin RFC", "el cliente «{customer}» no tiene RFC en Handy, y en Alegra México un cliente solo se crea con RFC. Agrégale el RFC en Handy y el pedido se enviará en la siguiente sincronización (no hace falta volver a guardarlo)."),
        "en": ("customer without RFC", "customer '{customer}' has no RFC in Handy, and Alegra Mexico needs one to create a client. Add the RFC in Handy and the order will be sent in the next cycle (no need to save it again)."),
    },
    "no_person_category": {
        "es": ("sin tipo de persona", "el cliente «{customer}» no tiene la categoría «Persona jurídica» ni «Persona natural» en Handy. Asígnale una y el pedido se enviará en la siguiente sincronización."),
        "en": ("no person type", "customer '{customer}' has neither the category 'Persona jurídica' nor 'Persona natural' in Handy. Give it one and the order will be sent in the next cycle."),
    },
    "ambiguous_client": {
        "es": ("cliente ambiguo", "en Alegra hay varios clientes llamados «{customer}» ({candidates}) y ninguno tiene el RFC/NIT del cliente de Handy. Pon el RFC/NIT correcto en Handy o deja un solo cliente con ese nombre."),
        "en": ("ambiguous client", "Alegra has several clients named '{customer}' ({candidates}) and none has the Handy customer's RFC/NIT. Put the right RFC/NIT in Handy or keep one client with that name."),
    },
    "client_create_failed": {
        "es": ("Alegra no creó el cliente", "Alegra no aceptó crear el cliente «{customer}»: {error}"),
        "en": ("client refused by Alegra", "Alegra refused to create the client '{customer}': {error}"),
    },
    "identification_taken": {
        "es": ("identificación ya registrada", "Alegra ya tiene el contacto «{contact_name}» (id {contact_id}) con la identificación {identification}, y su nombre no es exactamente «{customer}», así que no se usa como cliente de este pedido. Corrige el NIT o la cédula del cliente en Handy (campo RFC), o deja el mismo nombre en los dos sistemas, y el pedido se enviará en la siguiente sincronización."),
        "en": ("identification already registered", "Alegra already has the contact '{contact_name}' (id {contact_id}) with the identification {identification}, and its name is not exactly '{customer}', so it is not used as this order's client. Fix the customer's NIT or ID number in Handy (the RFC field), or give both systems the same name, and the order will be sent in the next cycle."),
    },
    "unknown_product": {
        "es": ("producto desconocido", "ningún producto de Alegra tiene la referencia «{code}» (o la tienen varios). Crea el producto o corrige el código y el pedido se enviará en la siguiente sincronización."),
        "en": ("unknown product", "no Alegra item has the reference '{code}' (or several have it). Create the item or fix the code and the order will be sent in the next cycle."),
    },
    "bad_line": {
        "es": ("línea inválida", "una línea del pedido (producto «{code}», cantidad {quantity}, precio {price}) no tiene cantidad positiva o tiene precio negativo. Corrige el pedido en Handy."),
        "en": ("invalid line", "an order line (product '{code}', quantity {quantity}, price {price}) has no positive quantity or a negative price. Fix the order in Handy."),
    },
    "bad_nit": {
        "es": ("NIT inválido", "el NIT «{nit}» del cliente «{customer}» no es un número válido. Corrígelo en Handy (campo RFC) y el pedido se enviará en la siguiente sincronización."),
        "en": ("invalid NIT", "the NIT '{nit}' of customer '{customer}' is not a valid number. Fix it in Handy (the RFC field) and the order will be sent in the next cycle."),
    },
    "handy_total_mismatch": {
        "es": ("total de Handy distinto", "la suma de las líneas del pedido ({lines_total}) no es el total de Handy ({total_sales}) más las devoluciones ({returns_total}): Handy calculó este pedido con una regla que esta integración no conoce, y enviarlo dejaría un importe equivocado en la contabilidad. No se envía; revisa el pedido en Handy (si lo editas, la versión nueva se revisa otra vez) y avisa a quien mantiene la integración."),
        "en": ("Handy total differs", "the order's lines add up to {lines_total}, not Handy's total ({total_sales}) plus the returns ({returns_total}): Handy computed this order by a rule this integration does not know, and sending it would put a wrong amount in the books. It is not sent; check the order in Handy (an edit is checked again) and tell whoever maintains the integration."),
    },
    "only_returns": {
        "es": ("solo devoluciones", "el pedido solo tiene devoluciones; las devoluciones no se envían como remisión."),
        "en": ("returns only", "the order has only returns; returns are not sent as a remission."),
    },
    "alegra_rejected": {
        "es": ("rechazado por Alegra", "Alegra rechazó la remisión: {error}"),
        "en": ("refused by Alegra", "Alegra refused the remission: {error}"),
    },
    "remission_closed": {
        "es": ("remisión ya facturada", "el pedido se editó en Handy, pero su remisión {number} ya está facturada (cerrada) en Alegra. Aplica el cambio a mano en Alegra."),
        "en": ("remission already invoiced", "the order was edited in Handy but its remission {number} is already invoiced (closed) in Alegra. Apply the change by hand in Alegra."),
    },
    "void_closed": {
        "es": ("remisión ya facturada", "el pedido se canceló en Handy, pero su remisión {number} ya está facturada (cerrada) en Alegra. Anúlala a mano (por ejemplo, con una nota crédito)."),
        "en": ("remission already invoiced", "the order was cancelled in Handy but its remission {number} is already invoiced (closed) in Alegra. Cancel it by hand (a credit note, say)."),
    },
    "write_back_refused": {
        "es": ("Handy no aceptó el id", "Handy rechazó el id de la remisión en el pedido en todas sus formas ({forms}); la remisión existe en Alegra y el pedido no se vuelve a intentar. Respuesta de Handy: {error}"),
        "en": ("id refused by Handy", "Handy refused the remission's id on the order in every form ({forms}); the remission exists in Alegra and the write-back is not tried again. Handy answered: {error}"),
    },
    "order_gone": {
        "es": ("pedido ya no existe", "el pedido ya no existe en Handy."),
        "en": ("order gone", "the order no longer exists in Handy."),
    },
    # --- both ----------------------------------------------------------------------------
    "unreadable": {
        "es": ("dato ilegible", "llegó con un dato que no se pudo leer (campo «{field}»: {problem}). Corrígelo en el sistema de origen."),
        "en": ("unreadable data", "it arrived with data that could not be read (field '{field}': {problem}). Fix it where it comes from."),
    },
    "handy_rejected": {
        "es": ("rechazado por Handy", "Handy lo rechazó: {error}"),
        "en": ("refused by Handy", "Handy refused it: {error}"),
    },
    "outcome_unknown": {
        "es": ("resultado desconocido", "no se supo si el cambio se guardó (la conexión se cortó); la siguiente sincronización lo busca antes de volver a enviarlo."),
        "en": ("outcome unknown", "it is unknown whether the change was saved (the connection dropped); the next run looks for it before sending again."),
    },
    # --- Alegra webhook deliveries (acknowledged, not used) --------------------------------
    "webhook_too_large": {
        "es": ("aviso demasiado grande", "Alegra envió un aviso de {detail}; no se leyó. Los cambios llegan igual con la sincronización diaria."),
        "en": ("delivery too large", "Alegra sent a delivery of {detail}; it was not read. Changes still arrive with the daily sync."),
    },
    "webhook_not_json": {
        "es": ("aviso ilegible", "un aviso de Alegra no era JSON ({detail}); no se usó. Los cambios llegan igual con la sincronización diaria."),
        "en": ("unreadable delivery", "a delivery from Alegra was not JSON ({detail}); it was not used. Changes still arrive with the daily sync."),
    },
    "webhook_too_deep": {
        "es": ("aviso demasiado anidado", "un aviso de Alegra anidaba más niveles de los que se leen; no se usó."),
        "en": ("delivery nested too deep", "a delivery from Alegra was nested deeper than is read; it was not used."),
    },
    "webhook_unknown_event": {
        "es": ("evento no usado", "llegó un aviso de un evento que esta integración no usa ({detail}); no se usó. Si no lo esperabas, revisa las suscripciones de Alegra."),
        "en": ("event not used", "a delivery of an event this integration does not use arrived ({detail}); it was not used. If unexpected, check Alegra's subscriptions."),
    },
    "webhook_no_record": {
        "es": ("aviso sin registro", "un aviso {detail} de Alegra no decía qué producto o cliente cambió; no se usó. Los cambios llegan igual con la sincronización diaria."),
        "en": ("delivery without a record", "a {detail} delivery from Alegra did not say which item or client changed; it was not used. Changes still arrive with the daily sync."),
    },
}  # fmt: skip


#: What a run that ended early means, in one line (the command line, after its summary).
OUTCOME_MEANINGS: dict[RunOutcome, dict[str, str]] = {
    RunOutcome.INTERRUPTED: {
        "es": "Interrumpida: una API no respondió o rechazó las credenciales. Lo escrito queda escrito; la siguiente ejecución sigue desde aquí.",
        "en": "Interrupted: an API did not answer or refused the credentials. What was written stays written; the next run resumes from here.",
    },
    RunOutcome.STOPPED: {
        "es": "Detenida por un apagado (o Ctrl-C) en un punto seguro: nada quedó a medias y la siguiente ejecución termina el trabajo.",
        "en": "Stopped for a shutdown (or Ctrl-C) at a safe point: nothing is half-written, and the next run finishes the work.",
    },
    RunOutcome.CRASHED: {
        "es": "Falló por un error del programa, no de los datos ni de las APIs: la ejecución quedó cerrada y lo escrito queda escrito. Repórtalo con la salida de --debug.",
        "en": "Crashed: a bug in handy-alegra, not the data or the APIs, ended it; the run is closed and what was written stays written. Report it with the output of --debug.",
    },
}  # fmt: skip


def outcome_meaning(outcome: str, lang: str | None = None) -> str | None:
    """What a run that ended so means for the person who started it; None for one that
    finished."""
    entry = OUTCOME_MEANINGS.get(RunOutcome(outcome))
    return entry[lang or language()] if entry else None


def language() -> str:
    """The language of the command line and alerts: the ``lang`` setting."""
    return load_settings().lang


def label(code: str | None, lang: str | None = None) -> str:
    if code is None:
        return ""
    entry = REASONS.get(code)
    return entry[lang or language()][0] if entry else code.replace("_", " ")


#: Longest value quoted in a sentence: a reason is read by people, a 70 KB code is not.
SHOWN = 120


def clip(value: object) -> object:
    """``value``, cut to ``SHOWN`` characters when it is long text."""
    if isinstance(value, str) and len(value) > SHOWN:
        return value[: SHOWN - 1] + "…"
    return value


def sentence(
    code: str | None, detail: dict[str, Any] | None = None, lang: str | None = None
) -> str:
    if code is None:
        return ""
    entry = REASONS.get(code)
    if entry is None:
        return code.replace("_", " ")
    values = {
        k: clip(", ".join(map(str, v)) if isinstance(v, list) else v)
        for k, v in (detail or {}).items()
    }
    try:
        return entry[lang or language()][1].format(**values)
    except (KeyError, IndexError):
        return entry[lang or language()][1]
