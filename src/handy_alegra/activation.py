"""Activation: check what a company handed over against both APIs, then store the account.

Nothing is stored unless every check passes. Each failure says what to fix, in words an
operator can act on; no message ever contains a token.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from handy_alegra import accounts, doctor
from handy_alegra.accounts import AccountConfig, AccountError
from handy_alegra.clients.alegra import DEFAULT_BASE_URL as ALEGRA_URL
from handy_alegra.clients.alegra import AlegraClient
from handy_alegra.clients.alegra_records import PriceList, Warehouse
from handy_alegra.clients.handy import DEFAULT_BASE_URL as HANDY_URL
from handy_alegra.clients.handy import HandyClient
from handy_alegra.clients.handy_records import Named
from handy_alegra.errors import ApiError, AuthenticationError, TransientError
from handy_alegra.mapping.clients import DEFAULT_REGIME
from handy_alegra.runtime import Runtime

PERSON_CATEGORIES = ("Persona jurídica", "Persona natural")
T = TypeVar("T")


class ActivationError(AccountError):
    pass


@dataclass(frozen=True)
class Credentials:
    alegra_email: str
    alegra_token: str
    handy_token: str
    alegra_url: str = ALEGRA_URL
    handy_url: str = HANDY_URL


@dataclass(frozen=True)
class Checked:
    company_name: str
    company_country: str | None
    price_list: PriceList
    warehouse: Warehouse | None
    warnings: list[str] = field(default_factory=list)
    probes: list[doctor.Check] = field(default_factory=list)  # the guessed Handy endpoints
    categories_checked: bool = False  # Colombia: Handy's person categories were found

    def all_warnings(self, lang: str | None = None) -> list[str]:
        """The warnings, then one line per guessed Handy endpoint that Handy refused."""
        return [*self.warnings, *(p.line(lang) for p in self.probes if p.failed)]


def check(
    runtime: Runtime,
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
    warnings: list[str] = []
    company = _call(
        "Alegra",
        alegra.company,
        "check the user e-mail and the API token (Alegra › Configuración › API – Integraciones "
        "con otros sistemas)",
    )
    token = doctor.handy_token(handy)  # on the endpoint Handy documents for it
    if token.failed:
        raise ActivationError(token.line(lang))
    probes = doctor.handy_guesses(handy)
    if company.country and company.country != country:
        warnings.append(
            f"the Alegra company is from {company.country} but the account says {country}; "
            f"country-specific rules follow {country}"
        )
    lists = [p for p in _call("Alegra", alegra.list_price_lists, "") if isinstance(p, PriceList)]
    chosen = resolve_price_list(lists, price_list)
    if chosen.status != "active":
        warnings.append(f"the price list {chosen.name!r} is {chosen.status} in Alegra")
    found_warehouse = None
    if warehouse:
        stores = _call("Alegra", alegra.list_warehouses, "")
        found_warehouse = resolve_warehouse(
            [w for w in stores if isinstance(w, Warehouse)], warehouse
        )
    categories_checked = False
    if country == "CO" and not any(p.key == "handy.customerCategory" and p.failed for p in probes):
        categories = _call("Handy", handy.list_customer_categories, "")
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
        raise ActivationError(str(exc)) from None


def _clients(runtime: Runtime, creds: Credentials) -> tuple[AlegraClient, HandyClient]:
    """The two API clients, once both base URLs are safe to send the tokens to."""
    insecure = runtime.settings.allow_insecure_http
    alegra_url = _checked(
        accounts.check_url, creds.alegra_url, "the Alegra API URL", allow_insecure=insecure
    )
    handy_url = _checked(
        accounts.check_url, creds.handy_url, "the Handy API URL", allow_insecure=insecure
    )
    return (
        runtime.alegra_client(alegra_url, creds.alegra_email, creds.alegra_token),
        runtime.handy_client(handy_url, creds.handy_token),
    )


def _call(api: str, call: Callable[[], T], fix: str) -> T:
    try:
        return call()
    except AuthenticationError as exc:
        status = f" ({exc.status})" if exc.status else ""
        hint = f": {fix}" if fix else ""
        raise ActivationError(f"{api} refused the credentials{status}{hint}") from None
    except TransientError as exc:
        raise ActivationError(f"could not reach {api}: {exc.message}; try again later") from None
    except ApiError as exc:
        raise ActivationError(f"{api} answered an error: {exc}") from None


def price_lists(runtime: Runtime, creds: Credentials) -> list[PriceList]:
    """The company's price lists (for a drop-down), checking the Alegra credentials."""
    alegra, _ = _clients(runtime, creds)
    found = _call("Alegra", alegra.list_price_lists, "check the user e-mail and the API token")
    return [p for p in found if isinstance(p, PriceList)]


def resolve_price_list(lists: list[PriceList], wanted: str) -> PriceList:
    """By id, else by exact name; the error lists the lists that exist."""
    wanted = wanted.strip()
    for found in ([p for p in lists if p.id == wanted], [p for p in lists if p.name == wanted]):
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            ids = ", ".join(p.id for p in found)
            raise ActivationError(
                f"several price lists are named {wanted!r} (ids {ids}); use the id"
            )
    existing = "; ".join(f"{p.id} — {p.name}" for p in lists) or "none"
    raise ActivationError(f"no Alegra price list has the id or name {wanted!r}. Lists: {existing}")


def resolve_warehouse(warehouses: list[Warehouse], wanted: str) -> Warehouse:
    for found in (
        [w for w in warehouses if w.id == wanted],
        [w for w in warehouses if w.name == wanted],
    ):
        if len(found) == 1:
            return found[0]
    existing = "; ".join(f"{w.id} — {w.name}" for w in warehouses) or "none"
    raise ActivationError(
        f"no Alegra warehouse has the id or name {wanted!r}. Warehouses: {existing}"
    )


def check_person_categories(categories: list[Named]) -> None:
    present = {c.description for c in categories}
    for name in PERSON_CATEGORIES:
        if name not in present:
            raise ActivationError(
                f"Handy has no customer category named {name!r}, which Colombian accounts need "
                "to tell legal entities from natural persons. Create it in Handy (Clientes › "
                f"Categorías) with exactly that name, accent included, then try again."
            )


def parse_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ActivationError(
            f"unknown time zone {name!r} (use an IANA name such as America/Mexico_City)"
        ) from None
    return name


def parse_daily_at(text: str) -> str:
    hour, _, minute = text.strip().partition(":")
    if not (hour.isdigit() and minute.isdigit() and int(hour) < 24 and int(minute) < 60):
        raise ActivationError(f"the daily time must be HH:MM (24 h), not {text!r}")
    return f"{int(hour):02d}:{int(minute):02d}"


def activate(
    runtime: Runtime,
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
        raise ActivationError("the sales interval must be at least 1 minute")
    with runtime.store.session() as session:
        if name in accounts.names(session):
            raise ActivationError(f"an account named {name!r} already exists; use `accounts edit`")
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
