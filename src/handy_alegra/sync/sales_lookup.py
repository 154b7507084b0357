"""What a sales cycle looks up in Alegra: the client of an order, the item of a product code,
the seller of a zone. Each answer is cached for the cycle (and client links for good)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterable
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select

from handy_alegra.accounts.registry import AccountConfig
from handy_alegra.clients.alegra import AlegraClient, RepeatedIdentification
from handy_alegra.clients.handy import HandyClient
from handy_alegra.domain.errors import AmbiguousWriteError, NotFoundError, ValidationError
from handy_alegra.mapping import clients
from handy_alegra.mapping.customers import CODE_PREFIX
from handy_alegra.mapping.problems import Problem
from handy_alegra.mapping.products import active_iva_taxes, code_problem
from handy_alegra.mapping.remission import ItemInfo
from handy_alegra.records.alegra import Contact, Item, Seller
from handy_alegra.records.drafts import ContactDraft
from handy_alegra.records.handy import Customer
from handy_alegra.store import orders as records
from handy_alegra.store.database import Store
from handy_alegra.store.tables import Verdict


class ItemResolver:
    """Handy product code → the Alegra item with that reference: the catalog's latest verdict
    first (no request), else a lookup by reference."""

    def __init__(self, alegra: AlegraClient, store: Store, account_id: int) -> None:
        self.alegra = alegra
        self.store = store
        self.account_id = account_id
        self.cache: dict[str, ItemInfo | None] = {}
        self._lock = threading.Lock()

    def resolve(self, codes: Iterable[str]) -> dict[str, ItemInfo]:
        codes = list(codes)
        with self._lock:  # orders are sent in parallel: look each code up once
            wanted = {c for c in codes if c not in self.cache}
            if wanted:
                self._from_catalog(wanted)
                for code in sorted(wanted - set(self.cache)):
                    self.cache[code] = self._lookup(code)
            return {c: info for c in codes if (info := self.cache.get(c)) is not None}

    def _from_catalog(self, codes: set[str]) -> None:
        with self.store.session() as session:
            rows = session.scalars(
                select(Verdict).where(
                    Verdict.account_id == self.account_id,
                    Verdict.kind == "product",
                    Verdict.sync.is_(True),
                    Verdict.code.in_(codes),
                )
            ).all()
        found: dict[str, list[Verdict]] = {}
        for row in rows:
            assert row.code is not None
            found.setdefault(row.code, []).append(row)
        for code, verdicts in found.items():
            if len(verdicts) == 1 and verdicts[0].source_id:
                detail = verdicts[0].detail
                iva = detail.get("iva")
                self.cache[code] = ItemInfo(
                    verdicts[0].source_id,
                    Decimal(iva) if iva is not None else None,
                    detail.get("iva_tax_id"),
                )

    def _lookup(self, code: str) -> ItemInfo | None:
        if code_problem(code):
            return None  # no item can have that reference (the catalog would skip it)
        matches = [
            i
            for i in self.alegra.iter_items(reference=code)
            if isinstance(i, Item) and (i.reference or "").strip() == code
        ]
        if len(matches) != 1:
            return None
        taxes = active_iva_taxes(matches[0])
        if len(taxes) > 1:
            return None
        tax = taxes[0] if taxes else None
        return ItemInfo(matches[0].id, tax.percentage if tax else None, tax.id if tax else None)


class ClientResolver:
    """Handy customer → Alegra client: the stored link; else a client whose name is exactly
    the customer's; else a new client (the country's rules decide if it can be created)."""

    #: What ``resolve`` answers in a dry run for a client it would create.
    NEW = "(new client)"

    def __init__(
        self,
        alegra: AlegraClient,
        handy: HandyClient,
        store: Store,
        account: AccountConfig,
        now: Callable[[], datetime],
        *,
        dry_run: bool = False,
    ) -> None:
        self.dry_run = dry_run
        self.alegra = alegra
        self.handy = handy
        self.store = store
        self.account = account
        self.now = now
        self.cache: dict[str, str] = {}
        self._sellers: dict[str, str] | None = None
        self._lock = threading.Lock()
        self._customer_locks: dict[str, threading.Lock] = {}
        self.unresolved: dict[str, Problem] = {}  # customers that could not be resolved

    def seller_for_zone(self, zone: str | None) -> str | None:
        """The Alegra seller named exactly like the customer's zone, if any."""
        if not zone:
            return None
        with self._lock:
            if self._sellers is None:
                sellers: dict[str, str] = {}
                for seller in self.alegra.list_sellers():
                    if isinstance(seller, Seller) and seller.status == "active":
                        sellers.setdefault(seller.name.strip(), seller.id)
                self._sellers = sellers
        return self._sellers.get(zone.strip())

    def resolve(self, customer: Customer, *, refresh: bool) -> str | Problem:
        """One customer at a time: two orders of a new customer never create two clients."""
        with self._lock:
            lock = self._customer_locks.setdefault(customer.code, threading.Lock())
        with lock:
            if customer.code in self.unresolved:  # tried this cycle: same answer, no requests
                return self.unresolved[customer.code]
            found = self._resolve(customer, refresh=refresh)
            if isinstance(found, Problem):
                self.unresolved[customer.code] = found
            return found

    def _resolve(self, customer: Customer, *, refresh: bool) -> str | Problem:
        code = customer.code
        if code in self.cache:
            return self.cache[code]
        with self.store.session() as session:
            linked = records.linked_client(session, self.account.id, code)
        if linked is None and code.startswith(CODE_PREFIX):
            linked = code[len(CODE_PREFIX) :]  # a customer the customer sync made from Alegra
        if linked is not None:
            self.cache[code] = linked
            return linked
        if refresh:  # the customer may have been fixed in Handy since the last try (an RFC added)
            with contextlib.suppress(NotFoundError):
                customer = self.handy.get_customer(code)
        found = self._by_name(customer)
        if found is not None:
            return found if isinstance(found, Problem) else self._link(code, found, created=False)
        draft = clients.new_client(
            customer,
            self.account.country,
            self.account.colombia_default_nit,
            self.seller_for_zone(customer.zone.description if customer.zone else None),
            regime=self.account.colombia_regime,
        )
        if isinstance(draft, Problem):
            return draft
        if self.dry_run:
            return self.NEW
        try:
            contact = self.alegra.create_contact(draft)
        except AmbiguousWriteError:
            # Did the create happen after all? Look under the name Alegra gives the contact.
            again = self._by_name(customer, draft.shown_name)
            if isinstance(again, str):
                return self._link(code, again, created=True)
            return Problem("outcome_unknown", {"customer": customer.description})
        except RepeatedIdentification as exc:
            return self._repeated(code, customer, draft, exc)
        except ValidationError as exc:
            return Problem(
                "client_create_failed", {"customer": customer.description, "error": str(exc)}
            )
        return self._link(code, contact.id, created=True)

    def _repeated(
        self, code: str, customer: Customer, draft: ContactDraft, exc: RepeatedIdentification
    ) -> str | Problem:
        """Alegra already has a contact with this identification: it is this customer's
        client when its name is exactly the customer's (or the name the draft would give)."""
        name = exc.contact_name
        if name is None:
            with contextlib.suppress(NotFoundError):
                name = self.alegra.get_contact(exc.contact_id).name
        names = (customer.description, draft.shown_name)
        if name is not None and any(clients.same_name(name, n) for n in names):
            return self._link(code, exc.contact_id, created=False)
        return Problem(
            "identification_taken",
            {
                "customer": customer.description.strip(),
                "identification": draft.identification or "",
                "contact_id": exc.contact_id,
                "contact_name": name or "?",
            },
        )

    def _by_name(self, customer: Customer, name: str | None = None) -> str | Problem | None:
        name = (name or customer.description).strip()
        if not name:
            return Problem("no_name", {"customer": customer.code})
        candidates = [
            c for c in self.alegra.iter_contacts(type="client", name=name) if isinstance(c, Contact)
        ]
        return clients.choose(candidates, name, customer.rfc)

    def _link(self, code: str, contact_id: str, *, created: bool) -> str:
        self.cache[code] = contact_id
        if self.dry_run:
            return contact_id
        with self.store.session() as session:
            records.link_client(
                session, self.account.id, code, contact_id, created=created, now=self.now()
            )
        self.cache[code] = contact_id
        return contact_id
