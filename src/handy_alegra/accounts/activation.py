"""Activation: check what a company handed over against both APIs, then store the account.

Nothing is stored unless every check passes. Each failure says what to fix, in words an
operator can act on; no message ever contains a token.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from handy_alegra.accounts import doctor
from handy_alegra.accounts import registry as accounts
from handy_alegra.accounts.context import Context
from handy_alegra.accounts.registry import AccountConfig, AccountError
from handy_alegra.clients.alegra import DEFAULT_BASE_URL as ALEGRA_URL
from handy_alegra.clients.alegra import AlegraClient
from handy_alegra.clients.handy import DEFAULT_BASE_URL as HANDY_URL
from handy_alegra.clients.handy import HandyClient
from handy_alegra.domain.errors import ApiError, AuthenticationError, TransientError
from handy_alegra.mapping.clients import DEFAULT_REGIME
from handy_alegra.messages import Said
from handy_alegra.records.alegra import PriceList, Warehouse
from handy_alegra.records.handy import Named

PERSON_CATEGORIES = ("Persona jurídica", "Persona natural")
T = TypeVar("T")


class ActivationError(AccountError):
    pass


@dataclass(frozen=True)
class Credentials:
    """What reaches both APIs for one company. Made by ``given`` (what a person typed: a
    command's options, the activation form, the demo) or ``of`` (an account's, with changes):
    trimmed, and the production URLs when none is given."""

    alegra_email: str
    alegra_token: str
    handy_token: str
    alegra_url: str = ALEGRA_URL
    handy_url: str = HANDY_URL

    @classmethod
    def given(
        cls,
        alegra_email: str,
        alegra_token: str,
        handy_token: str,
        alegra_url: str | None = None,
        handy_url: str | None = None,
    ) -> Credentials:
        return cls(
            alegra_email.strip(),
            alegra_token.strip(),
            handy_token.strip(),
            (alegra_url or "").strip() or ALEGRA_URL,
            (handy_url or "").strip() or HANDY_URL,
        )

    @classmethod
    def of(cls, account: AccountConfig, **changes: str | None) -> Credentials:
        """The account's credentials, with the non-empty ``changes`` (same names) instead."""
        current = {
            "alegra_email": account.alegra_email,
            "alegra_token": account.alegra_token.get_secret_value(),
            "handy_token": account.handy_token.get_secret_value(),
            "alegra_url": account.alegra_url,
            "handy_url": account.handy_url,
        }
        return cls.given(**{k: changes.get(k) or v for k, v in current.items()})


@dataclass(frozen=True)
class Checked:
    company_name: str
    company_country: str | None
    price_list: PriceList
    warehouse: Warehouse | None
    warnings: list[Said] = field(default_factory=list)
    probes: list[doctor.Check] = field(default_factory=list)  # the guessed Handy endpoints
    categories_checked: bool = False  # Colombia: Handy's person categories were found

    def all_warnings(self, lang: str | None = None) -> list[str]:
        """The warnings, then one line per guessed Handy endpoint that Handy refused."""
        return [
            *(w.text(lang) for w in self.warnings),
            *(p.line(lang) for p in self.probes if p.failed),
        ]


def check(
    runtime: Context,
    creds: Credentials,
    *,
    country: str,
    price_list: str,
    warehouse: str | None = None,
    lang: str | None = None,
) -> Checked:
    """Check the credentials (Handy's on ``GET /user``), the price list, the company's
    country, the warehouse and (for Colombia) Handy's person categories; probe the guessed
    Handy endpoints read-only (a refusal is a warning naming the endpoint and the answer).
    Raises ``ActivationError`` with what to fix (Handy's lines in ``lang``)."""
    country = _checked(accounts.check_country, country)
    alegra, handy = _clients(runtime, creds)
    warnings: list[Said] = []
    company = _call("Alegra", alegra.company, "error.fix.alegra_credentials")
    token = doctor.handy_token(handy)  # on the endpoint Handy documents for it
    if token.failed:
        raise ActivationError("error.check", check=token)
    probes = doctor.handy_guesses(handy)
    if company.country and company.country != country:
        warnings.append(Said("warning.country_differs", found=company.country, wanted=country))
    lists = [p for p in _call("Alegra", alegra.list_price_lists) if isinstance(p, PriceList)]
    chosen = resolve_price_list(lists, price_list)
    if chosen.status != "active":
        warnings.append(Said("warning.price_list_status", name=chosen.name, status=chosen.status))
    found_warehouse = None
    if warehouse:
        stores = _call("Alegra", alegra.list_warehouses)
        found_warehouse = resolve_warehouse(
            [w for w in stores if isinstance(w, Warehouse)], warehouse
        )
    categories_checked = False
    if country == "CO" and not any(p.key == "handy.customerCategory" and p.failed for p in probes):
        categories = _call("Handy", handy.list_customer_categories)
        check_person_categories([c for c in categories if isinstance(c, Named)])
        categories_checked = True
    return Checked(
        company.name,
        company.country,
        chosen,
        found_warehouse,
        warnings,
        probes,
        categories_checked,
    )


