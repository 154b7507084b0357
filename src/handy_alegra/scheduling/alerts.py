"""Alerts: tell a person when an account needs one — once when a problem opens, once when it
clears — by webhook (a JSON POST) and/or e-mail.

Problems, per account (settings on the account):
- ``runs:<kind>``: the last run of a kind crashed (a bug: one is enough), or the last
  ``alert_failed_runs`` runs of a kind all ended badly (an API outage or a crash). A run
  stopped for a shutdown says nothing either way: it is looked past (``domain/statuses.py``);
- ``order:<id>``: an order that has not gone through for ``alert_order_minutes`` (failed,
  needs attention, or a send of unknown outcome).

Evaluated after every job of the account, under its lease, so one evaluator at a time; a
notice that could not be delivered is sent again at the next evaluation.

What a person reads (the message, the e-mail's subject) is said from the catalog (``alert.*``)
in the ``lang`` setting's language when the problem opens; the JSON's field names and its
``problem`` and ``state`` values are for machines and stay as they are.
"""

from __future__ import annotations

import smtplib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from handy_alegra import messages
from handy_alegra.accounts.registry import AccountConfig
from handy_alegra.clients.http import HTTPError, build_client
from handy_alegra.config.settings import Settings
from handy_alegra.domain.statuses import (
    ALERT_AT_ONCE,
    NOT_THROUGH,
    UNHEALTHY_OUTCOMES,
)
from handy_alegra.messages import reason_texts as reasons
from handy_alegra.records.wire import dumps
from handy_alegra.store import sync_state as state
from handy_alegra.store.tables import Alert, OrderRecord

log = structlog.get_logger("handy_alegra.scheduling.alerts")

RUN_KINDS = ("catalog", "customers", "sales", "webhook")


@dataclass(frozen=True)
class Notice:
    alert_id: int
    account: str
    key: str
    state: str  # open | cleared
    message: str
    at: datetime

    def payload(self) -> dict[str, Any]:
        return {
            "account": self.account,
            "problem": self.key,
            "state": self.state,
            "message": self.message,
            "at": self.at.isoformat(),
        }


def problems(
    session: Session,
    account: AccountConfig,
    now: datetime,
    kinds: tuple[str, ...] = RUN_KINDS,
) -> dict[str, str]:
    """What is wrong right now, by problem key, with a message a person can act on: the
    failed-runs problems of ``kinds``, and every order that has not gone through."""
    found: dict[str, str] = {}
    for kind in kinds:
        problem = _runs_problem(session, account, kind)
        if problem is not None:
            found[f"runs:{kind}"] = problem
    limit = now - timedelta(minutes=account.alert_order_minutes)
    for record in session.scalars(
        select(OrderRecord).where(
            OrderRecord.account_id == account.id,
            OrderRecord.status.in_(NOT_THROUGH),
            OrderRecord.first_seen_at <= limit,
        )
    ):
        why = (
            reasons.sentence(record.reason, record.detail)
            if record.reason
            else messages.word("order_status", record.status)
        )
        found[f"order:{record.handy_id}"] = messages.text(
            "alert.order",
            account=account.name,
            id=record.handy_id,
            customer=record.customer_name,
            why=why,
        )
    return found


def _runs_problem(session: Session, account: AccountConfig, kind: str) -> str | None:
    last = session.scalars(
        state.telling_runs(account.id, kind).limit(max(1, account.alert_failed_runs))
    ).all()
    if not last:
        return None
    why = last[0].message or messages.word("outcome", last[0].outcome)
    said = {"account": account.name, "kind": messages.word("kind", kind), "why": why}
    if last[0].outcome in ALERT_AT_ONCE:
        return messages.text("alert.crashed", **said)
    if len(last) >= account.alert_failed_runs and all(
        r.outcome in UNHEALTHY_OUTCOMES for r in last
    ):
        return messages.text("alert.failed_runs", count=len(last), **said)
    return None


