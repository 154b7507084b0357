"""The seed generator: deterministic, and every awkward case present from 10 items up."""

from collections import Counter

import pytest

from handy_alegra.simulators.seed import build_world, seed_orders


def test_same_seed_same_company() -> None:
    a = build_world(seed=5, items=40, orders=10)
    b = build_world(seed=5, items=40, orders=10)
    assert a.alegra.items() == b.alegra.items()
    assert a.alegra.contacts() == b.alegra.contacts()
    assert a.handy.customers() == b.handy.customers()
    assert [o["items"] for o in a.handy.orders()] == [o["items"] for o in b.handy.orders()]
    assert build_world(seed=6, items=40).alegra.items() != a.alegra.items()


@pytest.mark.parametrize("country", ["MX", "CO"])
def test_ten_items_carry_every_awkward_case(country: str) -> None:
    world = build_world(seed=1, country=country, items=10)
    items = world.alegra.items()
    refs = [i["reference"] for i in items]
    assert "" in refs  # no reference
    assert any(isinstance(r, str) and "/" in r for r in refs)
    plain = [r for r in refs if isinstance(r, str) and r]
    assert len(plain) != len(set(plain))  # a shared reference
    assert any(i["status"] == "inactive" for i in items)
    assert any("inventory" not in i for i in items)  # a service
    chosen = world.price_list["id"]
    assert any(all(p["idPriceList"] != chosen for p in i["price"]) for i in items)
    assert any(isinstance(p["price"], str) for i in items for p in i["price"])  # numeric strings
    taxes = Counter(tuple((t["name"], t["status"]) for t in i["tax"]) for i in items)
    assert (("IVA", "active"),) in taxes
    assert () in taxes


def test_contacts_and_customers_cover_the_cases() -> None:
    world = build_world(seed=2, items=200)
    contacts = world.alegra.contacts()
    kinds = Counter(str(c["type"]) for c in contacts)
    assert kinds["['provider']"] and kinds["['client', 'provider']"] and kinds["client"]
    assert any(not c.get("identification") for c in contacts)
    names = Counter(c["name"] for c in contacts)
    assert max(names.values()) >= 2  # repeated names
    assert any(any(ch in c["name"] for ch in "áéíóúñÁÉÍÓÚÑü") for c in contacts)
    customers = world.handy.customers()
    assert any(c["rfc"] is None for c in customers)
    assert {c["description"] for c in customers} & {c["name"] for c in contacts}


def test_colombia_customers_have_person_categories() -> None:
    world = build_world(seed=3, country="CO", items=120)
    categories = {c["description"] for c in world.handy.customer_categories()}
    assert categories == {"Persona jurídica", "Persona natural"}
    used = Counter((c["category"] or {}).get("description") for c in world.handy.customers())
    assert used["Persona jurídica"] and used["Persona natural"] and used[None]


def test_orders_have_discounts_returns_rewards_edits_and_cancellations() -> None:
    world = build_world(seed=4, items=100)
    live = seed_orders(world, 60)
    orders = world.handy.orders()
    lines = [line for o in orders for line in o["items"]]
    assert any(line["isReturn"] for line in lines)
    assert any(line["isReward"] for line in lines)
    assert any(line["discountPercentage"] for line in lines)
    assert any(line["product"]["code"] == "ZZZ-00000" for line in lines)
    assert any(o["deleted"] and o["isEdited"] for o in orders)
    assert any(o["deleted"] and not o["isEdited"] for o in orders)
    assert all(not o["deleted"] for o in live)
    assert len(live) < 60 < len(orders)
