"""``AlegraClient``: every Alegra call this service makes, and the one place that encodes
what we assume about Alegra's API (DECISIONS.md, Alegra table)."""

from __future__ import annotations

import base64
from collections.abc import Iterator, Mapping
from datetime import date
from typing import Any
from urllib.parse import quote

from pydantic import SecretStr

from handy_alegra.clients.http import Client, Response
from handy_alegra.clients.pages import offset_pages
from handy_alegra.clients.ratelimit import RateInfo, RateLimiter, limiter_for
from handy_alegra.clients.requester import (
    ApiProfile,
    ErrorDetails,
    Requester,
    RetryPolicy,
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
from handy_alegra.records.alegra import (
    Company,
    Contact,
    Item,
    PriceList,
    Remission,
    Seller,
    Tax,
    Warehouse,
    WebhookSubscription,
)
from handy_alegra.records.drafts import ContactDraft, RemissionDraft
from handy_alegra.records.wire import R, parse_one, parse_record

API = "alegra"
DEFAULT_BASE_URL = "https://api.alegra.com/api/v1"
PAGE_SIZE = 30  # Alegra's maximum; more is a 400
RATE_LIMIT = 150  # requests per window per user
RATE_WINDOW = 60.0  # seconds

#: HTTP status → error class (5xx not listed are transient, other 4xx validation).
STATUS_ERRORS: dict[int, type[ApiError]] = {
    400: ValidationError,
    401: AuthenticationError,
    402: AuthenticationError,  # the plan does not include the API, or the account is suspended
    403: AuthenticationError,  # the user lacks permission (or a wrong path)
    404: NotFoundError,
    409: ValidationError,
    422: ValidationError,
    429: RateLimitedError,
    500: TransientError,
    502: TransientError,
    503: TransientError,
    504: TransientError,
}

#: Alegra Colombia's ``regime`` values (alegra.md §9, from Alegra's Colombia catalog; the
#: misspelt ``NOT_REPONSIBLE_FOR_CONSUMPTION`` is Alegra's own spelling).
CO_REGIMES = (
    "SIMPLIFIED_REGIME",
    "COMMON_REGIME",
    "NOT_REPONSIBLE_FOR_CONSUMPTION",
    "SPECIAL_REGIME",
    "NATIONAL_CONSUMPTION_TAX",
    "INC_IVA_RESPONSIBLE",
)

WEBHOOK_EVENTS = (
    "new-item",
    "edit-item",
    "delete-item",
    "new-client",
    "edit-client",
    "delete-client",
)


#: Alegra's code for "Ya existe un contacto con la identificación …" (public integrations
#: record the answer: ``{"code": 2006, "message", "contactId", "contactName", …}``).
REPEATED_IDENTIFICATION = 2006


class RepeatedIdentification(ValidationError):
    """Alegra refused a contact because another one (``contact_id``) has its identification."""

    def __init__(
        self, message: str, *, contact_id: str, contact_name: str | None, **kw: Any
    ) -> None:
        self.contact_id = contact_id
        self.contact_name = contact_name
        super().__init__(message, **kw)

    @classmethod
    def of(cls, error: ValidationError) -> RepeatedIdentification | None:
        body = error.body
        if isinstance(body, dict) and isinstance(body.get("error"), dict):
            body = body["error"]
        if not isinstance(body, dict) or str(body.get("code")) != str(REPEATED_IDENTIFICATION):
            return None
        contact_id = body.get("contactId")
        if isinstance(contact_id, bool) or not isinstance(contact_id, str | int):
            return None
        name = body.get("contactName")
        return cls(
            error.message,
            contact_id=str(contact_id),
            contact_name=name if isinstance(name, str) else None,
            api=error.api,
            method=error.method,
            path=error.path,
            status=error.status,
            fields=error.fields,
            body=error.body,
        )


def error_details(response: Response) -> ErrorDetails:
    """``{"code", "message"}``, ``{"error": "..."}`` or ``{"error": {"message", "code"}}``."""
    try:
        body = response.json()
    except ValueError:
        return response.reason_phrase or f"HTTP {response.status_code}", ()
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        body = body["error"]
    if not isinstance(body, dict):
        return f"HTTP {response.status_code}", ()
    message = body.get("message") or body.get("error") or f"HTTP {response.status_code}"
    fields: list[FieldMessage] = []
    details = body.get("details")
    if isinstance(details, dict):
        fields = [FieldMessage(str(k), str(v)) for k, v in details.items()]
    elif isinstance(details, list):
        fields = [FieldMessage(None, str(d)) for d in details]
    code = body.get("code")
    text = str(message) if code in (None, response.status_code) else f"{message} (código {code})"
    return text, tuple(fields)


def rate_info(response: Response, clock: Clock) -> RateInfo:
    limit = header_number(response, "X-Rate-Limit-Limit")
    remaining = header_number(response, "X-Rate-Limit-Remaining")
    return RateInfo(
        limit=int(limit) if limit else None,
        remaining=None if remaining is None else int(remaining),
        reset_in=header_number(response, "X-Rate-Limit-Reset"),  # seconds left
    )


PROFILE = ApiProfile(API, STATUS_ERRORS, error_details, rate_info)


class AlegraClient:
    """Alegra's API for one company (one user + token), over an injected ``httpx.Client``
    whose base URL ends in ``/api/v1``."""

    def __init__(
        self,
        http: Client,
        *,
        email: str,
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
        basic = base64.b64encode(f"{email}:{secret.get_secret_value()}".encode()).decode()
        self.email = email
        self._auth = SecretStr(f"Basic {basic}")
        self.limiter = limiter or limiter_for(
            API, str(http.base_url), basic, limit=RATE_LIMIT, window=rate_window, clock=self.clock
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
        return f"AlegraClient(email={self.email!r}, base_url={str(self.requester.http.base_url)!r})"

    # --- plumbing -------------------------------------------------------------------------
    def _get(self, path: str, params: Mapping[str, str | int] | None = None) -> Any:
        return self.requester.call("GET", path, params=params)

    def _list(
        self, path: str, model: type[R], kind: str, params: Mapping[str, str | int] | None = None
    ) -> Iterator[R | RecordParseError]:
        def fetch(start: int, limit: int) -> tuple[list[Any], int | None]:
            query = {**(params or {}), "start": start, "limit": limit, "metadata": "true"}
            page = self._get(path, query)
            return _unwrap_list(page, path), _total(page)

        for raw in offset_pages(
            fetch, page_size=PAGE_SIZE, what=kind, api=API, ahead=self.read_ahead
        ):
            yield parse_record(model, kind, raw)

    # --- company, catalog -------------------------------------------------------------------
    def company(self) -> Company:
        return parse_one(Company, "company", self._get("company"))

    def iter_items(
        self,
        *,
        status: str | None = None,
        inventariable: bool | None = None,
        reference: str | None = None,
        name: str | None = None,
        query: str | None = None,
        item_category_id: str | None = None,
        price_list_id: str | None = None,
    ) -> Iterator[Item | RecordParseError]:
        """Every item (all pages), each a parsed ``Item`` or the reason it could not be read."""
        params = _filters(
            status=status,
            inventariable=None if inventariable is None else str(inventariable).lower(),
            reference=reference,
            name=name,
            query=query,
            idItemCategory=item_category_id,
            pricelistId=price_list_id,
        )
        return self._list("items", Item, "item", {**params, "order_field": "id"})

    def get_item(self, item_id: str) -> Item:
        return parse_one(Item, "item", self._get(f"items/{_segment(item_id)}"))

    def list_price_lists(self) -> list[PriceList | RecordParseError]:
        return list(self._list("price-lists", PriceList, "price list"))

    def list_taxes(self) -> list[Tax | RecordParseError]:
        return list(self._list("taxes", Tax, "tax"))

    def list_warehouses(self) -> list[Warehouse | RecordParseError]:
        return list(self._list("warehouses", Warehouse, "warehouse"))

    def list_sellers(self) -> list[Seller | RecordParseError]:
        """Every seller: Alegra answers them all in one unpaginated array."""
        raw = _unwrap_list(self._get("sellers"), "sellers")
        return [parse_record(Seller, "seller", r) for r in raw]

    # --- contacts --------------------------------------------------------------------------
    def iter_contacts(
        self,
        *,
        type: str | None = None,
        name: str | None = None,
        identification: str | None = None,
    ) -> Iterator[Contact | RecordParseError]:
        """Contacts, all pages. ``name`` is Alegra's case-insensitive *contains* filter:
        callers that want an exact name compare it themselves."""
        params = _filters(type=type, name=name, identification=identification)
        return self._list("contacts", Contact, "contact", {**params, "order_field": "id"})

    def get_contact(self, contact_id: str) -> Contact:
        return parse_one(Contact, "contact", self._get(f"contacts/{_segment(contact_id)}"))

    def create_contact(self, draft: ContactDraft) -> Contact:
        """POST a contact. Alegra's refusal of an identification it already has (400, code
        2006) raises ``RepeatedIdentification`` naming the contact that has it."""
        try:
            raw = self.requester.call("POST", "contacts", body=draft.to_wire())
        except ValidationError as exc:
            raise RepeatedIdentification.of(exc) or exc from None
        return parse_one(Contact, "contact", raw)

    # --- remissions ------------------------------------------------------------------------
    def create_remission(self, draft: RemissionDraft) -> Remission:
        """POST a remission. Never retried unless the server certainly refused it (429):
        any unknown outcome raises ``AmbiguousWriteError`` for the caller to resolve."""
        raw = self.requester.call("POST", "remissions", body=draft.to_wire())
        return parse_one(Remission, "remission", raw)

    def get_remission(self, remission_id: str) -> Remission:
        return parse_one(Remission, "remission", self._get(f"remissions/{_segment(remission_id)}"))

    def iter_remissions(
        self,
        *,
        client_id: str | None = None,
        on: date | None = None,
        after: date | None = None,
        before: date | None = None,
        status: str | None = None,
        number: str | None = None,
    ) -> Iterator[Remission | RecordParseError]:
        """Remissions, newest first; ``after``/``before`` are inclusive."""
        params = _filters(
            client_id=client_id,
            date=on.isoformat() if on else None,
            date_after=after.isoformat() if after else None,
            date_before=before.isoformat() if before else None,
            status=status,
            number=number,
        )
        return self._list("remissions", Remission, "remission", params)

    def update_remission(self, remission_id: str, draft: RemissionDraft) -> Remission:
        raw = self.requester.call(
            "PUT", f"remissions/{_segment(remission_id)}", body=draft.to_wire()
        )
        return parse_one(Remission, "remission", raw)

    def void_remission(self, remission_id: str) -> Remission | None:
        """Void (anular) a remission. Voiding twice has the same effect, so it is retried."""
        raw = self.requester.call(
            "POST", f"remissions/{_segment(remission_id)}/void", idempotent=True
        )
        return (
            parse_one(Remission, "remission", raw)
            if isinstance(raw, dict) and "id" in raw
            else None
        )

    # --- webhooks --------------------------------------------------------------------------
    def create_webhook(self, event: str, url: str) -> WebhookSubscription:
        """Subscribe ``url`` (sent without its scheme, as Alegra wants) to ``event``."""
        if event not in WEBHOOK_EVENTS:
            raise ValueError(f"unknown webhook event {event!r}")
        bare = url.split("://", 1)[-1]
        raw = self.requester.call(
            "POST", "webhooks/subscriptions", body={"event": event, "url": bare}
        )
        found = raw.get("subscription", raw) if isinstance(raw, dict) else raw
        return parse_one(WebhookSubscription, "webhook subscription", found)

    def list_webhooks(self) -> list[WebhookSubscription | RecordParseError]:
        raw = self._get("webhooks/subscriptions")
        records = raw.get("subscriptions", []) if isinstance(raw, dict) else raw
        return [parse_record(WebhookSubscription, "webhook subscription", r) for r in records or []]

    def delete_webhook(self, subscription_id: str) -> None:
        self.requester.call("DELETE", f"webhooks/subscriptions/{_segment(subscription_id)}")


def _filters(**values: str | None) -> dict[str, str | int]:
    return {k: v for k, v in values.items() if v is not None}


def _segment(value: str) -> str:
    return quote(str(value), safe="")


def _total(page: Any) -> int | None:
    """The record count of ``{"metadata": {"total": n}}`` or ``{"total": "n"}`` (taxes)."""
    if not isinstance(page, dict):
        return None
    value = (page.get("metadata") or {}).get("total", page.get("total"))
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _unwrap_list(page: Any, path: str) -> list[Any]:
    """A bare array, ``{"data": [...]}``, ``{"results": [...]}`` (taxes) or a single object."""
    if isinstance(page, list):
        return page
    if isinstance(page, dict):
        for key in ("data", "results"):
            if isinstance(page.get(key), list):
                return list(page[key])
    raise TransientError(f"the {path} listing did not answer a list", api=API, path=path)
