"""``explain``: what the last run did with one record, and why, in plain words."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from handy_alegra import reasons
from handy_alegra.accounts import AccountConfig
from handy_alegra.store.statuses import OrderStatus, RecordOutcome
from handy_alegra.store.tables import HandyRecord, OrderAttempt, OrderRecord, Run, Verdict

TEXT = {
    "es": {
        "product": "Producto",
        "customer": "Cliente",
        "item": "Ítem de Alegra",
        "contact": "Contacto de Alegra",
        "syncs": "se sincroniza",
        "not_synced": "no se sincroniza",
        "also": "además",
        "price": "precio en Handy {price} (lista «{price_list}»: {alegra_price}{iva})",
        "iva": " + IVA {iva}%",
        "stock": "existencias {quantity}",
        "family": "familia «{family}»",
        "zone": "zona «{zone}»",
        "handy": "En Handy",
        "run": "en la sincronización #{run} ({when})",
        "nothing": "Ningún registro de Alegra ni de Handy tiene el código o nombre {key!r}.",
        "not_in_handy": "todavía no existe en Handy",
        "managed_not": "existe solo en Handy; esta integración no lo toca",
        "created": "se creó",
        "updated": "se actualizó",
        "enabled": "se volvió a habilitar",
        "disabled": "se deshabilitó",
        "failed": "falló la última escritura",
        "unchanged": "ya coincide con Alegra",
        "skip": "no se modificó",
        "left_alone": "existe solo en Handy; no se toca",
        "last_run": "Última sincronización: #{run} ({when}), {outcome}.",
    },
    "en": {
        "product": "Product",
        "customer": "Customer",
        "item": "Alegra item",
        "contact": "Alegra contact",
        "syncs": "synced",
        "not_synced": "not synced",
        "also": "also",
        "price": "Handy price {price} (list '{price_list}': {alegra_price}{iva})",
        "iva": " + IVA {iva}%",
        "stock": "stock {quantity}",
        "family": "family '{family}'",
        "zone": "zone '{zone}'",
        "handy": "In Handy",
        "run": "in run #{run} ({when})",
        "nothing": "No Alegra or Handy record has the code or name {key!r} in this account.",
        "not_in_handy": "does not exist in Handy yet",
        "managed_not": "exists only in Handy; this integration leaves it alone",
        "created": "was created",
        "updated": "was updated",
        "enabled": "was enabled again",
        "disabled": "was disabled",
        "failed": "the last write failed",
        "unchanged": "already matches Alegra",
        "skip": "was not changed",
        "left_alone": "exists only in Handy; left alone",
        "last_run": "Last run: #{run} ({when}), {outcome}.",
    },
}


@dataclass
class Explanation:
    title: str
    lines: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    found: bool = True


def _when(moment: datetime | None, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment else "?"


def explain_record(
    session: Session, account: AccountConfig, kind: str, key: str, lang: str | None = None
) -> Explanation:
    """``kind`` is ``product`` (key: reference) or ``customer`` (key: code or exact name)."""
    lang = lang or reasons.language()
    t = TEXT[lang]
    zone = account.zone
    conditions = [Verdict.code == key, Verdict.source_id == key]
    if kind == "customer":
        conditions.append(Verdict.name == key)
    verdicts = list(
        session.scalars(
            select(Verdict).where(
                Verdict.account_id == account.id, Verdict.kind == kind, or_(*conditions)
            )
        )
    )
    codes = {v.code for v in verdicts if v.code} or {key}
    records = list(
        session.scalars(
            select(HandyRecord).where(
                HandyRecord.account_id == account.id,
                HandyRecord.kind == kind,
                HandyRecord.code.in_(codes),
            )
        )
    )
    title = f"{t[kind]} {key} ({account.name})"
    if not verdicts and not records:
        return Explanation(title, [t["nothing"].format(key=key)], {"key": key}, found=False)
    explanation = Explanation(title, data={"key": key, "verdicts": [], "handy": []})
    syncing = [v for v in verdicts if v.sync]
    shared = sorted(v.source_id or "?" for v in syncing) if len(syncing) > 1 else []
    for verdict in verdicts:
        explanation.lines.append(_verdict_line(verdict, shared, kind, t, lang))
        explanation.data["verdicts"].append(
            {
                "alegra_id": verdict.source_id,
                "code": verdict.code,
                "name": verdict.name,
                "sync": verdict.sync and len(syncing) < 2,
                "reason": verdict.reason,
                "detail": verdict.detail,
            }
        )
    for record in records:
        explanation.lines.append(_record_line(session, record, t, zone))
        explanation.data["handy"].append(
            {
                "code": record.code,
                "handy_id": record.handy_id,
                "managed": record.managed,
                "outcome": record.outcome,
                "reason": record.reason,
                "run_id": record.run_id,
            }
        )
    if not records and verdicts:
        explanation.lines.append(f"{t['handy']}: {t['not_in_handy']}.")
    last = session.scalar(
        select(Run)
        .where(
            Run.account_id == account.id,
            Run.kind == ("catalog" if kind == "product" else "customers"),
        )
        .order_by(Run.id.desc())
        .limit(1)
    )
    if last is not None:
        explanation.lines.append(
            t["last_run"].format(
                run=last.id, when=_when(last.started_at, zone), outcome=last.outcome
            )
        )
    return explanation


def _verdict_line(
    verdict: Verdict, shared: list[str], kind: str, t: dict[str, str], lang: str
) -> str:
    who = t["item"] if kind == "product" else t["contact"]
    head = f"{who} {verdict.source_id or '?'} «{verdict.name}»"
    if verdict.sync and shared:
        why = reasons.sentence("duplicate_reference", {"ids": shared}, lang)
        return f"{head}: {t['not_synced']} — {why}"
    if not verdict.sync:
        text = (
            f"{head}: {t['not_synced']} — {reasons.sentence(verdict.reason, verdict.detail, lang)}"
        )
        also = [reasons.label(code, lang) for code in verdict.detail.get("also", [])]
        return text + (f" ({t['also']}: {', '.join(also)})" if also else "")
    desired = verdict.desired
    parts: list[str] = []
    if kind == "product":
        iva = t["iva"].format(iva=verdict.detail["iva"]) if verdict.detail.get("iva") else ""
        parts.append(
            t["price"].format(
                price=desired.get("price"),
                price_list=verdict.detail.get("price_list", ""),
                alegra_price=verdict.detail.get("alegra_price", ""),
                iva=iva,
            )
        )
        if "quantity" in desired:
            parts.append(t["stock"].format(quantity=desired["quantity"]))
        parts.append(t["family"].format(family=desired.get("family")))
    else:
        parts.append(t["zone"].format(zone=desired.get("zone")))
    return f"{head}: {t['syncs']} — " + ", ".join(parts) + "."


def _record_line(session: Session, record: HandyRecord, t: dict[str, str], zone: ZoneInfo) -> str:
    if not record.managed and record.outcome in (
        None,
        RecordOutcome.SKIP,
        RecordOutcome.LEFT_ALONE,
    ):
        return f"{t['handy']} ({record.code}): {t['managed_not']}."
    outcome = record.outcome or RecordOutcome.UNCHANGED
    text = f"{t['handy']} ({record.code}): {t.get(outcome, outcome)}"
    if record.run_id:
        text += " " + t["run"].format(run=record.run_id, when=_when(record.changed_at, zone))
    if record.reason:
        text += f" — {reasons.sentence(record.reason, record.detail)}"
    return text + "."


ORDER_STATUS: dict[str, dict[OrderStatus, str]] = {
    "es": {
        OrderStatus.PENDING: "pendiente de enviar",
        OrderStatus.SENDING: "enviándose (se comprueba si la remisión ya existe antes de reenviar)",
        OrderStatus.SENT: "enviado",
        OrderStatus.FAILED: "no enviado todavía; se reintenta en cada sincronización",
        OrderStatus.NEEDS_ATTENTION: "requiere atención de una persona",
        OrderStatus.VOIDED: "cancelado en Handy; su remisión se anuló en Alegra",
        OrderStatus.CANCELLED: "cancelado en Handy antes de enviarse",
        OrderStatus.CANCELLING: (
            "cancelado en Handy; su remisión se anulará en la siguiente sincronización"
        ),
        OrderStatus.SUPERSEDED: "reemplazado por una edición",
    },
    "en": {
        OrderStatus.PENDING: "waiting to be sent",
        OrderStatus.SENDING: "being sent (checked for an existing remission before any resend)",
        OrderStatus.SENT: "sent",
        OrderStatus.FAILED: "not sent yet; retried every cycle",
        OrderStatus.NEEDS_ATTENTION: "needs a person's attention",
        OrderStatus.VOIDED: "cancelled in Handy; its remission was voided in Alegra",
        OrderStatus.CANCELLED: "cancelled in Handy before it was sent",
        OrderStatus.CANCELLING: "cancelled in Handy; its remission is voided in the next cycle",
        OrderStatus.SUPERSEDED: "replaced by an edit",
    },
}

ORDER_TEXT: dict[str, dict[str, str]] = {
    "es": {
        "title": "Pedido {id} ({account})",
        "nothing": "Este servicio no ha leído ningún pedido {id} de Handy en esta cuenta.",
        "state": "Estado: {status}.",
        "why": "Motivo: {why}",
        "remission": "Remisión en Alegra: {id} (número {number}), cliente {client}, fecha {date}.",
        "totals": "Total en Handy {handy} · total en Alegra {alegra}.",
        "difference": "Diferencia por redondeo registrada: {difference}.",
        "returns": "Devoluciones no enviadas: {returns}.",
        "replaced": "Editado: la versión nueva es el pedido {id}.",
        "edited": "Es una edición del pedido {id}.",
        "attempts": "Intentos:",
        "written": "El id de la remisión {state} en el pedido de Handy.",
        "written_yes": "ya está escrito",
        "written_no": "aún no está escrito",
        "written_number": (
            "El número de la remisión ({number}) está escrito en el pedido de Handy (esta "
            "cuenta de Handy solo acepta números como id externo)."
        ),
    },
    "en": {
        "title": "Order {id} ({account})",
        "nothing": "This service has read no Handy order {id} for this account.",
        "state": "Status: {status}.",
        "why": "Reason: {why}",
        "remission": "Alegra remission: {id} (number {number}), client {client}, date {date}.",
        "totals": "Handy total {handy} · Alegra total {alegra}.",
        "difference": "Rounding difference recorded: {difference}.",
        "returns": "Returns left out: {returns}.",
        "replaced": "Edited: the new version is order {id}.",
        "edited": "An edit of order {id}.",
        "attempts": "Attempts:",
        "written": "The remission id {state} on the Handy order.",
        "written_yes": "is written",
        "written_no": "is not yet written",
        "written_number": (
            "The remission's number ({number}) is written on the Handy order (this Handy "
            "account takes only numbers as external id)."
        ),
    },
}


def _write_back_line(
    record: OrderRecord, tried: list[OrderAttempt], t: dict[str, str], lang: str
) -> str:
    """Whether (and how) the remission is on the Handy order."""
    if record.external_id_form == "refused":
        refusal = next((a for a in reversed(tried) if a.action == "write_back"), None)
        detail = refusal.detail if refusal else {"forms": [], "error": "?"}
        return reasons.sentence("write_back_refused", detail, lang)
    if record.external_id_written and record.external_id_form == "number":
        return t["written_number"].format(number=record.remission_number or "?")
    state = t["written_yes"] if record.external_id_written else t["written_no"]
    return t["written"].format(state=state)


def explain_order(
    session: Session, account: AccountConfig, handy_id: str, lang: str | None = None
) -> Explanation:
    from handy_alegra.store import orders as order_store

    lang = lang or reasons.language()
    t = ORDER_TEXT[lang]
    title = t["title"].format(id=handy_id, account=account.name)
    record = order_store.find(session, account.id, handy_id)
    if record is None:
        return Explanation(
            title, [t["nothing"].format(id=handy_id)], {"order": handy_id}, found=False
        )
    status_text = ORDER_STATUS[lang][OrderStatus(record.status)]
    lines = [t["state"].format(status=status_text)]
    if record.reason:
        lines.append(t["why"].format(why=reasons.sentence(record.reason, record.detail, lang)))
    if record.remission_id:
        lines.append(
            t["remission"].format(
                id=record.remission_id,
                number=record.remission_number or "?",
                client=record.alegra_client_id or "?",
                date=record.remission_date or "?",
            )
        )
    if record.handy_total is not None:
        alegra = record.alegra_total if record.alegra_total is not None else "—"
        lines.append(t["totals"].format(handy=record.handy_total, alegra=alegra))
    if record.detail.get("difference"):
        lines.append(t["difference"].format(difference=record.detail["difference"]))
    if record.detail.get("returns"):
        listed = ", ".join(f"{r['code']} × {r['quantity']}" for r in record.detail["returns"])
        lines.append(t["returns"].format(returns=listed))
    if record.edited_from:
        lines.append(t["edited"].format(id=record.edited_from))
    if record.replaced_by:
        lines.append(t["replaced"].format(id=record.replaced_by))
    tried = order_store.attempts(session, record.id)
    if record.status == OrderStatus.SENT:
        lines.append(_write_back_line(record, tried, t, lang))
    if tried:
        lines.append(str(t["attempts"]))
        for attempt in tried:
            why = f" — {reasons.label(attempt.reason, lang)}" if attempt.reason else ""
            lines.append(
                f"  {_when(attempt.at, account.zone)}  {attempt.action}: {attempt.outcome}{why}"
            )
    data = {
        "order": handy_id,
        "status": record.status,
        "reason": record.reason,
        "detail": record.detail,
        "remission_id": record.remission_id,
        "remission_number": record.remission_number,
        "alegra_client_id": record.alegra_client_id,
        "write_back": record.external_id_form,
        "handy_total": str(record.handy_total) if record.handy_total is not None else None,
        "alegra_total": str(record.alegra_total) if record.alegra_total is not None else None,
        "attempts": [
            {"at": a.at.isoformat(), "action": a.action, "outcome": a.outcome, "reason": a.reason}
            for a in tried
        ],
    }
    return Explanation(title, lines, data)
