"""``HandyClient``: every Handy call this service makes, and the one place that encodes what
we assume about Handy's API v2 (DECISIONS.md, Handy table)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from pydantic import SecretStr

from handy_alegra.clients.http import Client, Response
from handy_alegra.clients.pages import numbered_pages
from handy_alegra.clients.ratelimit import RateInfo, RateLimiter, limiter_for
from handy_alegra.clients.requester import (
    ApiProfile,
    ErrorDetails,
    Requester,
    RetryPolicy,
    header_date,
    header_number,
)
from handy_alegra.domain.clock import Clock, SystemClock
from handy_alegra.domain.errors import (
    ApiError,
    AuthenticationError,
    FieldMessage,
    NotFoundError,
    RateLimitedError,
    RecordParseError,
    TransientError,
    ValidationError,
)
from handy_alegra.records.drafts import CustomerDraft, ProductDraft, handy_patch
from handy_alegra.records.handy import Customer, Named, Product, SalesOrder
from handy_alegra.records.wire import R, parse_one, parse_record

API = "handy"
DEFAULT_BASE_URL = "https://hub.handy.la/api/v2"
PAGE_SIZE = 100  # Handy's maximum `max`
RATE_LIMIT = 500  # requests per window per token
RATE_WINDOW = 60.0
#: Seconds by which Handy's clock (its ``Date`` header, truncated to the second, read after the
#: network's delay) and ours may differ and still be taken to agree.
CLOCK_TOLERANCE = 2.0
#: Handy reads and writes request dates as wall time in Mexico City.
WALL_TIME_ZONE = ZoneInfo("America/Mexico_City")
DATE_FORMAT = "%d/%m/%Y %H:%M:%S"

#: Listings this service reads that no public Handy material confirms (handy.md §14,
#: DECISIONS.md): (path, the list's key). ``accounts doctor`` and activation probe each one.
GUESSED_LISTS = (
    ("family", "families"),
    ("zone", "zones"),
    ("customerCategory", "customerCategories"),
)
#: The customer field this service reads the RFC (Mexico) or NIT (Colombia) from: a guess.
TAX_ID_KEY = "rfc"

STATUS_ERRORS: dict[int, type[ApiError]] = {
    400: ValidationError,
    401: AuthenticationError,
    403: AuthenticationError,
    404: NotFoundError,
    409: ValidationError,
    422: ValidationError,
    429: RateLimitedError,
    500: TransientError,
    502: TransientError,
    503: TransientError,
    504: TransientError,
}


def error_details(response: Response) -> ErrorDetails:
    """422 ``{"errors": [{object, field, rejected-value, message}]}`` (or one such entry
    alone, as the SDK also models it); else ``{"message"}``."""
    try:
        body = response.json()
    except ValueError:
        return response.reason_phrase or f"HTTP {response.status_code}", ()
    if not isinstance(body, dict):
        return f"HTTP {response.status_code}", ()
    if "errors" not in body and "field" in body and "rejected-value" in body:
        body = {"errors": [body]}
    errors = body.get("errors")
    if isinstance(errors, list) and errors:
        fields = tuple(
            FieldMessage(
                str(e.get("field")) if e.get("field") is not None else None,
                str(e.get("message", "")),
                None if e.get("rejected-value") is None else str(e.get("rejected-value"))[:80],
            )
            for e in errors
            if isinstance(e, dict)
        )
        return "Handy rejected the data", fields
    return str(body.get("message") or f"HTTP {response.status_code}"), ()


def rate_info(response: Response, clock: Clock) -> RateInfo:
    limit = header_number(response, "X-RateLimit-Limit")
    remaining = header_number(response, "X-RateLimit-Remaining")
    reset = header_number(response, "X-RateLimit-Reset")  # Unix seconds, on Handy's clock
    return RateInfo(
        limit=int(limit) if limit else None,
        remaining=None if remaining is None else int(remaining),
        reset_in=None if reset is None else reset - handy_now(response, clock),
    )


def handy_now(response: Response, clock: Clock) -> float:
    """Now on Handy's clock, to compare its reset timestamp with: ours (precise) while the
    answer's ``Date`` agrees with it; the ``Date`` itself when the clocks differ by more than
    ``CLOCK_TOLERANCE`` — whole seconds, truncated, so the wait it gives can be up to a second
    long but never short. Without a ``Date`` header, ours (the limiter caps a reset at one
    window, so a clock far behind costs at most a window)."""
    ours = clock.now().timestamp()
    served = header_date(response)
    if served is not None and abs(served - ours) > CLOCK_TOLERANCE:
        return served
    return ours


PROFILE = ApiProfile(API, STATUS_ERRORS, error_details, rate_info)


def wall_time(moment: datetime) -> str:
    """An aware datetime as Handy's request date: ``dd/MM/yyyy HH:mm:ss``, Mexico City time."""
    if moment.tzinfo is None:
        raise ValueError("Handy window bounds must be timezone-aware")
    return moment.astimezone(WALL_TIME_ZONE).strftime(DATE_FORMAT)


