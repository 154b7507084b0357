"""``explain``: what the last run did with one record, and why, in plain words."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from handy_alegra import messages
from handy_alegra.accounts.registry import AccountConfig
from handy_alegra.domain.statuses import OrderStatus, RecordOutcome
from handy_alegra.messages import reason_texts as reasons
from handy_alegra.store.tables import HandyRecord, OrderAttempt, OrderRecord, Run, Verdict


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
    lang = messages.language(lang)
    t = messages.translator(lang, "explain.")
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
    title = f"{t(kind)} {key} ({account.name})"
    if not verdicts and not records:
        return Explanation(title, [t("nothing", key=key)], {"key": key}, found=False)
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
        explanation.lines.append(_record_line(record, t, zone, lang))
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
        explanation.lines.append(f"{t('handy')}: {t('not_in_handy')}.")
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
            t(
                "last_run",
                run=last.id,
                when=_when(last.started_at, zone),
                outcome=messages.word("outcome", last.outcome, lang),
            )
        )
    return explanation


def _verdict_line(
    verdict: Verdict, shared: list[str], kind: str, t: Callable[..., str], lang: str
) -> str:
    who = t("item") if kind == "product" else t("contact")
    head = f"{who} {verdict.source_id or '?'} «{verdict.name}»"
    if verdict.sync and shared:
        why = reasons.sentence("duplicate_reference", {"ids": shared}, lang)
        return f"{head}: {t('not_synced')} — {why}"
    if not verdict.sync:
        text = (
            f"{head}: {t('not_synced')} — {reasons.sentence(verdict.reason, verdict.detail, lang)}"
        )
        also = [reasons.label(code, lang) for code in verdict.detail.get("also", [])]
        return text + (f" ({t('also')}: {', '.join(also)})" if also else "")
    desired = verdict.desired
    parts: list[str] = []
    if kind == "product":
        iva = t("iva", iva=verdict.detail["iva"]) if verdict.detail.get("iva") else ""
        parts.append(
            t(
                "price",
                price=desired.get("price"),
                price_list=verdict.detail.get("price_list", ""),
                alegra_price=verdict.detail.get("alegra_price", ""),
                iva=iva,
            )
        )
        if "quantity" in desired:
            parts.append(t("stock", quantity=desired["quantity"]))
        parts.append(t("family", family=desired.get("family")))
    else:
        parts.append(t("zone", zone=desired.get("zone")))
    return f"{head}: {t('syncs')} — " + ", ".join(parts) + "."


def _record_line(record: HandyRecord, t: Callable[..., str], zone: ZoneInfo, lang: str) -> str:
    if not record.managed and record.outcome in (
        None,
        RecordOutcome.SKIP,
        RecordOutcome.LEFT_ALONE,
    ):
        return f"{t('handy')} ({record.code}): {t('managed_not')}."
    outcome = record.outcome or RecordOutcome.UNCHANGED
    text = f"{t('handy')} ({record.code}): {t(outcome)}"
    if record.run_id:
        text += " " + t("run", run=record.run_id, when=_when(record.changed_at, zone))
    if record.reason:
        text += f" — {reasons.sentence(record.reason, record.detail, lang)}"
    return text + "."


def _write_back_line(
    record: OrderRecord, tried: list[OrderAttempt], t: Callable[..., str], lang: str
) -> str:
    """Whether (and how) the remission is on the Handy order."""
    if record.external_id_form == "refused":
        refusal = next((a for a in reversed(tried) if a.action == "write_back"), None)
        detail = refusal.detail if refusal else {"forms": [], "error": "?"}
        return reasons.sentence("write_back_refused", detail, lang)
    if record.external_id_written and record.external_id_form == "number":
        return t("written_number", number=record.remission_number or "?")
    state = t("written_yes") if record.external_id_written else t("written_no")
    return t("written", state=state)


def explain_order(
    session: Session, account: AccountConfig, handy_id: str, lang: str | None = None
) -> Explanation:
    from handy_alegra.store import orders as order_store

    lang = messages.language(lang)
    t = messages.translator(lang, "explain.order.")
    title = t("title", id=handy_id, account=account.name)
    record = order_store.find(session, account.id, handy_id)
    if record is None:
        return Explanation(title, [t("nothing", id=handy_id)], {"order": handy_id}, found=False)
    status_text = messages.text(f"order_status.{OrderStatus(record.status)}", lang)
    lines = [t("state", status=status_text)]
    if record.reason:
        lines.append(t("why", why=reasons.sentence(record.reason, record.detail, lang)))
    if record.remission_id:
        lines.append(
            t(
                "remission",
                id=record.remission_id,
                number=record.remission_number or "?",
                client=record.alegra_client_id or "?",
                date=record.remission_date or "?",
            )
        )
    if record.handy_total is not None:
        alegra = record.alegra_total if record.alegra_total is not None else "—"
        lines.append(t("totals", handy=record.handy_total, alegra=alegra))
    if record.detail.get("difference"):
        lines.append(t("difference", difference=record.detail["difference"]))
    if record.detail.get("returns"):
        listed = ", ".join(f"{r['code']} × {r['quantity']}" for r in record.detail["returns"])
        lines.append(t("returns", returns=listed))
    if record.edited_from:
        lines.append(t("edited", id=record.edited_from))
    if record.replaced_by:
        lines.append(t("replaced", id=record.replaced_by))
    tried = order_store.attempts(session, record.id)
    if record.status == OrderStatus.SENT:
        lines.append(_write_back_line(record, tried, t, lang))
    if tried:
        lines.append(t("attempts"))
        for attempt in tried:
            why = f" — {reasons.label(attempt.reason, lang)}" if attempt.reason else ""
            action = messages.word("attempt", attempt.action, lang)
            ended = _attempt_outcome(attempt.outcome, lang)
            lines.append(f"  {_when(attempt.at, account.zone)}  {action}: {ended}{why}")
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


def _attempt_outcome(outcome: str, lang: str) -> str:
    """An attempt ended in an order status, a count (``adopted``…) or a refusal."""
    for namespace in ("order", "count", "attempt"):
        if messages.has(f"{namespace}.{outcome}"):
            return messages.text(f"{namespace}.{outcome}", lang)
    return outcome
