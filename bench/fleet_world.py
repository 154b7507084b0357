"""The fleet bench's world: N small companies behind multi-tenant simulators on loopback, the
clock they share with the service, the orders their sellers take, and every answer the APIs
gave (with its simulated time, per company).

Each company is a ``build_world`` of its own seed (its own data and credentials), Mexican or
Colombian in turn; its Handy already holds what an earlier sync left there (``converge``), so
that the bench measures a fleet in operation, not 1,000 first syncs.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from handy_alegra.domain.clock import ScaledClock
from handy_alegra.mapping import customers as customer_rules
from handy_alegra.mapping import products as product_rules
from handy_alegra.records.alegra import Contact, Item
from handy_alegra.records.wire import parse_record
from handy_alegra.simulators.alegra import AlegraSimulator
from handy_alegra.simulators.asgi import RunningServer, SimulatorApp, serve_in_thread
from handy_alegra.simulators.faults import Faults
from handy_alegra.simulators.handy import HandySimulator
from handy_alegra.simulators.seed import SELLERS, World, build_world
from handy_alegra.simulators.tenants import Tenants

LATENCY = 0.08  # real seconds before every answer (a realistic round trip)
ITEMS = 300  # Alegra items per company ("a few hundred")
CONTACTS = 110  # Alegra contacts per company: about 100 clients
SEED0 = 10_000
ZONES = {"MX": "America/Mexico_City", "CO": "America/Bogota"}
MAX_ORDERS = 5  # per company and 10 minutes: 0 to 5, uniformly
ORDER_EVERY = timedelta(minutes=10)


class FleetClock(ScaledClock):
    """Simulated time = ``anchor_virtual`` + (real time − ``anchor_real``) × ``scale``. The
    simulators run on it; the service gets the same anchors (``env``), so both agree on the
    time to the millisecond. ``restart`` moves it (between phases only)."""

    def __init__(self, virtual: datetime, scale: float) -> None:
        super().__init__(time.time(), virtual, scale)

    def restart(self, virtual: datetime, scale: float) -> None:
        self.anchor_real, self.anchor_virtual, self.scale = time.time(), virtual, scale

    def epoch(self) -> float:
        return self.anchor_virtual.timestamp() + (time.time() - self.anchor_real) * self.scale

    def env(self) -> str:
        return f"scaled:{self.anchor_real!r}:{self.anchor_virtual.isoformat()}:{self.scale!r}"

    def real_at(self, moment: datetime) -> float:
        """The Unix time at which the simulated clock shows ``moment``."""
        return self.anchor_real + (moment - self.anchor_virtual).total_seconds() / self.scale

    def wait_until(self, moment: datetime, stop: threading.Event | None = None) -> None:
        delay = self.real_at(moment) - time.time()
        if delay > 0:
            (stop or threading.Event()).wait(delay)


class AnswerLog:
    """Replaces ``Simulator.requests``: (simulated epoch, method, path, status) per answer."""

    def __init__(self, clock: FleetClock) -> None:
        self.clock = clock
        self.entries: list[tuple[float, str, str, int]] = []

    def append(self, item: tuple[str, str, int]) -> None:
        self.entries.append((self.clock.epoch(), *item))  # one append: atomic under the GIL

    def __len__(self) -> int:
        return len(self.entries)


@dataclass
class Company:
    index: int
    name: str
    world: World
    zone: str
    products: list[tuple[str, str, str | None]] = field(default_factory=list)
    customers: list[str] = field(default_factory=list)  # Handy codes whose orders can be sent
    alegra_log: AnswerLog | None = None
    handy_log: AnswerLog | None = None

    @property
    def country(self) -> str:
        return self.world.country


def build_company(index: int, clock: FleetClock, items: int) -> Company:
    country = "MX" if index % 2 == 0 else "CO"
    world = build_world(
        seed=SEED0 + index,
        country=country,
        items=items,
        contacts=max(10, items * CONTACTS // ITEMS),
        clock=clock,
        sleep=time.sleep,  # latency is awaited by the server (SimulatorApp), not here
        alegra_faults=Faults(),
        handy_faults=Faults(),
    )
    company = Company(index, f"co{index:04d}", world, ZONES[country])
    company.alegra_log, company.handy_log = AnswerLog(clock), AnswerLog(clock)
    world.alegra.requests = company.alegra_log  # type: ignore[assignment]
    world.handy.requests = company.handy_log  # type: ignore[assignment]
    converge(company)
    return company


def converge(company: Company) -> None:
    """Handy holds what an earlier sync left: every qualifying item as a product and every
    active client as a customer, with the fields the product's own rules want (so the first
    run of the bench plans no write); the sellers' own customers stay as seeded."""
    world = company.world
    alegra, handy = world.alegra, world.handy
    rules = product_rules.CatalogRules(world.price_list["id"], world.price_list["name"])
    families = {f["description"]: f["id"] for f in handy.families()}
    wanted: dict[str, list[dict[str, Any]]] = {}
    for raw in alegra.items():
        item = parse_record(Item, "item", raw)
        if isinstance(item, Item):
            verdict = product_rules.evaluate(item, rules)
            if verdict.sync and verdict.code:
                wanted.setdefault(verdict.code, []).append(dict(verdict.desired))
    for code, found in wanted.items():
        if len(found) != 1:
            continue  # a reference two items share: skipped by the rules
        desired = found[0]
        family = desired["family"]
        if family not in families:
            families[family] = handy.add_family(family)["id"]
        record = {
            "code": code,
            "description": desired["description"],
            "price": float(desired["price"]),  # float ok: Handy numbers are doubles
            "family": {"id": families[family]},
            "enabled": True,
            "externalId": desired["externalId"],
        }
        if desired.get("quantity") is not None:
            record["quantity"] = float(desired["quantity"])  # float ok: as above
        handy.add_product(record)
        sale = _sellable(desired, raw_iva=_iva_of(alegra, desired["externalId"]))
        if sale is not None:
            company.products.append((code, *sale))
    sellers = {s["id"]: s["name"] for s in alegra.store.sellers.values()}
    crules = customer_rules.CustomerRules(world.country, "Sin vendedor", sellers)
    for raw in alegra.contacts():
        contact = parse_record(Contact, "contact", raw)
        if not isinstance(contact, Contact):
            continue
        verdict = customer_rules.evaluate(contact, crules)
        if not verdict.sync or not verdict.code:
            continue
        d = verdict.desired
        body = {k: d[k] for k in ("description", "rfc", "email", "phoneNumber", "address",
                                  "city", "postalCode") if d.get(k) is not None}  # fmt: skip
        handy.add_customer(
            {"code": verdict.code, **body, "enabled": True},
            zone_name=str(d["zone"]),
            category_name=d.get("category") if isinstance(d.get("category"), str) else None,
        )
        company.customers.append(verdict.code)


