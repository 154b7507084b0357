"""Accounts: one company each, its credentials encrypted at rest, its settings.

``AccountConfig`` is what the syncs receive (secrets decrypted, wrapped in ``SecretStr``);
the functions below read and write accounts in the store. Checking credentials against the
APIs is ``activation.py``'s job.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session

from handy_alegra.accounts.vault import Vault, VaultError
from handy_alegra.clients import urls
from handy_alegra.clients.alegra import CO_REGIMES
from handy_alegra.config.settings import SECRET_KEY_ENV
from handy_alegra.mapping.clients import DEFAULT_REGIME
from handy_alegra.messages import Refusal, Said
from handy_alegra.store.tables import Account


class AccountError(Refusal):
    """A problem with an account that the operator must fix; the message (a catalog key and
    its values) says how."""


#: The countries whose rules this service knows.
COUNTRIES = ("MX", "CO")
#: An account name: 1 to 64 characters, ASCII letters, digits, ``.``, ``_`` and ``-``,
#: starting with a letter or a digit (it appears in commands, URLs and logs as it is).
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def check_name(name: str) -> str:
    """The account name, trimmed, or ``AccountError`` (shared by every command and page)."""
    trimmed = name.strip()
    if not NAME.fullmatch(trimmed):
        raise AccountError("error.account_name", name=name, rule=Said("error.account_name_rule"))
    return trimmed


def check_country(country: str) -> str:
    """``MX`` or ``CO`` (any case), else ``AccountError``."""
    code = country.strip().upper()
    if code not in COUNTRIES:
        raise AccountError("error.country", country=country)  # the words name COUNTRIES
    return code


def check_url(url: str, what: str, *, allow_insecure: bool = False) -> str:
    """An API or public base URL, trimmed, or ``AccountError`` saying what is wrong: https, or
    plain http to loopback only (``urls``). ``what``: ``alegra``, ``handy`` or ``public``."""
    found = urls.problem(url, allow_insecure=allow_insecure)
    if found is not None:
        raise AccountError("error.url", what=Said(f"error.url.{what}"), problem=found)
    return url.strip()


@dataclass(frozen=True)
class AccountConfig:
    id: int
    name: str
    country: str
    alegra_url: str
    alegra_email: str
    alegra_token: SecretStr
    handy_url: str
    handy_token: SecretStr
    price_list_id: str
    price_list_name: str
    all_items: bool
    timezone: str
    colombia_default_nit: str
    default_zone: str
    default_family: str
    warehouse_id: str | None
    sales_since: datetime
    paused: bool
    created_at: datetime
    daily_at: str = "03:00"  # local time of the daily catalog and customer sync
    sales_every: int = 10  # minutes between sales cycles
    alert_failed_runs: int = 3  # alert after this many failed runs in a row
    alert_order_minutes: int = 120  # alert when an order has not gone through for this long
    alert_webhook_url: str | None = None
    alert_email: str | None = None
    webhook_token: str | None = None  # the secret path segment of this account's receiver
    webhook_public_url: str | None = None
    colombia_regime: str = DEFAULT_REGIME  # the ``regime`` of new Colombian clients
    #: The ``externalId`` form Handy took for orders / products (learnt; None: not yet).
    order_external_id_form: str | None = None
    product_external_id_form: str | None = None

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def public(self) -> dict[str, Any]:
        """Every setting but the secrets (for ``accounts show`` and the dashboard)."""
        hidden = {"alegra_token", "handy_token", "webhook_token"}
        result: dict[str, Any] = {}
        for f in fields(self):
            if f.name in hidden:
                continue
            value = getattr(self, f.name)
            result[f.name] = value.isoformat() if isinstance(value, datetime) else value
        return result


#: Settings that ``accounts edit`` may change (the tokens and email are handled apart).
EDITABLE = (
    "country",
    "alegra_url",
    "handy_url",
    "price_list_id",
    "price_list_name",
    "all_items",
    "timezone",
    "colombia_default_nit",
    "default_zone",
    "default_family",
    "warehouse_id",
    "sales_since",
    "daily_at",
    "sales_every",
    "alert_failed_runs",
    "alert_order_minutes",
    "alert_webhook_url",
    "alert_email",
    "webhook_token",
    "webhook_public_url",
    "colombia_regime",
)
#: What kind of record a learnt ``externalId`` form is about → its column.
FORM_COLUMNS = {"order": "order_external_id_form", "product": "product_external_id_form"}


def to_config(row: Account, vault: Vault) -> AccountConfig:
    return AccountConfig(
        id=row.id,
        name=row.name,
        country=row.country,
        alegra_url=row.alegra_url,
        alegra_email=row.alegra_email,
        alegra_token=SecretStr(vault.decrypt(row.alegra_token)),
        handy_url=row.handy_url,
        handy_token=SecretStr(vault.decrypt(row.handy_token)),
        price_list_id=row.price_list_id,
        price_list_name=row.price_list_name,
        all_items=row.all_items,
        timezone=row.timezone,
        colombia_default_nit=row.colombia_default_nit,
        default_zone=row.default_zone,
        default_family=row.default_family,
        warehouse_id=row.warehouse_id,
        sales_since=row.sales_since,
        paused=row.paused,
        created_at=row.created_at,
        daily_at=row.daily_at,
        sales_every=row.sales_every,
        alert_failed_runs=row.alert_failed_runs,
        alert_order_minutes=row.alert_order_minutes,
        alert_webhook_url=row.alert_webhook_url,
        alert_email=row.alert_email,
        webhook_token=row.webhook_token,
        webhook_public_url=row.webhook_public_url,
        colombia_regime=row.colombia_regime,
        order_external_id_form=row.order_external_id_form,
        product_external_id_form=row.product_external_id_form,
    )


def token_digest(token: str) -> str:
    """What the store keeps to find an account by its webhook token (sha256, hex)."""
    return hashlib.sha256(token.encode()).hexdigest()


def find_row(session: Session, name: str) -> Account:
    row = session.scalar(select(Account).where(Account.name == name))
    if row is None:
        names = session.scalars(select(Account.name).order_by(Account.name)).all()
        known = ", ".join(names) if names else Said("error.no_accounts_yet")
        raise AccountError("error.no_account", name=name, known=known)
    return row


def load(session: Session, vault: Vault, name: str) -> AccountConfig:
    return to_config(find_row(session, name), vault)


def load_all(session: Session, vault: Vault, *, active_only: bool = False) -> list[AccountConfig]:
    query = select(Account).order_by(Account.name)
    if active_only:
        query = query.where(Account.paused.is_(False))
    return [to_config(row, vault) for row in session.scalars(query)]


def names(session: Session) -> list[str]:
    return list(session.scalars(select(Account.name).order_by(Account.name)))


def insert(
    session: Session,
    vault: Vault,
    *,
    name: str,
    alegra_token: str,
    handy_token: str,
    now: datetime,
    **settings: Any,
) -> Account:
    if session.scalar(select(Account.id).where(Account.name == name)) is not None:
        raise AccountError("error.account_exists", name=name)
    row = Account(
        name=name,
        alegra_token=vault.encrypt(alegra_token),
        handy_token=vault.encrypt(handy_token),
        created_at=now,
        updated_at=now,
        **settings,
    )
    session.add(row)
    session.flush()
    return row


def update(
    session: Session,
    vault: Vault,
    name: str,
    *,
    now: datetime,
    alegra_email: str | None = None,
    alegra_token: str | None = None,
    handy_token: str | None = None,
    **changes: Any,
) -> Account:
    row = find_row(session, name)
    unknown = set(changes) - set(EDITABLE) - {"paused"}
    if unknown:
        raise AccountError("error.cannot_change", fields=", ".join(sorted(unknown)))
    for key, value in changes.items():
        setattr(row, key, value)
    if "webhook_token" in changes:
        token = changes["webhook_token"]
        row.webhook_token_hash = token_digest(token) if token else None
    if alegra_email is not None:
        row.alegra_email = alegra_email
    if alegra_token is not None:
        row.alegra_token = vault.encrypt(alegra_token)
    if handy_token is not None:
        row.handy_token = vault.encrypt(handy_token)
    row.updated_at = now
    return row


def remember_external_id_form(session: Session, account_id: int, kind: str, form: str) -> None:
    """Store the ``externalId`` form Handy took for ``kind`` (``order`` or ``product``)."""
    row = session.get(Account, account_id)
    if row is not None:
        setattr(row, FORM_COLUMNS[kind], form)


def parse_regime(text: str) -> str:
    value = text.strip().upper()
    if value not in CO_REGIMES:
        raise AccountError("error.regime", regime=text, regimes=", ".join(CO_REGIMES))
    return value


def remove(session: Session, name: str) -> None:
    session.delete(find_row(session, name))


def check_key(session: Session, vault: Vault) -> None:
    """Raise ``VaultError`` unless the vault opens every stored secret (a wrong or missing key
    found at start, not at the first sync)."""
    failing = []
    for name, *ciphertexts in session.execute(
        select(Account.name, Account.alegra_token, Account.handy_token).order_by(Account.name)
    ):
        try:
            for ciphertext in ciphertexts:
                vault.decrypt(ciphertext)
        except VaultError:
            failing.append(name)
    if failing:
        names = ", ".join(failing[:5])
        shown = Said("error.vault.and_more", shown=names, count=len(failing) - 5)
        raise VaultError(
            "error.vault.wrong_key_accounts",
            count=len(failing),
            shown=shown if len(failing) > 5 else names,
            source=vault.source,
            env=SECRET_KEY_ENV,
        )


def rotate_secrets(session: Session, vault: Vault) -> int:
    """Re-encrypt every stored secret with the newest key; returns the accounts touched."""
    count = 0
    for row in session.scalars(select(Account)):
        row.alegra_token = vault.rotate(row.alegra_token)
        row.handy_token = vault.rotate(row.handy_token)
        count += 1
    return count