def code_segment(code: str) -> str:
    """A product or customer code as a URL path segment. Handy cannot address a code with
    ``/`` (its router splits on it), so such codes are refused before any call."""
    if "/" in code:
        raise ValueError(f"Handy cannot address the code {code!r}: it contains '/'")
    return quote(code, safe="")


class HandyClient:
    """Handy's API v2 for one company token, over an injected ``httpx.Client`` whose base
    URL ends in ``/api/v2``."""

    def __init__(
        self,
        http: Client,
        *,
        token: str | SecretStr,
        clock: Clock | None = None,
        limiter: RateLimiter | None = None,
        retry: RetryPolicy | None = None,
        rate_window: float = RATE_WINDOW,
        read_ahead: int = 1,
        allow_plain_http: bool = False,
    ) -> None:
        self.clock = clock or SystemClock()
        self.read_ahead = read_ahead
        secret = token if isinstance(token, SecretStr) else SecretStr(token)
        self._auth = SecretStr(f"Bearer {secret.get_secret_value()}")
        self.limiter = limiter or limiter_for(
            API,
            str(http.base_url),
            secret.get_secret_value(),
            limit=RATE_LIMIT,
            window=rate_window,
            clock=self.clock,
        )
        self.requester = Requester(
            http,
            PROFILE,
            self._auth.get_secret_value,
            self.limiter,
            self.clock,
            retry,
            allow_plain_http=allow_plain_http,
        )

    def __repr__(self) -> str:
        return f"HandyClient(base_url={str(self.requester.http.base_url)!r})"

    # --- plumbing -------------------------------------------------------------------------
    def _get(self, path: str, params: Mapping[str, str | int] | None = None) -> Any:
        return self.requester.call("GET", path, params=params)

    def _pages(self, path: str, key: str, params: Mapping[str, str | int]) -> Iterator[Any]:
        def fetch(page: int) -> tuple[list[Any], bool, int | None]:
            body = self._get(path, {**params, "page": page, "max": PAGE_SIZE})
            if not isinstance(body, dict) or not isinstance(body.get(key), list):
                raise TransientError(f"the {path} listing has no '{key}' list", api=API, path=path)
            pagination = body.get("pagination") or {}
            pages = pagination.get("totalPages")
            total = pages if isinstance(pages, int) and not isinstance(pages, bool) else None
            return list(body[key]), bool(pagination.get("nextPage")), total

        return numbered_pages(fetch, what=path, api=API, ahead=self.read_ahead)

    def _list(
        self,
        path: str,
        key: str,
        model: type[R],
        kind: str,
        *,
        enabled: bool | None = True,
        updated_between: tuple[datetime, datetime] | None = None,
        extra: Mapping[str, str | int] | None = None,
    ) -> Iterator[R | RecordParseError]:
        """A catalog listing. Handy lists only enabled records unless asked for the disabled
        ones, so ``enabled=None`` walks both listings."""
        params: dict[str, str | int] = dict(extra or {})
        if updated_between:
            start, end = updated_between
            params.update(filterWithDate="lastUpdated", start=wall_time(start), end=wall_time(end))
        for flag in ("true", "false") if enabled is None else (str(enabled).lower(),):
            for raw in self._pages(path, key, {**params, "enabled": flag}):
                yield parse_record(model, kind, raw)

    def _write(self, method: str, path: str, body: Any, model: type[R], kind: str) -> R:
        return parse_one(model, kind, self.requester.call(method, path, body=body))

    # --- probes (read-only) -----------------------------------------------------------------
    def check_token(self) -> None:
        """``GET /user``, one record: the token test of Handy's API guide (the documented way
        to check credentials); raises ``AuthenticationError`` on a bad token."""
        self._get("user", {"page": 1, "max": 1})

    def read(self, path: str, params: Mapping[str, str | int] | None = None) -> Any:
        """One raw GET (for the read-only probes of ``doctor``)."""
        return self._get(path, params)

    # --- products and families -----------------------------------------------------------
    def iter_products(
        self,
        *,
        enabled: bool | None = True,
        updated_between: tuple[datetime, datetime] | None = None,
    ) -> Iterator[Product | RecordParseError]:
        return self._list(
            "product",
            "products",
            Product,
            "product",
            enabled=enabled,
            updated_between=updated_between,
        )

    def get_product(self, code: str) -> Product:
        return parse_one(Product, "product", self._get(f"product/{code_segment(code)}"))

    def create_product(self, draft: ProductDraft) -> Product:
        code_segment(draft.code)
        return self._write("POST", "product", draft.to_wire(), Product, "product")

    def update_product(self, code: str, changes: dict[str, Any]) -> Product:
        path = f"product/{code_segment(code)}"
        return self._write("PUT", path, handy_patch(changes), Product, "product")

    def iter_families(self, *, enabled: bool | None = True) -> Iterator[Named | RecordParseError]:
        return self._list("family", "families", Named, "family", enabled=enabled)

    def create_family(self, description: str) -> Named:
        return self._write("POST", "family", {"description": description}, Named, "family")

    # --- customers, zones, categories ------------------------------------------------------
    def iter_customers(
        self,
        *,
        enabled: bool | None = True,
        updated_between: tuple[datetime, datetime] | None = None,
    ) -> Iterator[Customer | RecordParseError]:
        return self._list(
            "customer",
            "customers",
            Customer,
            "customer",
            enabled=enabled,
            updated_between=updated_between,
        )

    def get_customer(self, code: str) -> Customer:
        return parse_one(Customer, "customer", self._get(f"customer/{code_segment(code)}"))

    def create_customer(self, draft: CustomerDraft) -> Customer:
        code_segment(draft.code)
        return self._write("POST", "customer", draft.to_wire(), Customer, "customer")

    def update_customer(self, code: str, changes: dict[str, Any]) -> Customer:
        path = f"customer/{code_segment(code)}"
        return self._write("PUT", path, handy_patch(changes), Customer, "customer")

    def iter_zones(self, *, enabled: bool | None = True) -> Iterator[Named | RecordParseError]:
        return self._list("zone", "zones", Named, "zone", enabled=enabled)

    def create_zone(self, description: str) -> Named:
        return self._write("POST", "zone", {"description": description}, Named, "zone")

    def list_customer_categories(self) -> list[Named | RecordParseError]:
        return list(
            self._list(
                "customerCategory", "customerCategories", Named, "customer category", enabled=None
            )
        )

    # --- sales orders ----------------------------------------------------------------------
    def iter_sales_orders(
        self, start: datetime, end: datetime, *, deleted: bool = False
    ) -> Iterator[SalesOrder | RecordParseError]:
        """Orders created (or, with ``deleted``, deleted) in ``[start, end]`` (inclusive)."""
        params: dict[str, str | int] = {
            "start": wall_time(start),
            "end": wall_time(end),
            "deleted": str(deleted).lower(),
            "filterWithDate": "dateDeleted" if deleted else "dateCreated",
        }
        for raw in self._pages("salesOrder", "salesOrders", params):
            yield parse_record(SalesOrder, "sales order", raw)

    def get_sales_order(self, order_id: str) -> SalesOrder:
        raw = self._get(f"salesOrder/{quote(str(order_id), safe='')}")
        return parse_one(SalesOrder, "sales order", raw)

    def set_order_external_id(self, order_id: str, external_id: str | int) -> None:
        """Write the Alegra remission back on the Handy order (idempotent PUT): its id as
        text, or its number as an integer where Handy wants one (``mapping.write_back``)."""
        self.requester.call(
            "PUT", f"salesOrder/{quote(str(order_id), safe='')}", body={"externalId": external_id}
        )
