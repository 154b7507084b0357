"""A deterministic, realistic company in both simulators: a Mexican or Colombian distributor.

``build_world(seed=…, country=…, items=…)`` fills an Alegra simulator (price lists, taxes,
warehouses, sellers, categories, items, contacts) and a Handy simulator (token, zones,
customer categories, customers typed in by sellers, and optionally orders). The same seed
always gives the same company. Every awkward case the sync must handle appears at least once
from 10 items up: items without reference, with a shared reference or a ``/`` in it, inactive,
services, out of the chosen price list, with IVA / another tax / an inactive IVA / ``IVA 16%``
/ two IVA entries, numeric strings, zero and negative stock; contacts that are clients,
providers or both, without RFC/NIT, with repeated names and accents; orders with discounts,
returns, rewards, edits and cancellations.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from handy_alegra.domain.clock import Clock, ManualClock
from handy_alegra.domain.money import round_half_up
from handy_alegra.mapping.clients import dian_check_digit
from handy_alegra.simulators.alegra import AlegraSimulator
from handy_alegra.simulators.faults import Faults
from handy_alegra.simulators.handy import HandySimulator

Record = dict[str, Any]

CATEGORIES = {
    "Abarrotes": (
        "ABR",
        (
            "Arroz",
            "Frijol negro",
            "Azúcar estándar",
            "Aceite vegetal",
            "Harina de maíz",
            "Sal de mesa",
            "Atún en agua",
            "Café soluble",
        ),
    ),
    "Bebidas": (
        "BEB",
        (
            "Refresco cola",
            "Agua natural",
            "Jugo de naranja",
            "Té helado",
            "Agua mineral",
            "Bebida isotónica",
        ),
    ),
    "Lácteos": (
        "LAC",
        ("Leche entera", "Yogur natural", "Queso fresco", "Crema ácida", "Mantequilla"),
    ),
    "Limpieza": (
        "LIM",
        (
            "Detergente en polvo",
            "Jabón de barra",
            "Cloro",
            "Lavatrastes líquido",
            "Suavizante de telas",
        ),
    ),
    "Botanas": (
        "BOT",
        (
            "Papas fritas",
            "Cacahuates japoneses",
            "Palomitas",
            "Galletas surtidas",
            "Chicharrón de harina",
        ),
    ),
}
BRANDS = ("La Esperanza", "Don Julián", "Sol de Oro", "El Ñandú", "Cañada", "Güero", "San Ángel")
SIZES = ("250 g", "500 g", "1 kg", "600 ml", "1 L", "2 L", "12 pzas")
SHOPS = ("Abarrotes", "Tienda", "Minisúper", "Cremería", "Miscelánea", "Depósito", "Farmacia")
SHOP_NAMES = (
    "La Güera",
    "Doña Chuy",
    "El Ñandú",
    "Los Álamos",
    "San José",
    "La Económica",
    "El Puente",
    "Santa Mónica",
    "La Única",
    "El Águila",
    "Los Pinos",
    "Don Ramón",
)
FIRST = ("José", "María", "Óscar", "Lucía", "Andrés", "Ángela", "Raúl", "Sofía", "Iñaki", "Nuria")
LAST = ("Martínez", "Núñez", "Peña", "Ibáñez", "Gómez", "Hernández", "Muñoz", "Díaz", "López")
SELLERS = {
    "MX": ("José Martínez", "María Fernanda Núñez", "Óscar Peña", "Lucía Ibáñez"),
    "CO": ("Carmen Giraldo", "Andrés Muñoz", "Luz Ángela Ríos", "Sebastián Peñaloza"),
}
COMPANY = {"MX": "Distribuidora del Bajío SA de CV", "CO": "Distribuciones Andinas S.A.S."}
PERSON_CATEGORIES = ("Persona jurídica", "Persona natural")
CHOSEN_LIST = "Mayoreo"
#: The income account of the items (alegra.md §5: ``category`` is the accounting account).
INCOME_ACCOUNT = {"id": "5049", "name": "Ventas"}
RFC_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@dataclass(frozen=True)
class Credentials:
    alegra_email: str
    alegra_token: str
    handy_token: str


@dataclass
class World:
    """Both simulators of one seeded company, and what a test or the demo needs to know."""

    country: str
    alegra: AlegraSimulator
    handy: HandySimulator
    credentials: Credentials
    price_list: Record  # the list to choose at activation
    warehouse_id: str
    rng: random.Random
    taxes: dict[str, Record] = field(default_factory=dict)  # "iva", "other", "iva_inactive", …

    @property
    def clock(self) -> Clock:
        return self.alegra.clock


def credentials_for(seed: int) -> Credentials:
    return Credentials(
        alegra_email=f"admin{seed}@distribuidora.demo",
        alegra_token=f"alegra-sandbox-{seed:04d}-token",
        handy_token=f"handy-sandbox-{seed:04d}-token",
    )


def build_world(
    *,
    seed: int = 1,
    country: str = "MX",
    items: int = 200,
    contacts: int | None = None,
    customers: int | None = None,
    orders: int = 0,
    clock: Clock | None = None,
    sleep: Any = None,
    alegra_faults: Faults | None = None,
    handy_faults: Faults | None = None,
) -> World:
    country = country.upper()
    if country not in SELLERS:
        raise ValueError("the seed knows Mexican (MX) and Colombian (CO) companies")
    if not 10 <= items <= 100_000:
        raise ValueError("items must be between 10 and 100,000")
    clock = clock or ManualClock()
    alegra = AlegraSimulator(
        clock=clock, faults=alegra_faults, seed=seed, sleep=sleep, country=country
    )
    handy = HandySimulator(clock=clock, faults=handy_faults, seed=seed, sleep=sleep)
    creds = credentials_for(seed)
    alegra.add_user(creds.alegra_email, creds.alegra_token)
    handy.add_token(creds.handy_token)
    rng = random.Random(seed)
    world = World(country, alegra, handy, creds, {}, "", rng)
    _seed_alegra(world, items, contacts if contacts is not None else max(10, items // 4))
    _seed_handy(world, customers if customers is not None else max(8, items // 25))
    if orders:
        seed_orders(world, orders)
    return world


# --- Alegra ------------------------------------------------------------------------------


def _seed_alegra(world: World, n_items: int, n_contacts: int) -> None:
    sim, country = world.alegra, world.country
    sim.set_company(name=COMPANY[country])
    sim.add_price_list("General", id="1")
    world.price_list = sim.add_price_list(CHOSEN_LIST)
    sim.add_price_list("Ruta", type="percentage", percentage="10.00")
    rate = "16" if country == "MX" else "19"
    world.taxes = {
        "iva": sim.add_tax("IVA", f"{rate}.00", type="IVA"),
        "other": sim.add_tax("IEPS" if country == "MX" else "INC", 8, type="IEPS"),
        "iva_inactive": sim.add_tax("IVA", "8.00", status="inactive", type="IVA"),
        "iva_named": sim.add_tax(f"IVA {rate}%", rate, type="IVA"),
        "iva_reduced": sim.add_tax("IVA", "5.00" if country == "CO" else "8.00", type="IVA"),
    }
    warehouses = [
        sim.add_warehouse("Principal", is_default=True),
        sim.add_warehouse("Bodega Norte"),
        sim.add_warehouse("Ruta 1"),
    ]
    world.warehouse_id = warehouses[0]["id"]
    categories = {name: sim.add_item_category(name)["id"] for name in CATEGORIES}
    for i in range(n_items):
        sim.add_item(_item(world, i, categories, [w["id"] for w in warehouses]))
    sellers = [
        sim.add_seller(name, identification=str(1957840 + k))
        for k, name in enumerate(SELLERS[country])
    ]
    sim.add_seller("Vendedor Retirado", status="inactive")
    previous = ""
    for i in range(n_contacts):
        previous = sim.add_contact(_contact(world, i, sellers, previous))["name"]


def _item(world: World, i: int, categories: dict[str, str], warehouses: list[str]) -> Record:
    rng = world.rng
    category = list(CATEGORIES)[i % len(CATEGORIES)]
    prefix, bases = CATEGORIES[category]
    base, brand = rng.choice(bases), rng.choice(BRANDS)
    name = f"{base} {brand} {rng.choice(SIZES)}"
    reference: Any = f"{prefix}-{i + 1:05d}"
    if i % 37 == 5:
        reference = ""
    elif i % 53 == 7:
        reference = f"{list(CATEGORIES.values())[(i - 1) % len(CATEGORIES)][0]}-{i:05d}"
    elif i % 61 == 9:
        reference = f"{prefix}/{i + 1:05d}"
    elif i % 29 == 13:
        reference = {"reference": reference}  # the object form, defensively accepted
    price = Decimal(rng.randint(850, 45_000)) / 100
    if i % 17 == 2:
        price = Decimal(rng.randint(1000, 90_000)) / 1000  # thousandths: .xx5 roundings
    as_text = i % 3 == 0
    prices: list[Record] = [_price("1", "General", price * Decimal("1.10"), as_text)]
    if i % 11 != 4:
        prices.append(_price(world.price_list["id"], CHOSEN_LIST, price, as_text))
    record: Record = {
        "name": name,
        "description": name,
        "reference": reference,
        "status": "inactive" if i % 13 == 3 else "active",
        "type": "simple",
        "price": prices,
        "tax": _taxes(world, i),
        "itemCategory": None if i % 10 == 9 else {"id": categories[category], "name": category},
        "category": dict(INCOME_ACCOUNT),  # the accounting account, not the product category
        "customFields": [{"id": "1", "name": "Marca", "value": brand}] if i % 5 == 0 else [],
    }
    if i % 7 != 6:
        record["inventory"] = _inventory(rng, i, warehouses)
    return record


def _price(list_id: str, name: str, price: Decimal, as_text: bool) -> Record:
    value: Any = f"{price:.4f}".rstrip("0").rstrip(".") if as_text else float(price)  # float ok
    return {"idPriceList": list_id, "name": name, "price": value}


def _taxes(world: World, i: int) -> list[Record]:
    t = world.taxes
    kind = i % 10
    if kind <= 6:
        return [t["iva"]]
    if kind == 7:
        return []
    if kind == 8:
        return [t["other"]]
    variants = (
        [t["iva_inactive"]],
        [t["iva_named"]],
        [t["iva"], t["iva_reduced"]],
        [t["iva"], t["other"]],
    )
    return list(variants[(i // 10) % len(variants)])


def _inventory(rng: random.Random, i: int, warehouses: list[str]) -> Record:
    quantities = [rng.randint(0, 240), rng.randint(0, 60), rng.randint(0, 12)]
    if i % 19 == 8:
        quantities = [0, 0, 0]
    if i % 23 == 10:
        quantities[0] = -rng.randint(1, 5)
    entries = [
        {"id": wid, "availableQuantity": str(q) if k != 1 else f"{q}.0", "initialQuantity": "0"}
        for k, (wid, q) in enumerate(zip(warehouses, quantities, strict=True))
    ]
    return {
        "unit": "piece",
        "availableQuantity": sum(quantities),
        "unitCost": rng.randint(500, 20_000) / 100,
        "warehouses": entries,
    }


def _contact(world: World, i: int, sellers: list[Record], previous_name: str) -> Record:
    rng = world.rng
    business = i % 3 != 2
    name = (
        f"{rng.choice(SHOPS)} {rng.choice(SHOP_NAMES)}"
        if business
        else f"{rng.choice(FIRST)} {rng.choice(LAST)} {rng.choice(LAST)}"
    )
    name = f"{name} {i + 1}"
    if i % 23 == 11 and previous_name:
        name = previous_name  # a repeated name
    kind = i % 10
    types: Any = ["client"]
    if kind == 7:
        types = ["provider"]
    elif kind == 8:
        types = ["client", "provider"]
    elif kind == 9:
        types = "client"
    record: Record = {
        "name": name,
        "type": types,
        "status": "inactive" if i % 19 == 6 else "active",
        "email": f"compras{i + 1}@cliente.demo" if i % 4 else None,
        "phonePrimary": f"55{rng.randint(10_000_000, 99_999_999)}",
        "seller": None if i % 8 == 7 else _seller_ref(sellers[i % len(sellers)]),
    }
    if world.country == "MX":
        record["identification"] = None if i % 9 == 4 else _rfc(rng, business)
        record["address"] = {
            "street": f"Calle {rng.choice(SHOP_NAMES)}",
            "exteriorNumber": str(rng.randint(1, 999)),
            "colony": "Centro",
            "municipality": "León",
            "state": "Guanajuato",
            "zipCode": f"37{rng.randint(100, 999)}",
        }
    else:
        number = str(
            rng.randint(800_000_000, 999_999_999) if business else rng.randint(10**7, 10**10)
        )
        id_type = "NIT" if business else "CC"
        record["kindOfPerson"] = "LEGAL_ENTITY" if business else "PERSON_ENTITY"
        if i % 9 != 4:
            record["identification"] = number
            record["identificationObject"] = {"type": id_type, "number": number}
            if business:  # a NIT carries its DIAN check digit
                record["identificationObject"]["dv"] = dian_check_digit(number)
        record["address"] = {
            "address": f"Calle {rng.randint(1, 120)} # {rng.randint(1, 99)}-{rng.randint(1, 99)}",
            "city": "Medellín",
        }
    return record


def _seller_ref(seller: Record) -> Record:
    return {"id": seller["id"], "name": seller["name"]}


def _rfc(rng: random.Random, business: bool) -> str:
    letters = "".join(rng.choice(RFC_LETTERS) for _ in range(3 if business else 4))
    day = f"{rng.randint(70, 99):02d}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    tail = "".join(rng.choice(RFC_LETTERS + "0123456789") for _ in range(3))
    return letters + day + tail


# --- Handy -------------------------------------------------------------------------------


def _seed_handy(world: World, n_customers: int) -> None:
    sim, rng = world.handy, world.rng
    sim.add_zone("Zona Centro")
    family = sim.add_family("Varios")
    for k, name in enumerate(("Bolsa de hielo 5 kg", "Garrafón 20 L", "Tortilla 1 kg"), start=1):
        price = float(rng.randint(2000, 6000) / 100)  # float ok: Handy numbers are doubles
        sim.add_product(  # products that exist only in Handy: the sync leaves them alone
            {
                "code": f"LOCAL-{k:03d}",
                "description": name,
                "price": price,
                "family": {"id": family["id"]},
            }
        )
    for name in PERSON_CATEGORIES if world.country == "CO" else ("Mayoreo", "Menudeo"):
        sim.add_customer_category(name)
    clients = [c for c in world.alegra.contacts() if "client" in c["type"]]
    for i in range(n_customers):
        code = f"H-{i + 1:04d}"
        body: Record = {"code": code, "city": "León" if world.country == "MX" else "Medellín"}
        category: str | None = None
        if i % 4 == 0 and clients:
            known = clients[(i * 7) % len(clients)]  # typed in exactly as in Alegra
            body.update(description=known["name"], rfc=known.get("identification"))
        else:
            body.update(description=f"{rng.choice(SHOPS)} {rng.choice(SHOP_NAMES)} H{i + 1}")
            body["rfc"] = None if i % 6 == 5 else _tax_id(world, rng, i)
        if world.country == "CO":
            category = None if i % 11 == 5 else PERSON_CATEGORIES[i % 2]
        body["address"] = f"Av. {rng.choice(SHOP_NAMES)} {rng.randint(1, 900)}"
        sim.add_customer(body, zone_name="Zona Centro", category_name=category)


def _tax_id(world: World, rng: random.Random, i: int) -> str:
    if world.country == "MX":
        return _rfc(rng, i % 2 == 0)
    return str(rng.randint(800_000_000, 999_999_999))


def seed_orders(world: World, count: int, *, since: datetime | None = None) -> list[Record]:
    """``count`` orders by sellers for the Handy customers, priced as Handy shows the Alegra
    items (chosen list, plus active IVA), some with discounts, returns and rewards, an unknown
    code now and then; then a few edits and cancellations. Returns the live orders."""
    rng, alegra, handy = world.rng, world.alegra, world.handy
    now = world.clock.now()
    start = since or now - timedelta(hours=8)
    span = max(1.0, (now - start).total_seconds())
    sellable = [_sellable(world, item) for item in alegra.items()]
    products = [p for p in sellable if p is not None]
    customers = [c["code"] for c in handy.customers()]
    created: list[Record] = []
    for k in range(count):
        at = start + timedelta(seconds=span * k / max(1, count))
        lines = [
            _line(rng, products[rng.randrange(len(products))]) for _ in range(rng.randint(1, 5))
        ]
        if k % 41 == 17:
            lines.append({"code": "ZZZ-00000", "quantity": 1, "price": "10.00"})
        if k % 13 == 4:
            code, price, percent = products[rng.randrange(len(products))]
            lines.append(
                {
                    "code": code,
                    "quantity": 1,
                    "price": price,
                    "is_return": True,
                    "tax_percent": percent,
                }
            )
        if k % 29 == 8:  # a promotion: 30 % off (as the SDK's example order), or a gift
            code, price, percent = products[rng.randrange(len(products))]
            charged = round_half_up(Decimal(price) * Decimal("0.7")) if k % 2 == 0 else 0
            lines.append(
                {
                    "code": code,
                    "quantity": 1,
                    "price": str(charged),
                    "original_price": price,
                    "discount_percentage": "30" if charged else "100",
                    "is_reward": True,
                    "tax_percent": percent,
                }
            )
        created.append(
            handy.create_order(
                customers[k % len(customers)],
                lines,
                created_at=at,
                seller_name=SELLERS[world.country][k % 4],
                comment="Entregar por la mañana" if k % 5 == 2 else None,
                scheduled_for=at + timedelta(days=2) if k % 3 == 1 else None,
            )
        )
    live = []
    for k, order in enumerate(created):
        if k % 20 == 3:
            lines = [_line(rng, products[rng.randrange(len(products))]) for _ in range(2)]
            live.append(handy.edit_order(order["id"], lines, at=now))
        elif k % 33 == 9:
            handy.delete_order(order["id"], at=now)
        else:
            live.append(order)
    return live


def _sellable(world: World, item: Record) -> tuple[str, str, Any] | None:
    """(code, Handy price with IVA, IVA percent) of an item Handy would show, else None."""
    reference = item.get("reference")
    if not isinstance(reference, str) or not reference or "/" in reference:
        return None
    if item.get("status") != "active" or "inventory" not in item:
        return None
    entry = next((p for p in item["price"] if p["idPriceList"] == world.price_list["id"]), None)
    if entry is None:
        return None
    price = Decimal(str(entry["price"]))
    ivas = [t for t in item["tax"] if t["name"] == "IVA" and t["status"] == "active"]
    if len(ivas) > 1:
        return None
    percent = Decimal(str(ivas[0]["percentage"])) if ivas else None
    if percent is not None:
        price = price * (1 + percent / 100)
    return reference, str(round_half_up(price)), None if percent is None else str(percent)


def _line(rng: random.Random, product: tuple[str, str, Any]) -> Record:
    code, price, percent = product
    quantity: Any = rng.choice((1, 2, 3, 6, 12, 24, "0.5", "1.5", "0.333"))
    line: Record = {"code": code, "quantity": quantity, "price": price, "tax_percent": percent}
    if rng.random() < 0.25:
        discount = Decimal(rng.choice((3, 5, 10)))
        line.update(
            original_price=price,
            discount_percentage=str(discount),
            price=str(round_half_up(Decimal(price) * (100 - discount) / 100)),
        )
    return line