def _checked(check: Callable[..., str], *args: str, **options: bool) -> str:
    try:
        return check(*args, **options)
    except AccountError as exc:
        raise ActivationError(exc.key, **exc.values) from None


def _clients(runtime: Context, creds: Credentials) -> tuple[AlegraClient, HandyClient]:
    """The two API clients, once both base URLs are safe to send the tokens to."""
    insecure = runtime.settings.allow_insecure_http
    alegra_url = _checked(accounts.check_url, creds.alegra_url, "alegra", allow_insecure=insecure)
    handy_url = _checked(accounts.check_url, creds.handy_url, "handy", allow_insecure=insecure)
    return (
        runtime.alegra_client(alegra_url, creds.alegra_email, creds.alegra_token),
        runtime.handy_client(handy_url, creds.handy_token),
    )


def _call(api: str, call: Callable[[], T], fix: str | None = None) -> T:
    """``call()``; an API's refusal is an ``ActivationError`` saying what to fix (``fix``: the
    catalog key of the hint for refused credentials)."""
    try:
        return call()
    except AuthenticationError as exc:
        status = f" ({exc.status})" if exc.status else ""
        hint: str | Said = Said(fix) if fix else ""
        raise ActivationError(
            "error.refused_credentials", api=api, status=status, hint=hint
        ) from None
    except TransientError as exc:
        raise ActivationError("error.unreachable", api=api, message=exc.message) from None
    except ApiError as exc:
        raise ActivationError("error.api", api=api, error=str(exc)) from None


def price_lists(runtime: Context, creds: Credentials) -> list[PriceList]:
    """The company's price lists (for a drop-down), checking the Alegra credentials."""
    alegra, _ = _clients(runtime, creds)
    found = _call("Alegra", alegra.list_price_lists, "error.fix.alegra_user")
    return [p for p in found if isinstance(p, PriceList)]


def resolve_price_list(lists: list[PriceList], wanted: str) -> PriceList:
    """By id, else by exact name; the error lists the lists that exist."""
    wanted = wanted.strip()
    for found in ([p for p in lists if p.id == wanted], [p for p in lists if p.name == wanted]):
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            ids = ", ".join(p.id for p in found)
            raise ActivationError("error.price_list_ambiguous", name=wanted, ids=ids)
    existing = "; ".join(f"{p.id} — {p.name}" for p in lists) or Said("error.none")
    raise ActivationError("error.price_list_unknown", name=wanted, existing=existing)


def resolve_warehouse(warehouses: list[Warehouse], wanted: str) -> Warehouse:
    for found in (
        [w for w in warehouses if w.id == wanted],
        [w for w in warehouses if w.name == wanted],
    ):
        if len(found) == 1:
            return found[0]
    existing = "; ".join(f"{w.id} — {w.name}" for w in warehouses) or Said("error.none")
    raise ActivationError("error.warehouse_unknown", name=wanted, existing=existing)


def check_person_categories(categories: list[Named]) -> None:
    present = {c.description for c in categories}
    for name in PERSON_CATEGORIES:
        if name not in present:
            raise ActivationError("error.person_category", name=name)


def parse_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ActivationError("error.timezone", zone=name) from None
    return name


