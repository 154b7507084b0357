"""In-memory Alegra API simulator (DECISIONS.md, Alegra table; shapes from alegra.md).

The class holds the state, the pipeline hooks (Basic auth, ``X-Rate-Limit-*`` headers,
``{"code", "message"}`` errors), the admin API used by tests, the seed and the demo, and the
webhook machinery. The HTTP handlers live in ``alegra_routes`` and ``alegra_remissions``.
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
import random
import secrets
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from handy_alegra.clients.http import Request, Response
from handy_alegra.domain.clock import Clock
from handy_alegra.domain.money import to_decimal
from handy_alegra.simulators import alegra_remissions, alegra_routes, alegra_shapes
from handy_alegra.simulators.faults import Faults
from handy_alegra.simulators.ratewindow import WindowState, seconds_text
from handy_alegra.simulators.routing import HttpProblem, Simulator

Record = dict[str, Any]
#: Delivers one webhook: (URL with scheme, JSON body) → HTTP status. Raising counts as failure.
WebhookSender = Callable[[str, bytes], int]

#: Consecutive failed deliveries after which Alegra deletes a subscription.
MAX_DELIVERY_FAILURES = 10

_COMPANIES: dict[str, Record] = {
    "MX": {
        "applicationVersion": "mexico",
        "identification": "DDE190101AB1",
        "currency": {"code": "MXN", "symbol": "$"},
    },
    "CO": {
        "applicationVersion": "colombia",
        "identification": "900123456",
        "currency": {"code": "COP", "symbol": "$"},
    },
}


def basic_credentials(request: Request) -> tuple[str, str] | None:
    """(user, token) of a Basic ``Authorization`` header, or None when there is none or it
    cannot be read."""
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, colon, token = decoded.partition(":")
    return (user, token) if colon else None


@dataclass
class AlegraStore:
    """Every table of one simulated Alegra company, as wire dicts keyed by id."""

    company: Record
    users: dict[str, str] = field(default_factory=dict)  # email → API token
    price_lists: dict[str, Record] = field(default_factory=dict)
    taxes: dict[str, Record] = field(default_factory=dict)
    warehouses: dict[str, Record] = field(default_factory=dict)
    sellers: dict[str, Record] = field(default_factory=dict)
    item_categories: dict[str, Record] = field(default_factory=dict)
    items: dict[str, Record] = field(default_factory=dict)
    contacts: dict[str, Record] = field(default_factory=dict)
    remissions: dict[str, Record] = field(default_factory=dict)  # in creation order
    subscriptions: dict[str, Record] = field(default_factory=dict)
    delivery_failures: dict[str, int] = field(default_factory=dict)  # subscription id → count
    counters: dict[str, int] = field(default_factory=dict)

    def mint_id(self, table: dict[str, Record], kind: str, wanted: object = None) -> str:
        """A fresh counter id ("1", "2", …), or ``wanted`` when the caller chose one."""
        last = self.counters.get(kind, 0)
        if wanted is not None:
            chosen = str(wanted)
            if chosen in table:
                raise ValueError(f"{kind} {chosen!r} already exists")
            if chosen.isdigit():
                self.counters[kind] = max(last, int(chosen))
            return chosen
        while str(last + 1) in table:
            last += 1
        self.counters[kind] = last + 1
        return str(last + 1)

    def next_number(self, kind: str) -> str:
        self.counters[kind] = self.counters.get(kind, 0) + 1
        return str(self.counters[kind])


class AlegraSimulator(Simulator):
    """A strict, stateful stand-in for ``https://api.alegra.com/api/v1``."""

    api_root = "/api/v1"
    default_rate_limit = 150

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        faults: Faults | None = None,
        seed: int = 0,
        sleep: Callable[[float], None] | None = None,
        country: str = "MX",
        reject_repeated_identification: bool | None = None,
    ) -> None:
        super().__init__(clock=clock, faults=faults, seed=seed, sleep=sleep)
        country = country.upper()
        if country not in _COMPANIES:
            raise ValueError(f"unsupported country {country!r}; use MX or CO")
        self.country = country
        #: When True, a contact whose identification is already registered is a 400 (code
        #: 2006, naming the contact) unless the body says ``"ignoreRepeated": true``, as
        #: public integrations record it for Colombia (DECISIONS.md). Default: on for a
        #: Colombian company, off elsewhere (undocumented there).
        self.reject_repeated_identification = (
            country == "CO" if reject_repeated_identification is None
            else reject_repeated_identification
        )  # fmt: skip
        self.store = AlegraStore(
            company={"name": "Distribuidora Demo", **copy.deepcopy(_COMPANIES[country])}
        )
        self.store.company["decimalPrecision"] = 2
        self.webhook_sender: WebhookSender | None = None
        self.webhook_scheme = "https"
        self._rng = random.Random(seed)
        self._outbox: deque[tuple[str, str, bytes]] = deque()  # (subscription, url, body)
        alegra_routes.register(self)
        alegra_remissions.register(self)

    # --- pipeline hooks -------------------------------------------------------------------
    def credential_of(self, request: Request) -> str | None:
        given = basic_credentials(request)
        if given is None:
            return None
        email, token = given
        expected = self.store.users.get(email)
        if expected is None or not secrets.compare_digest(expected.encode(), token.encode()):
            return None
        return email

    def error_body(self, status: int, message: str, fields: list[dict[str, Any]]) -> Any:
        """``{"code", "message"}``, plus what the first coded field adds (a 2006 names the
        contact that already has the identification: ``contactId``, ``contactName``, …)."""
        coded = next((f for f in fields if "code" in f), {"code": status})
        return {"code": coded["code"], "message": message} | {
            k: v for k, v in coded.items() if k != "code"
        }

    def rate_headers(self, state: WindowState, now: float) -> dict[str, str]:
        return {
            "X-Rate-Limit-Limit": str(state.limit),
            "X-Rate-Limit-Remaining": str(state.remaining),
            "X-Rate-Limit-Reset": seconds_text(
                state.reset_at - now, whole=self.faults.time_scale == 1
            ),
        }

    def handle(self, request: Request) -> Response:
        try:
            return super().handle(request)
        finally:
            self.deliver_webhooks()

    def _dispatch(
        self, method: str, path: str, request: Request, credential: str, headers: dict[str, str]
    ) -> Response:
        # Alegra POSTs an empty body to a new subscription's URL before creating it; that call
        # happens here, outside the lock, and the handler then only stores the subscription.
        if method == "POST" and path == "webhooks/subscriptions" and self.webhook_sender:
            try:
                _, url = alegra_routes.subscription_fields(json.loads(request.content or b"{}"))
            except (HttpProblem, ValueError):
                url = None
            if url is not None and not self._post(f"{self.webhook_scheme}://{url}", b""):
                message = f"No fue posible verificar la url {url}: no respondió con un código 2xx"
                return self.error(400, message, headers=headers)
        return super()._dispatch(method, path, request, credential, headers)

    # --- ids ------------------------------------------------------------------------------
    def new_uuid7(self) -> str:
        """A UUIDv7 string: the clock's Unix milliseconds, then seeded random bits."""
        millis = int(self.clock.now().timestamp() * 1000) & ((1 << 48) - 1)
        value = (millis << 80) | (0x7 << 76) | (self._rng.getrandbits(12) << 64)
        value |= (0b10 << 62) | self._rng.getrandbits(62)
        return str(uuid.UUID(int=value))

    # --- admin API (no HTTP, no rate limit) -----------------------------------------------
    def add_user(self, email: str, token: str) -> None:
        with self.lock:
            self.store.users[email] = token

    def set_company(self, **fields: Any) -> Record:
        with self.lock:
            self.store.company.update(copy.deepcopy(fields))
            return copy.deepcopy(self.store.company)

    def add_price_list(
        self,
        name: str,
        *,
        id: str | None = None,
        type: str = "amount",
        status: str = "active",
        percentage: str | None = None,
    ) -> Record:
        with self.lock:
            table = self.store.price_lists
            record: Record = {"id": self.store.mint_id(table, "price_list", id), "name": name}
            record.update(status=status, type=type)
            if percentage is not None:
                record["percentage"] = percentage
            table[record["id"]] = record
            return copy.deepcopy(record)

    def add_tax(
        self,
        name: str,
        percentage: object,
        *,
        status: str = "active",
        type: str | None = None,
        id: str | None = None,
    ) -> Record:
        """``percentage`` is stored as given (a number or a numeric string, like the API)."""
        to_decimal(percentage)
        with self.lock:
            table = self.store.taxes
            tax_id = self.store.mint_id(table, "tax", id)
            stored = (
                str(percentage) if not isinstance(percentage, int | float | str) else percentage
            )
            table[tax_id] = {
                "id": tax_id,
                "name": name,
                "percentage": stored,
                "description": "",
                "type": type or name,
                "status": status,
            }
            return copy.deepcopy(table[tax_id])

    def add_warehouse(
        self, name: str, *, is_default: bool = False, id: str | None = None
    ) -> Record:
        with self.lock:
            table = self.store.warehouses
            warehouse_id = self.store.mint_id(table, "warehouse", id)
            table[warehouse_id] = {
                "id": warehouse_id,
                "name": name,
                "observations": None,
                "isDefault": is_default,
                "address": None,
                "status": "active",
            }
            return copy.deepcopy(table[warehouse_id])

    def add_seller(
        self,
        name: str,
        *,
        identification: str | None = None,
        status: str = "active",
        id: str | None = None,
    ) -> Record:
        with self.lock:
            table = self.store.sellers
            seller_id = self.store.mint_id(table, "seller", id)
            table[seller_id] = {
                "id": seller_id,
                "name": name,
                "identification": identification,
                "observations": "",
                "status": status,
            }
            return copy.deepcopy(table[seller_id])

    def rename_seller(self, id: str, name: str) -> Record:
        """Renames the seller, and the seller embedded in every contact assigned to it."""
        with self.lock:
            seller = self.store.sellers[id]
            seller["name"] = name
            for contact in self.store.contacts.values():
                embedded = contact.get("seller")
                if isinstance(embedded, dict) and str(embedded.get("id")) == id:
                    embedded["name"] = name
            return copy.deepcopy(seller)

    def add_item_category(self, name: str) -> Record:
        with self.lock:
            table = self.store.item_categories
            category_id = self.store.mint_id(table, "item_category")
            table[category_id] = {
                "id": category_id,
                "name": name,
                "description": "",
                "status": "active",
            }
            return copy.deepcopy(table[category_id])

    def add_item(self, record: Record) -> Record:
        """Stores ``record`` exactly as given (numeric strings stay strings), with an id."""
        with self.lock:
            item = self._insert(self.store.items, "item", record)
            self.queue_event("new-item", "item", item)
        self.deliver_webhooks()
        return item

    def update_item(self, id: str, **fields: Any) -> Record:
        with self.lock:
            item = self._merge(self.store.items, id, fields)
            self.queue_event("edit-item", "item", item)
        self.deliver_webhooks()
        return item

    def delete_item(self, id: str) -> Record:
        with self.lock:
            item = self.store.items.pop(id)
            self.queue_event("delete-item", "item", item)
        self.deliver_webhooks()
        return item

    def add_contact(self, record: Record) -> Record:
        """Stores ``record`` as given (the read shape), with an id; in Colombia, the fields
        of the read shape it lacks get their defaults (``alegra_shapes``)."""
        with self.lock:
            contact = self._insert(self.store.contacts, "contact", record)
            contact = self._contact_shape(contact["id"])
            self.queue_event("new-client", "client", contact)
        self.deliver_webhooks()
        return contact

    def update_contact(self, id: str, **fields: Any) -> Record:
        with self.lock:
            self._merge(self.store.contacts, id, fields)
            contact = self._contact_shape(id)
            self.queue_event("edit-client", "client", contact)
        self.deliver_webhooks()
        return contact

    def delete_contact(self, id: str) -> Record:
        with self.lock:
            contact = self.store.contacts.pop(id)
            self.queue_event("delete-client", "client", contact)
        self.deliver_webhooks()
        return contact

    def close_remission(self, id: str) -> Record:
        """Simulates invoicing the remission: it becomes ``closed`` (no edit, no void)."""
        with self.lock:
            remission = self.store.remissions[id]
            if remission["status"] == "void":
                raise ValueError(f"remission {id} is void and cannot be invoiced")
            remission["status"] = "closed"
            return copy.deepcopy(remission)

    def remissions(self) -> list[Record]:
        """Every remission, oldest first."""
        with self.lock:
            return copy.deepcopy(list(self.store.remissions.values()))

    def items(self) -> list[Record]:
        with self.lock:
            return copy.deepcopy(list(self.store.items.values()))

    def contacts(self) -> list[Record]:
        with self.lock:
            return copy.deepcopy(list(self.store.contacts.values()))

    def subscriptions(self) -> list[Record]:
        with self.lock:
            return copy.deepcopy(list(self.store.subscriptions.values()))

    def _contact_shape(self, id: str) -> Record:
        """The stored contact in its country's read shape (call under the lock)."""
        return copy.deepcopy(
            alegra_shapes.contact_read_shape(self.country, self.store.contacts[id])
        )

    def _insert(self, table: dict[str, Record], kind: str, record: Record) -> Record:
        record_id = self.store.mint_id(table, kind, record.get("id"))
        stored = {"id": record_id, **copy.deepcopy(record)}
        stored["id"] = record_id
        table[record_id] = stored
        return copy.deepcopy(stored)

    def _merge(self, table: dict[str, Record], id: str, fields: Record) -> Record:
        stored = table[id]
        stored.update(copy.deepcopy(fields))
        stored["id"] = id
        return copy.deepcopy(stored)

    # --- webhooks -------------------------------------------------------------------------
    def queue_event(self, event: str, key: str, record: Record) -> None:
        """Queue ``event`` for every subscription to it (call under the lock)."""
        if self.webhook_sender is None:
            return
        payload = {
            "subject": event,
            "message": {key: alegra_shapes.webhook_record(self.country, key, record)},
        }
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        for subscription in self.store.subscriptions.values():
            if subscription["event"] == event:
                url = f"{self.webhook_scheme}://{subscription['url']}"
                self._outbox.append((subscription["id"], url, body))

    def deliver_raw(self, event: str, body: bytes) -> int:
        """Deliver ``body`` exactly as given to every subscription to ``event`` (a damaged or
        unexpected delivery), through the same path and failure counting as any other;
        returns how many were answered 2xx."""
        with self.lock:
            for subscription in self.store.subscriptions.values():
                if subscription["event"] == event:
                    url = f"{self.webhook_scheme}://{subscription['url']}"
                    self._outbox.append((subscription["id"], url, body))
        return self.deliver_webhooks()

    def deliver_webhooks(self) -> int:
        """Send the queued deliveries, outside the lock; returns how many succeeded."""
        delivered = 0
        while True:
            with self.lock:
                if not self._outbox:
                    return delivered
                subscription_id, url, body = self._outbox.popleft()
                if subscription_id not in self.store.subscriptions:
                    continue
            succeeded = self._post(url, body)
            delivered += succeeded
            with self.lock:
                failures = self.store.delivery_failures
                failures[subscription_id] = 0 if succeeded else failures.get(subscription_id, 0) + 1
                if failures[subscription_id] >= MAX_DELIVERY_FAILURES:
                    self.store.subscriptions.pop(subscription_id, None)
                    failures.pop(subscription_id, None)

    def _post(self, url: str, body: bytes) -> bool:
        sender = self.webhook_sender
        if sender is None:
            return False
        try:
            status = sender(url, body)
        except Exception:
            return False
        return 200 <= status < 300