def evaluate(
    session: Session,
    account: AccountConfig,
    now: datetime,
    kinds: tuple[str, ...] = RUN_KINDS,
    fine: tuple[str, ...] = (),
) -> list[Notice]:
    """Open and clear alerts to match ``problems``; the notices still to deliver. ``kinds``:
    the kinds of run whose failed-runs alerts are evaluated; ``fine``: kinds whose latest run
    has just ended well (no failed-runs problem, nothing to read). After a job, the kinds it
    ran are one or the other; the other kinds' alerts stay as they are."""
    current = problems(session, account, now, tuple(k for k in kinds if k not in fine))
    judged = {f"runs:{kind}" for kind in (*kinds, *fine)}
    alerts = list(
        session.scalars(  # open, or with a notice still to deliver: one read
            select(Alert).where(
                Alert.account_id == account.id,
                Alert.opened_notified.is_(False) | Alert.cleared_notified.is_(False),
            )
        )
    )
    open_alerts = {a.key: a for a in alerts if a.cleared_at is None}
    for key, message in current.items():
        if key not in open_alerts:
            alert = Alert(account_id=account.id, key=key, message=message, opened_at=now)
            session.add(alert)
            open_alerts[key] = alert
            alerts.append(alert)
    for key, alert in open_alerts.items():
        if key not in current and (key in judged or key.startswith("order:")):
            alert.cleared_at = now
    session.flush()
    notices = []
    for alert in sorted(alerts, key=lambda a: a.id):
        if not alert.opened_notified:
            notices.append(
                Notice(alert.id, account.name, alert.key, "open", alert.message, alert.opened_at)
            )
        if alert.cleared_at is not None and not alert.cleared_notified:
            notices.append(
                Notice(
                    alert.id,
                    account.name,
                    alert.key,
                    "cleared",
                    messages.text("alert.cleared", message=alert.message),
                    alert.cleared_at,
                )
            )
    return notices


def mark_sent(session: Session, notice: Notice) -> None:
    alert = session.get(Alert, notice.alert_id)
    if alert is None:
        return
    if notice.state == "open":
        alert.opened_notified = True
    else:
        alert.cleared_notified = True


# --- delivery -----------------------------------------------------------------------------


Mailer = Callable[[str, str, str], None]  # (to, subject, body)


def smtp_mailer(settings: Settings) -> Mailer | None:
    """E-mail through the deployment's SMTP server (``smtp_*`` settings), if it has one."""
    host, port, sender = settings.smtp_host, settings.smtp_port, settings.smtp_from
    if not host:
        return None
    user = settings.smtp_user
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
    starttls = settings.smtp_starttls

    def send(to: str, subject: str, body: str) -> None:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = sender, to, subject
        message.set_content(body)
        with smtplib.SMTP(host, port, timeout=20) as smtp:
            if starttls:
                smtp.starttls()
            if user and password:
                smtp.login(user, password)
            smtp.send_message(message)

    return send


def deliver(
    notice: Notice,
    account: AccountConfig,
    *,
    mailer: Mailer | None,
    post: Callable[[str, bytes], int] | None = None,
) -> bool:
    """Send one notice by every channel the account has; True when all of them took it."""
    ok = True
    if account.alert_webhook_url:
        try:
            status = (post or _post)(account.alert_webhook_url, dumps(notice.payload()))
            ok = ok and 200 <= status < 300
        except (HTTPError, OSError) as exc:
            log.warning("alert_webhook_failed", account=account.name, error=type(exc).__name__)
            ok = False
    if account.alert_email and mailer is not None:
        state = messages.text(f"alert.state.{notice.state}")
        subject = messages.text(
            "alert.subject", account=notice.account, problem=notice.key, state=state
        )
        try:
            mailer(account.alert_email, subject, notice.message)
        except (smtplib.SMTPException, OSError) as exc:
            log.warning("alert_email_failed", account=account.name, error=type(exc).__name__)
            ok = False
    return ok


def _post(url: str, body: bytes) -> int:
    with build_client(url) as client:
        return client.post(
            "", content=body, headers={"Content-Type": "application/json"}
        ).status_code


def run(
    session_factory: Any,
    account: AccountConfig,
    now: datetime,
    *,
    mailer: Mailer | None = None,
    post: Callable[[str, bytes], int] | None = None,
    kinds: tuple[str, ...] = RUN_KINDS,
    fine: tuple[str, ...] = (),
) -> list[Notice]:
    """Evaluate, deliver, and remember what was delivered. Returns the notices delivered."""
    with session_factory() as session:
        notices = evaluate(session, account, now, kinds, fine)
        if not (account.alert_webhook_url or account.alert_email):
            for notice in notices:  # nowhere to send: the dashboard shows them
                mark_sent(session, notice)
            return []
    delivered = [n for n in notices if deliver(n, account, mailer=mailer, post=post)]
    with session_factory() as session:
        for notice in delivered:
            mark_sent(session, notice)
    for notice in delivered:
        log.info("alert_sent", account=account.name, problem=notice.key, state=notice.state)
    return delivered