def parse_daily_at(text: str) -> str:
    hour, _, minute = text.strip().partition(":")
    if not (hour.isdigit() and minute.isdigit() and int(hour) < 24 and int(minute) < 60):
        raise ActivationError("error.daily_at", text=text)
    return f"{int(hour):02d}:{int(minute):02d}"


def activate(
    runtime: Context,
    name: str,
    creds: Credentials,
    *,
    country: str,
    price_list: str,
    all_items: bool = False,
    timezone: str = "America/Mexico_City",
    colombia_default_nit: str = "222222222",
    colombia_regime: str = DEFAULT_REGIME,
    sales_since: datetime | None = None,
    warehouse: str | None = None,
    default_zone: str = "Sin vendedor",
    default_family: str = "General",
    daily_at: str = "03:00",
    sales_every: int = 10,
) -> tuple[AccountConfig, Checked]:
    """Check everything, then store the account (nothing is stored on failure)."""
    name = _checked(accounts.check_name, name)
    country = _checked(accounts.check_country, country)
    parse_timezone(timezone)
    colombia_regime = accounts.parse_regime(colombia_regime)
    daily_at = parse_daily_at(daily_at)
    if sales_every < 1:
        raise ActivationError(
            "error.whole", what=Said("error.what.sales_every"), minimum=1, text=str(sales_every)
        )
    with runtime.store.session() as session:
        if name in accounts.names(session):
            raise ActivationError("error.account_exists", name=name)
    checked = check(runtime, creds, country=country, price_list=price_list, warehouse=warehouse)
    now = runtime.clock.now()
    with runtime.store.session() as session:
        row = accounts.insert(
            session,
            runtime.vault,
            name=name,
            alegra_token=creds.alegra_token,
            handy_token=creds.handy_token,
            now=now,
            country=country,
            alegra_url=creds.alegra_url.strip(),
            alegra_email=creds.alegra_email,
            handy_url=creds.handy_url.strip(),
            price_list_id=checked.price_list.id,
            price_list_name=checked.price_list.name,
            all_items=all_items,
            timezone=timezone,
            colombia_default_nit=colombia_default_nit,
            colombia_regime=colombia_regime,
            default_zone=default_zone,
            default_family=default_family,
            warehouse_id=checked.warehouse.id if checked.warehouse else None,
            sales_since=sales_since or now,
            paused=False,
            daily_at=daily_at,
            sales_every=sales_every,
        )
        config = accounts.to_config(row, runtime.vault)
    return config, checked


# --- editing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Edit:
    """What a person asked to change in an account, as typed — a command's options, a form's
    fields. ``None``: leave it as it is. The command line and the dashboard both hand one to
    ``edit``, so they accept and refuse the same values, parsed and checked here once."""

    alegra_email: str | None = None
    alegra_token: str | None = None
    handy_token: str | None = None
    alegra_url: str | None = None
    handy_url: str | None = None
    country: str | None = None
    price_list: str | None = None  # id or exact name
    warehouse: str | None = None  # id or exact name
    all_items: bool | None = None
    timezone: str | None = None
    sales_since: str | None = None  # ISO date-time, in the account's (new) time zone if naive
    daily_at: str | None = None
    sales_every: str | int | None = None
    default_zone: str | None = None
    default_family: str | None = None
    colombia_default_nit: str | None = None
    colombia_regime: str | None = None
    alert_failed_runs: str | int | None = None
    alert_order_minutes: str | int | None = None
    alert_webhook_url: str | None = None  # "": no more webhook alerts
    alert_email: str | None = None  # "": no more e-mail alerts


@dataclass(frozen=True)
class Edited:
    changed: list[str]  # the settings written (sorted); credentials are named "credentials"
    checked: Checked | None  # the live check, when credentials, URLs, country, price list or
    # warehouse changed (its warnings are for the person who asked)


#: Edit fields that need the APIs to agree before anything is stored.
CHECKED = ("alegra_email", "alegra_token", "handy_token", "alegra_url", "handy_url", "country")


def whole(text: str | int, what: str, minimum: int = 1) -> int:
    """A whole number of at least ``minimum``, or ``ActivationError`` naming ``what``."""
    value = str(text).strip()
    if not value.isdigit() or int(value) < minimum:
        raise ActivationError(
            "error.whole", what=Said(f"error.what.{what}"), minimum=minimum, text=str(text)
        )
    return int(value)