def _iva_of(alegra: AlegraSimulator, item_id: str) -> str | None:
    item = alegra.store.items[item_id]
    ivas = [t for t in item.get("tax") or [] if t["name"] == "IVA" and t["status"] == "active"]
    return str(ivas[0]["percentage"]) if len(ivas) == 1 else None


def _sellable(desired: dict[str, Any], raw_iva: str | None) -> tuple[str, str | None] | None:
    price = desired.get("price")
    if price is None or price <= 0:
        return None
    return f"{price:.2f}", raw_iva


# --- serving ---------------------------------------------------------------------------------


@dataclass
class Fleet:
    companies: list[Company]
    clock: FleetClock
    alegra: Tenants
    handy: Tenants
    server: RunningServer | None = None

    @classmethod
    def build(cls, n: int, clock: FleetClock, items: int = ITEMS) -> Fleet:
        alegra = Tenants(AlegraSimulator(clock=clock, sleep=time.sleep))
        handy = Tenants(HandySimulator(clock=clock, sleep=time.sleep))
        companies = []
        for i in range(n):
            company = build_company(i, clock, items)
            c = company.world.credentials
            alegra.add(company.world.alegra, c.alegra_email)
            handy.add(company.world.handy, c.handy_token)
            companies.append(company)
        return cls(companies, clock, alegra, handy)

    def serve(self) -> str:
        app = SimulatorApp({"alegra": self.alegra, "handy": self.handy}, latency=LATENCY)
        self.server = serve_in_thread(app)
        return self.server.base_url

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()

    def answers(self) -> int:
        return sum(len(c.alegra_log or ()) + len(c.handy_log or ()) for c in self.companies)

    def limited(self, since: float = 0.0) -> dict[str, int]:
        """429 answers per API at or after simulated epoch ``since``."""
        out = {"alegra": 0, "handy": 0}
        for c in self.companies:
            for api, answers in (("alegra", c.alegra_log), ("handy", c.handy_log)):
                out[api] += sum(1 for t, _, _, s in (answers.entries if answers else ())
                                if s == 429 and t >= since)  # fmt: skip
        return out


# --- the sellers -----------------------------------------------------------------------------


class OrderFeed(threading.Thread):
    """The sellers of every company: for each company and each 10 simulated minutes, 0 to 5
    orders (uniformly), each at a random moment of those 10 minutes, created in Handy when the
    simulated clock reaches it. Only customers and products whose orders can be sent are
    used: the fleet measures capacity, not the failure paths (sales.py and the tests do)."""

    def __init__(self, fleet: Fleet, start: datetime, end: datetime, seed: int = 1) -> None:
        super().__init__(daemon=True, name="orders")
        self.fleet, self.start_at, self.end_at = fleet, start, end
        self.rng = random.Random(seed)
        self.stopping = threading.Event()
        self.created = 0
        self.per_company: dict[int, int] = {}

    def _plan(self, window: datetime) -> list[tuple[datetime, Company]]:
        due = []
        for company in self.fleet.companies:
            if not company.products or not company.customers:
                continue
            for _ in range(self.rng.randint(0, MAX_ORDERS)):
                offset = timedelta(seconds=self.rng.uniform(0, ORDER_EVERY.total_seconds()))
                due.append((window + offset, company))
        due.sort(key=lambda pair: pair[0])
        return due

    def run(self) -> None:
        window = self.start_at
        while window < self.end_at and not self.stopping.is_set():
            for moment, company in self._plan(window):
                if moment >= self.end_at:
                    break
                self.fleet.clock.wait_until(moment, self.stopping)
                if self.stopping.is_set():
                    return
                self._order(company)
            window += ORDER_EVERY

    def _order(self, company: Company) -> None:
        rng = self.rng
        lines = []
        for _ in range(rng.randint(1, 5)):
            code, price, percent = company.products[rng.randrange(len(company.products))]
            lines.append(
                {"code": code, "quantity": rng.choice((1, 2, 3, 6, 12)), "price": price,
                 "tax_percent": percent}
            )  # fmt: skip
        customer = company.customers[rng.randrange(len(company.customers))]
        company.world.handy.create_order(
            customer, lines, seller_name=SELLERS[company.country][rng.randrange(4)]
        )
        self.created += 1
        self.per_company[company.index] = self.per_company.get(company.index, 0) + 1


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)