def filled(text: str, what: str) -> str:
    """``text``, trimmed, unless that leaves nothing (``ActivationError`` naming ``what``)."""
    if not text.strip():
        raise ActivationError("error.empty", what=Said(f"error.what.{what}"))
    return text.strip()


def parse_since(text: str, timezone: str) -> datetime:
    """An ISO date-time; without a zone, in ``timezone``."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ActivationError("error.since", text=text) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(timezone))


def settings_changes(asked: Edit, current: AccountConfig) -> dict[str, Any]:
    """The stored settings ``asked`` changes, parsed and checked (no API call): the one place
    that says how each editable setting is read."""
    changes: dict[str, Any] = {}
    if asked.country is not None:
        changes["country"] = _checked(accounts.check_country, asked.country)
    if asked.all_items is not None:
        changes["all_items"] = asked.all_items
    if asked.timezone is not None:
        changes["timezone"] = parse_timezone(asked.timezone.strip())
    if asked.sales_since is not None:
        zone = changes.get("timezone", current.timezone)
        changes["sales_since"] = parse_since(asked.sales_since, zone)
    if asked.daily_at is not None:
        changes["daily_at"] = parse_daily_at(asked.daily_at)
    for name in ("sales_every", "alert_failed_runs", "alert_order_minutes"):
        given = getattr(asked, name)
        if given is not None:
            changes[name] = whole(given, name)
    for name in ("default_zone", "default_family", "colombia_default_nit"):
        given = getattr(asked, name)
        if given is not None:
            changes[name] = filled(given, name)
    if asked.colombia_regime is not None:
        changes["colombia_regime"] = _checked(accounts.parse_regime, asked.colombia_regime)
    for name in ("alert_webhook_url", "alert_email"):
        given = getattr(asked, name)
        if given is not None:
            changes[name] = given.strip() or None
    if asked.alegra_url is not None:
        changes["alegra_url"] = asked.alegra_url.strip()
    if asked.handy_url is not None:
        changes["handy_url"] = asked.handy_url.strip()
    if asked.alegra_email is not None:
        changes["alegra_email"] = filled(asked.alegra_email, "alegra_email")
    return changes


def edit(runtime: Context, name: str, asked: Edit, *, lang: str | None = None) -> Edited:
    """Change an account's settings: every value parsed and checked first; new credentials,
    URLs, country, price list or warehouse checked live against both APIs (``check``).
    Nothing is stored unless everything passes (``ActivationError`` says what to fix)."""
    with runtime.store.session() as session:
        current = accounts.load(session, runtime.vault, name)
    changes = settings_changes(asked, current)
    tokens = {"alegra_token": asked.alegra_token, "handy_token": asked.handy_token}
    new_list = asked.price_list is not None and asked.price_list.strip() not in (
        current.price_list_id,
        "",
    )
    checked = None
    if new_list or asked.warehouse or any(getattr(asked, f) is not None for f in CHECKED):
        creds = Credentials.of(
            current,
            alegra_email=changes.get("alegra_email"),
            alegra_token=asked.alegra_token,
            handy_token=asked.handy_token,
            alegra_url=changes.get("alegra_url"),
            handy_url=changes.get("handy_url"),
        )
        checked = check(
            runtime,
            creds,
            country=changes.get("country", current.country),
            price_list=asked.price_list if new_list and asked.price_list else current.price_list_id,
            warehouse=asked.warehouse or None,
            lang=lang,
        )
        if new_list:
            changes.update(
                price_list_id=checked.price_list.id, price_list_name=checked.price_list.name
            )
        if checked.warehouse is not None:
            changes["warehouse_id"] = checked.warehouse.id
    email = changes.pop("alegra_email", None)
    with runtime.store.session() as session:
        accounts.update(
            session, runtime.vault, name, now=runtime.clock.now(), alegra_email=email,
            **{k: v for k, v in tokens.items() if v}, **changes,
        )  # fmt: skip
    named = sorted(changes) + (["credentials"] if email or any(tokens.values()) else [])
    return Edited(named, checked)
