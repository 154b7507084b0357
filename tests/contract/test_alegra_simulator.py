"""Contract tests of the Alegra simulator: one group per row of DECISIONS.md's Alegra table
(``test_decision_<topic>_…``), plus fault injection through this simulator."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from handy_alegra.clients.http import Client, MockTransport, ReadTimeout, Response
from handy_alegra.domain.clock import ManualClock
from handy_alegra.simulators.alegra import MAX_DELIVERY_FAILURES, AlegraSimulator
from handy_alegra.simulators.faults import Faults

BASE = "https://api.alegra.com/api/v1"
EMAIL, TOKEN = "admin@distribuidora.mx", "token-123"
RATE_HEADERS = ("X-Rate-Limit-Limit", "X-Rate-Limit-Remaining", "X-Rate-Limit-Reset")


def client_for(sim: AlegraSimulator, auth: tuple[str, str] | None = (EMAIL, TOKEN)) -> Client:
    return Client(base_url=BASE, transport=MockTransport(sim.handle), auth=auth)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def sim(clock: ManualClock) -> AlegraSimulator:
    simulator = AlegraSimulator(clock=clock)
    simulator.add_user(EMAIL, TOKEN)
    return simulator


@pytest.fixture
def api(sim: AlegraSimulator) -> Iterator[Client]:
    with client_for(sim) as client:
        yield client


@pytest.fixture
def ids(sim: AlegraSimulator) -> dict[str, str]:
    """A small catalog: IVA 16 and IVA 19 taxes, two price lists, a warehouse, a seller,
    one item and one client."""
    iva = sim.add_tax("IVA", "16.00", type="IVA")
    iva19 = sim.add_tax("IVA 19", 19)
    general = sim.add_price_list("General")
    wholesale = sim.add_price_list("Mayorista")
    warehouse = sim.add_warehouse("Principal", is_default=True)
    seller = sim.add_seller("Carmen Giraldo", identification="1957845")
    item = sim.add_item(
        {
            "name": "Aceite 1L",
            "reference": "ACE-1L",
            "status": "active",
            "price": [{"idPriceList": general["id"], "name": "General", "price": "100.00"}],
            "tax": [iva],
            "inventory": {"unit": "unit", "availableQuantity": "12"},
        }
    )
    client = sim.add_contact({"name": "Tienda Sol", "identification": "TSO010101AB1"})
    return {
        "iva": iva["id"],
        "iva19": iva19["id"],
        "general": general["id"],
        "wholesale": wholesale["id"],
        "warehouse": warehouse["id"],
        "seller": seller["id"],
        "item": item["id"],
        "client": client["id"],
    }


def remission_body(ids: dict[str, str], **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "date": "2026-11-02",
        "dueDate": "2026-11-02",
        "client": {"id": ids["client"]},
        "items": [{"id": ids["item"], "price": 100, "quantity": 1, "tax": [{"id": ids["iva"]}]}],
    }
    body.update(overrides)
    return body


def create_remission(api: Client, ids: dict[str, str], **overrides: Any) -> dict[str, Any]:
    response = api.post("remissions", json=remission_body(ids, **overrides))
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def assert_400(response: Response, *words: str, code: int = 400) -> None:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["code"] == code
    for word in words:
        assert word in body["message"]


# --- auth -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "auth",
    [None, (EMAIL, "wrong"), ("otro@demo.mx", TOKEN), (EMAIL, ""), (EMAIL, "contraseña")],
    ids=str,
)
def test_decision_auth_bad_credentials_401(sim: AlegraSimulator, auth: Any) -> None:
    with client_for(sim, auth) as client:
        response = client.get("company")
    assert response.status_code == 401
    body = response.json()
    assert body["code"] == 401
    assert body["message"]


def test_decision_auth_bearer_is_refused_and_basic_accepted(
    sim: AlegraSimulator, api: Client
) -> None:
    with client_for(sim, None) as client:
        bearer = {"Authorization": f"Bearer {TOKEN}"}
        assert client.get("company", headers=bearer).status_code == 401
    response = api.get("company")
    assert response.status_code == 200
    assert response.json()["name"] == "Distribuidora Demo"
    assert response.json()["applicationVersion"] == "mexico"


def test_company_per_country_and_set_company(clock: ManualClock) -> None:
    sim = AlegraSimulator(clock=clock, country="CO")
    sim.add_user(EMAIL, TOKEN)
    sim.set_company(name="Ferretería El Tornillo", decimalPrecision=0)
    with client_for(sim) as client:
        company = client.get("company").json()
    assert company["applicationVersion"] == "colombia"
    assert company["name"] == "Ferretería El Tornillo"
    assert company["decimalPrecision"] == 0
    assert company["identification"]
    with pytest.raises(ValueError, match="country"):
        AlegraSimulator(clock=clock, country="AR")


# --- pagination -------------------------------------------------------------------------------
@pytest.mark.parametrize("count", [0, 1, 30, 31])
def test_decision_pagination_pages_of_30(sim: AlegraSimulator, api: Client, count: int) -> None:
    for n in range(count):
        sim.add_item({"name": f"Producto {n:02d}", "reference": f"P-{n:02d}"})
    first = api.get("items").json()
    second = api.get("items", params={"start": 30}).json()
    assert len(first) == min(count, 30)
    assert len(second) == max(count - 30, 0)
    assert [i["id"] for i in first + second] == [str(n + 1) for n in range(count)]
    envelope = api.get("items", params={"metadata": "true", "start": 30}).json()
    assert envelope == {"metadata": {"total": count}, "data": second}


def test_decision_pagination_limit_above_30_is_code_903(api: Client) -> None:
    assert_400(api.get("items", params={"limit": 31}), "limit", code=903)
    assert api.get("items", params={"limit": 30}).status_code == 200
    assert_400(api.get("items", params={"limit": 0}), "limit")
    assert_400(api.get("items", params={"limit": "diez"}), "limit")
    assert_400(api.get("items", params={"start": -1}), "start")


def test_decision_pagination_start_limit_and_order(sim: AlegraSimulator, api: Client) -> None:
    for name in ("Cera", "Aceite", "Balata", "Filtro", "Dado", "Engrane", "Grasa", "Hule", "Imán"):
        sim.add_item({"name": name})
    sim.add_item({"name": "Junta"})  # id "10": numeric order puts it last
    page = api.get("items", params={"start": 2, "limit": 3}).json()
    assert [i["id"] for i in page] == ["3", "4", "5"]
    by_name = api.get("items", params={"order_field": "name", "limit": 3}).json()
    assert [i["name"] for i in by_name] == ["Aceite", "Balata", "Cera"]
    newest = api.get("items", params={"order_field": "id", "order_direction": "DESC"}).json()
    assert [i["id"] for i in newest[:2]] == ["10", "9"]
    ignored = api.get("items", params={"order_field": "color"}).json()
    assert [i["id"] for i in ignored][:2] == ["1", "2"]
    assert_400(api.get("items", params={"order_direction": "UP"}), "order_direction")


def test_decision_pagination_envelopes_of_contacts_and_taxes(
    sim: AlegraSimulator, api: Client, ids: dict[str, str]
) -> None:
    contacts = api.get("contacts", params={"metadata": "true"}).json()
    assert contacts["metadata"] == {"total": 1}
    assert [c["id"] for c in contacts["data"]] == [ids["client"]]
    taxes = api.get("taxes", params={"metadata": "true", "limit": 1}).json()
    assert taxes["total"] == "2"
    assert [t["id"] for t in taxes["results"]] == [ids["iva"]]
    assert [t["name"] for t in api.get("taxes").json()] == ["IVA", "IVA 19"]


# --- writes -----------------------------------------------------------------------------------
def test_decision_writes_post_answers_200_with_the_record(api: Client, ids: dict[str, str]) -> None:
    response = api.post("contacts", json={"name": "Abarrotes Lupita", "type": "client"})
    assert response.status_code == 200
    created = response.json()
    assert created["name"] == "Abarrotes Lupita"
    assert api.get(f"contacts/{created['id']}").json() == created
    remission = create_remission(api, ids)
    assert api.get(f"remissions/{remission['id']}").json() == remission


def test_decision_writes_date_filters_are_inclusive(api: Client, ids: dict[str, str]) -> None:
    for day in ("2026-11-01", "2026-11-02", "2026-11-03", "2026-11-04"):
        create_remission(api, ids, date=day, dueDate=day)
    window = {"date_after": "2026-11-02", "date_before": "2026-11-03"}
    assert sorted(r["date"] for r in api.get("remissions", params=window).json()) == [
        "2026-11-02",
        "2026-11-03",
    ]
    exact = api.get("remissions", params={"date": "2026-11-04"}).json()
    assert [r["date"] for r in exact] == ["2026-11-04"]
    assert_400(api.get("remissions", params={"date_after": "02/11/2026"}), "date_after")


# --- rate limit -------------------------------------------------------------------------------
def test_decision_rate_limit_150_per_window_per_user(
    sim: AlegraSimulator, api: Client, clock: ManualClock
) -> None:
    for n in range(150):
        response = api.get("company")
        assert response.status_code == 200
        assert response.headers["X-Rate-Limit-Limit"] == "150"
        assert response.headers["X-Rate-Limit-Remaining"] == str(149 - n)
    limited = api.get("company")
    assert limited.status_code == 429
    assert limited.json()["code"] == 429
    assert limited.json()["message"]
    assert limited.headers["X-Rate-Limit-Remaining"] == "0"
    assert limited.headers["X-Rate-Limit-Reset"] == "60"
    sim.add_user("otra@demo.mx", "otro-token")
    with client_for(sim, ("otra@demo.mx", "otro-token")) as other:
        assert other.get("company").headers["X-Rate-Limit-Remaining"] == "149"
    clock.advance(60)
    fresh = api.get("company")
    assert fresh.status_code == 200
    assert fresh.headers["X-Rate-Limit-Remaining"] == "149"


def test_decision_rate_limit_headers_on_every_response_and_reset_seconds(
    api: Client, clock: ManualClock
) -> None:
    clock.advance(15)
    for response in (api.get("company"), api.get("items/404"), api.post("contacts", json={})):
        assert all(header in response.headers for header in RATE_HEADERS)
        assert response.headers["X-Rate-Limit-Reset"] == "45"
    clock.advance(0.5)
    assert api.get("company").headers["X-Rate-Limit-Reset"] == "45"  # rounded up
    clock.advance(44)
    assert api.get("company").headers["X-Rate-Limit-Reset"] == "1"


def test_decision_rate_limit_time_scale_shrinks_the_window(clock: ManualClock) -> None:
    sim = AlegraSimulator(clock=clock, faults=Faults(time_scale=60, rate_limit=3))
    sim.add_user(EMAIL, TOKEN)
    with client_for(sim) as api:
        first = api.get("company")
        assert first.headers["X-Rate-Limit-Reset"] == "1.000"
        assert first.headers["X-Rate-Limit-Limit"] == "3"
        clock.advance(0.25)
        api.get("company")
        third = api.get("company")
        assert third.headers["X-Rate-Limit-Reset"] == "0.750"
        assert third.headers["X-Rate-Limit-Remaining"] == "0"
        assert api.get("company").status_code == 429
        clock.advance(0.75)
        assert api.get("company").status_code == 200


# --- errors -----------------------------------------------------------------------------------
def test_decision_errors_400_in_spanish_naming_the_field(api: Client, ids: dict[str, str]) -> None:
    assert_400(api.post("contacts", json={"email": "x@y.mx"}), "name", "obligatorio")
    assert_400(api.post("contacts", json={"name": "X", "email": "sin-arroba"}), "email")
    body = remission_body(ids)
    del body["dueDate"]
    assert_400(api.post("remissions", json=body), "dueDate", "obligatorio")
    assert_400(api.post("remissions", content=b"{no es json"), "JSON")


def test_decision_errors_404_and_405(api: Client) -> None:
    for path in ("items/999", "contacts/999", "remissions/0190-no-existe", "price-lists/9"):
        response = api.get(path)
        assert response.status_code == 404
        assert response.json()["code"] == 404
        assert response.json()["message"]
    assert api.delete("webhooks/subscriptions/7").status_code == 404
    assert api.post("items", json={"name": "X"}).status_code == 405


# --- ids --------------------------------------------------------------------------------------
def test_decision_ids_strings_and_remission_uuid7(
    sim: AlegraSimulator, api: Client, ids: dict[str, str], clock: ManualClock
) -> None:
    assert all(isinstance(v, str) for v in ids.values())
    assert api.get(f"items/{ids['item']}").json()["id"] == "1"
    first = create_remission(api, ids)
    second = create_remission(api, ids)
    for remission in (first, second):
        parsed = uuid.UUID(remission["id"])
        assert len(remission["id"]) == 36
        assert remission["id"][14] == "7"
        assert parsed.version == 7
        assert parsed.variant == uuid.RFC_4122
        assert parsed.int >> 80 == int(clock.now().timestamp() * 1000)
    assert first["id"] != second["id"]
    assert (first["number"], second["number"]) == ("1", "2")
    again = AlegraSimulator(clock=ManualClock(), seed=0)
    assert again.new_uuid7() == AlegraSimulator(clock=ManualClock(), seed=0).new_uuid7()


def test_admin_ids_chosen_or_counted(sim: AlegraSimulator) -> None:
    assert sim.add_price_list("General", id="1")["id"] == "1"
    assert sim.add_price_list("Mayorista")["id"] == "2"
    assert sim.add_item({"id": 40, "name": "Elegido"})["id"] == "40"
    assert sim.add_item({"name": "Siguiente"})["id"] == "41"
    with pytest.raises(ValueError, match="already exists"):
        sim.add_item({"id": "40", "name": "Repetido"})


# --- numbers ----------------------------------------------------------------------------------
def test_decision_numbers_are_served_as_stored(
    sim: AlegraSimulator, api: Client, ids: dict[str, str]
) -> None:
    record = {
        "name": "Filtro",
        "reference": "FIL-01",
        "price": [{"idPriceList": "1", "price": "1001.00"}, {"idPriceList": 2, "price": 950.5}],
        "inventory": {"availableQuantity": "12.0", "warehouses": [{"id": "1", "minQuantity": 2}]},
    }
    stored = sim.add_item(record)
    served = api.get(f"items/{stored['id']}").json()
    assert served == {"id": stored["id"], **record}
    taxes = {t["id"]: t["percentage"] for t in api.get("taxes").json()}
    assert taxes == {ids["iva"]: "16.00", ids["iva19"]: 19}


# --- items ------------------------------------------------------------------------------------
def test_decision_items_inventoriable_means_inventory_present(
    sim: AlegraSimulator, api: Client
) -> None:
    product = sim.add_item({"name": "Producto", "inventory": {"unit": "unit"}})
    service = sim.add_item({"name": "Servicio"})
    nulled = sim.add_item({"name": "Sin inventario", "inventory": None})
    assert [i["id"] for i in api.get("items", params={"inventariable": "true"}).json()] == [
        product["id"]
    ]
    assert [i["id"] for i in api.get("items", params={"inventariable": "false"}).json()] == [
        service["id"],
        nulled["id"],
    ]
    assert_400(api.get("items", params={"inventariable": "quizá"}), "inventariable")


def test_decision_items_reference_and_other_filters(sim: AlegraSimulator, api: Client) -> None:
    category = sim.add_item_category("Lubricantes")
    oil = sim.add_item(
        {
            "name": "Aceite 20W50",
            "reference": "ACE-20W50",
            "status": "active",
            "type": "simple",
            "itemCategory": {"id": category["id"], "name": "Lubricantes"},
            "price": [{"idPriceList": "2", "price": "28800"}],
        }
    )
    legacy = sim.add_item({"name": "Balata", "reference": {"reference": "BAL-01"}})
    off = sim.add_item({"name": "Aceite viejo", "reference": "ACE-OLD", "status": "inactive"})

    def found(**params: str) -> list[str]:
        return [i["id"] for i in api.get("items", params=params).json()]

    assert found(reference="ace-") == [oil["id"], off["id"]]
    assert found(reference="BAL-01") == [legacy["id"]]
    assert api.get(f"items/{legacy['id']}").json()["reference"] == {"reference": "BAL-01"}
    assert found(query="bal-") == [legacy["id"]]
    assert found(name="ACEITE", status="active") == [oil["id"]]
    assert found(status="inactive") == [off["id"]]
    assert found(idItemCategory=category["id"]) == [oil["id"]]
    assert found(type="simple") == [oil["id"]]
    assert found(order_field="reference", limit="1") == [oil["id"]]


def test_decision_price_lists_and_the_item_entry_filter(
    sim: AlegraSimulator, api: Client, ids: dict[str, str]
) -> None:
    percentage = sim.add_price_list("Descuento", type="percentage", percentage="10.00")
    lists = api.get("price-lists").json()
    assert [(p["id"], p["name"], p["type"]) for p in lists] == [
        (ids["general"], "General", "amount"),
        (ids["wholesale"], "Mayorista", "amount"),
        (percentage["id"], "Descuento", "percentage"),
    ]
    assert lists[2]["percentage"] == "10.00"
    only_general = sim.add_item({"name": "Solo general", "price": [{"idPriceList": "1"}]})
    both = sim.add_item(
        {"name": "Ambas", "price": [{"idPriceList": "1"}, {"idPriceList": ids["wholesale"]}]}
    )
    listed = api.get("items", params={"pricelistId": ids["wholesale"]}).json()
    assert [i["id"] for i in listed] == [both["id"]]
    listed = api.get("items", params={"pricelistId": ids["general"]}).json()
    assert [i["id"] for i in listed] == [ids["item"], only_general["id"], both["id"]]
    assert api.get(f"price-lists/{percentage['id']}").json()["name"] == "Descuento"
    assert [w["name"] for w in api.get("warehouses").json()] == ["Principal"]


# --- contacts ---------------------------------------------------------------------------------
def test_decision_contacts_type_filter_and_type_string_to_array(
    sim: AlegraSimulator, api: Client
) -> None:
    client = api.post("contacts", json={"name": "Cliente", "type": "client"}).json()
    provider = api.post("contacts", json={"name": "Proveedor", "type": ["provider", "otro"]}).json()
    both = api.post("contacts", json={"name": "Ambos", "type": ["client", "provider"]}).json()
    unknown = api.post("contacts", json={"name": "Raro", "type": "vecino"}).json()
    assert client["type"] == ["client"]
    assert provider["type"] == ["provider"]
    assert unknown["type"] == []
    clients = api.get("contacts", params={"type": "client"}).json()
    assert [c["id"] for c in clients] == [client["id"], both["id"]]
    providers = api.get("contacts", params={"type": "provider"}).json()
    assert [c["id"] for c in providers] == [provider["id"], both["id"]]


def test_decision_contacts_name_filter_is_case_insensitive_contains(
    sim: AlegraSimulator, api: Client
) -> None:
    names = ("Tienda Sol", "Super TIENDA del Centro", "Tiendas Unidas", "Farmacia")
    for name in names:
        sim.add_contact({"name": name, "type": ["client"]})
    found = [c["name"] for c in api.get("contacts", params={"name": "tienda"}).json()]
    assert found == ["Tienda Sol", "Super TIENDA del Centro", "Tiendas Unidas"]
    exact = [name for name in found if name == "Tienda Sol"]  # what the client must do itself
    assert exact == ["Tienda Sol"]


def test_decision_contacts_identification_exact_and_query(
    sim: AlegraSimulator, api: Client
) -> None:
    rfc = sim.add_contact({"name": "Abarrotes", "identification": "AES180215KJ3"})
    sim.add_contact({"name": "Otro", "identification": "AES180215KJ"})
    by_id = api.get("contacts", params={"identification": "AES180215KJ3"}).json()
    assert [c["id"] for c in by_id] == [rfc["id"]]
    assert api.get("contacts", params={"identification": "aes180215kj3"}).json() == []
    by_query = api.get("contacts", params={"query": "kj3"}).json()
    assert [c["id"] for c in by_query] == [rfc["id"]]


def test_decision_contacts_mexico_accepts_an_rfc_string(api: Client, ids: dict[str, str]) -> None:
    body = {
        "name": "Abarrotes La Esperanza SA de CV",
        "identification": "AES180215KJ3",
        "kindOfPerson": "LEGAL_ENTITY",
        "type": ["client"],
        "email": "facturas@laesperanza.mx",
        "address": {"street": "Av. Insurgentes Sur", "zipCode": "03100"},
        "seller": ids["seller"],
        "priceList": {"id": ids["wholesale"]},
        "ignoreRepeated": True,
    }
    created = api.post("contacts", json=body).json()
    assert created["identification"] == "AES180215KJ3"
    assert created["address"] == body["address"]
    assert created["status"] == "active"
    assert created["seller"] == {
        "id": ids["seller"],
        "name": "Carmen Giraldo",
        "identification": "1957845",
        "observations": "",
        "status": "active",
    }
    assert created["priceList"] == {"id": ids["wholesale"], "name": "Mayorista"}
    assert "ignoreRepeated" not in created
    assert_400(api.post("contacts", json={"name": "X", "seller": "99"}), "seller")
    assert_400(api.post("contacts", json={"name": "X", "kindOfPerson": "ALIEN"}), "kindOfPerson")


CO_LEGAL = {
    "name": "Ferretería",
    "identificationObject": {"type": "NIT", "number": "901234567", "dv": "3"},
    "kindOfPerson": "LEGAL_ENTITY",
    "regime": "COMMON_REGIME",
    "type": "client",
}
CO_PERSON = {
    "nameObject": {"firstName": "Ana", "lastName": "Ríos", "secondLastName": "Peña"},
    "identificationObject": {"type": "CC", "number": 1020304},
    "kindOfPerson": "PERSON_ENTITY",
    "regime": "SIMPLIFIED_REGIME",
}


def test_decision_contacts_colombia_identification_object(clock: ManualClock) -> None:
    sim = AlegraSimulator(clock=clock, country="CO")
    sim.add_user(EMAIL, TOKEN)
    with client_for(sim) as api:
        old_style = {**CO_LEGAL, "identification": "901234567"}
        del old_style["identificationObject"]
        assert_400(api.post("contacts", json=old_style), "identificationObject")
        nit = {"type": "NIT", "number": "901234567"}
        assert_400(api.post("contacts", json={**CO_LEGAL, "identificationObject": nit}), "dv")
        dni = {"type": "DNI", "number": 1}
        assert_400(
            api.post("contacts", json={**CO_LEGAL, "identificationObject": dni}),
            "identificationObject.type",
        )
        created = api.post("contacts", json=CO_LEGAL).json()
        assert created["identification"] == "901234567"
        assert created["identificationObject"] == {"type": "NIT", "number": "901234567", "dv": "3"}
        assert (created["kindOfPerson"], created["regime"]) == ("LEGAL_ENTITY", "COMMON_REGIME")
        person = api.post("contacts", json=CO_PERSON).json()
        assert person["identification"] == "1020304"
        found = api.get("contacts", params={"identification": "901234567"}).json()
        assert [c["id"] for c in found] == [created["id"]]


@pytest.mark.parametrize("field", ["identificationObject", "kindOfPerson", "regime"])
def test_colombia_requires_the_identification_the_kind_and_the_regime(
    clock: ManualClock, field: str
) -> None:
    sim = AlegraSimulator(clock=clock, country="CO")
    sim.add_user(EMAIL, TOKEN)
    with client_for(sim) as api:
        body = {k: v for k, v in CO_LEGAL.items() if k != field}
        assert_400(api.post("contacts", json=body), field)
        assert_400(api.post("contacts", json={**CO_LEGAL, "regime": "NO_REGIME"}), "regime")
        assert sim.contacts() == []


def test_colombia_names_a_natural_person_by_name_object_never_both(clock: ManualClock) -> None:
    sim = AlegraSimulator(clock=clock, country="CO")
    sim.add_user(EMAIL, TOKEN)
    with client_for(sim) as api:
        both = {**CO_PERSON, "name": "Ana Ríos Peña"}
        assert_400(api.post("contacts", json=both), "name", "nameObject", code=2039)
        named_only = {k: v for k, v in both.items() if k != "nameObject"}
        assert_400(api.post("contacts", json=named_only), "nameObject")
        no_last = {**CO_PERSON, "nameObject": {"firstName": "Ana"}}
        assert_400(api.post("contacts", json=no_last), "nameObject.lastName")
        person = api.post("contacts", json=CO_PERSON).json()
        assert person["name"] == "Ana Ríos Peña"  # the parts joined, as Alegra shows it
        assert person["nameObject"]["secondName"] is None
        assert_400(api.post("contacts", json={**CO_LEGAL, "name": " "}), "name")


def test_colombia_refuses_a_repeated_identification_naming_the_contact(
    clock: ManualClock,
) -> None:
    sim = AlegraSimulator(clock=clock, country="CO")
    sim.add_user(EMAIL, TOKEN)
    with client_for(sim) as api:
        first = api.post("contacts", json=CO_LEGAL).json()
        again = api.post("contacts", json={**CO_LEGAL, "name": "Otra Ferretería"})
        assert_400(again, "Ya existe un contacto con la identificación 901234567", code=2006)
        assert again.json() | {"message": ""} == {
            "code": 2006,
            "message": "",
            "contactId": first["id"],
            "contactName": "Ferretería",
            "contactIdentification": "901234567",
            "contactIdentificationObject": {"type": "NIT", "number": "901234567", "dv": "3"},
        }
        forced = api.post("contacts", json={**CO_LEGAL, "ignoreRepeated": True})
        assert forced.status_code == 200
        assert "ignoreRepeated" not in forced.json()
        assert len(sim.contacts()) == 2


def test_decision_contacts_put_merges(api: Client) -> None:
    created = api.post("contacts", json={"name": "Lupita", "email": "a@b.mx", "type": "client"})
    contact_id = created.json()["id"]
    response = api.put(f"contacts/{contact_id}", json={"phonePrimary": "5551234"})
    assert response.status_code == 200
    merged = api.get(f"contacts/{contact_id}").json()
    assert (merged["name"], merged["email"], merged["phonePrimary"]) == (
        "Lupita",
        "a@b.mx",
        "5551234",
    )
    assert_400(api.put(f"contacts/{contact_id}", json={"name": " "}), "name")
    assert api.put("contacts/999", json={"name": "X"}).status_code == 404


def test_contacts_repeated_identification_accepted_unless_configured(clock: ManualClock) -> None:
    assert AlegraSimulator(clock=clock).reject_repeated_identification is False  # MX default
    assert AlegraSimulator(clock=clock, country="CO").reject_repeated_identification is True
    for strict in (False, True):
        sim = AlegraSimulator(clock=clock, reject_repeated_identification=strict)
        sim.add_user(EMAIL, TOKEN)
        with client_for(sim) as api:
            body = {"name": "Uno", "identification": "XAXX010101000"}
            assert api.post("contacts", json=body).status_code == 200
            repeated = api.post("contacts", json={**body, "name": "Dos"})
            assert repeated.status_code == (400 if strict else 200)
            forced = api.post("contacts", json={**body, "ignoreRepeated": True})
            assert forced.status_code == 200


# --- sellers ----------------------------------------------------------------------------------
def test_decision_sellers_one_unpaginated_array(sim: AlegraSimulator, api: Client) -> None:
    for n in range(35):
        sim.add_seller(f"Vendedor {n}")
    sellers = api.get("sellers", params={"start": 30, "limit": 5}).json()
    assert isinstance(sellers, list)
    assert len(sellers) == 35
    contact = sim.add_contact({"name": "C", "seller": sellers[0]})
    sim.rename_seller(sellers[0]["id"], "Zona Norte")
    assert api.get("sellers").json()[0]["name"] == "Zona Norte"
    assert api.get(f"contacts/{contact['id']}").json()["seller"]["name"] == "Zona Norte"


# --- remissions -------------------------------------------------------------------------------
def test_decision_remissions_create_shape(api: Client, ids: dict[str, str]) -> None:
    body = remission_body(
        ids,
        client=ids["client"],
        seller={"id": ids["seller"]},
        warehouse=ids["warehouse"],
        priceList={"id": ids["wholesale"]},
        observations="ext-order:PED-000123",
        anotation="Entregar en bodega",
    )
    remission = api.post("remissions", json=body).json()
    assert remission["documentName"] == "remission"
    assert remission["status"] == "open"
    assert remission["number"] == "1"
    assert (remission["date"], remission["dueDate"]) == ("2026-11-02", "2026-11-02")
    assert remission["client"] == {
        "id": ids["client"],
        "name": "Tienda Sol",
        "identification": "TSO010101AB1",
    }
    assert remission["seller"]["name"] == "Carmen Giraldo"
    assert remission["warehouse"] == {"id": ids["warehouse"], "name": "Principal"}
    assert remission["priceList"] == {"id": ids["wholesale"], "name": "Mayorista"}
    assert remission["observations"] == "ext-order:PED-000123"
    assert remission["anotation"] == "Entregar en bodega"
    assert remission["items"] == [
        {
            "id": ids["item"],
            "name": "Aceite 1L",
            "reference": "ACE-1L",
            "description": None,
            "price": 100,
            "discount": 0,
            "quantity": 1,
            "tax": [{"id": ids["iva"], "name": "IVA", "percentage": "16.00", "amount": 16}],
            "total": 116,
        }
    ]
    assert (remission["subtotal"], remission["tax"], remission["total"]) == (100, 16, 116)


def test_decision_remissions_list_newest_first_and_filters(
    sim: AlegraSimulator, api: Client, ids: dict[str, str]
) -> None:
    other = sim.add_contact({"name": "Otro cliente"})
    first = create_remission(api, ids)
    second = create_remission(api, ids, client={"id": other["id"]})
    third = create_remission(api, ids)
    listed = [r["id"] for r in api.get("remissions").json()]
    assert listed == [third["id"], second["id"], first["id"]]
    ascending = api.get("remissions", params={"order_direction": "ASC"}).json()
    assert [r["id"] for r in ascending] == [first["id"], second["id"], third["id"]]
    mine = api.get("remissions", params={"client_id": ids["client"]}).json()
    assert [r["id"] for r in mine] == [third["id"], first["id"]]
    assert [r["id"] for r in api.get("remissions", params={"number": "2"}).json()] == [second["id"]]
    api.post(f"remissions/{first['id']}/void")
    voided = api.get("remissions", params={"status": "void"}).json()
    assert [r["id"] for r in voided] == [first["id"]]
    page = api.get("remissions", params={"limit": 1, "start": 1}).json()
    assert [r["id"] for r in page] == [second["id"]]
    assert [r["id"] for r in sim.remissions()] == [first["id"], second["id"], third["id"]]


def test_decision_remissions_update_only_while_open(
    sim: AlegraSimulator, api: Client, ids: dict[str, str]
) -> None:
    remission = create_remission(api, ids)
    path = f"remissions/{remission['id']}"
    new_items = [{"id": ids["item"], "price": 50, "quantity": 4, "tax": [{"id": ids["iva"]}]}]
    updated = api.put(path, json={"observations": "editada", "items": new_items}).json()
    assert updated["observations"] == "editada"
    assert (updated["subtotal"], updated["tax"], updated["total"]) == (200, 32, 232)
    assert updated["date"] == remission["date"]
    assert updated["number"] == remission["number"]
    assert_400(api.put(path, json={"items": []}), "items")
    assert_400(api.put(path, json={"dueDate": "2026-10-01"}), "dueDate")
    assert api.get(path).json()["total"] == 232  # a refused edit changes nothing
    sim.close_remission(remission["id"])
    assert_400(api.put(path, json={"observations": "tarde"}), "closed")
    assert api.put("remissions/nope", json={}).status_code == 404


def test_decision_remissions_anotation_due_date_and_price_list_on_create_and_edit(
    api: Client, ids: dict[str, str]
) -> None:
    """What the sales sync sends for an accountant (issue 11, part 6): a printed
    ``anotation``, a ``dueDate`` after the date, ``priceList: {id}`` — kept and returned on
    create, changed by an edit, kept by an edit that does not send them."""
    remission = create_remission(
        api,
        ids,
        dueDate="2026-11-05",
        priceList={"id": ids["wholesale"]},
        anotation="Pedido Handy #7 — entregar temprano",
    )
    path = f"remissions/{remission['id']}"
    assert (remission["date"], remission["dueDate"]) == ("2026-11-02", "2026-11-05")
    assert remission["priceList"] == {"id": ids["wholesale"], "name": "Mayorista"}
    assert remission["anotation"] == "Pedido Handy #7 — entregar temprano"
    edited = api.put(
        path,
        json={"anotation": "Pedido Handy #8", "dueDate": "2026-11-06", "priceList": ids["general"]},
    ).json()
    assert (edited["anotation"], edited["dueDate"]) == ("Pedido Handy #8", "2026-11-06")
    assert edited["priceList"] == {"id": ids["general"], "name": "General"}
    kept = api.put(path, json={"observations": "solo esto"}).json()
    assert (kept["anotation"], kept["dueDate"], kept["priceList"]) == (
        "Pedido Handy #8",
        "2026-11-06",
        {"id": ids["general"], "name": "General"},
    )
    assert api.get(path).json() == kept
    assert_400(api.put(path, json={"priceList": {"id": "999"}}), "priceList")
    assert_400(api.put(path, json={"anotation": "x" * 501}), "anotation", "500")
    assert_400(api.post("remissions", json=remission_body(ids, priceList="999")), "priceList")
    assert api.get(path).json() == kept  # refused edits change nothing


def test_decision_remissions_void_open_and_closed_rules(
    sim: AlegraSimulator, api: Client, ids: dict[str, str]
) -> None:
    remission = create_remission(api, ids)
    path = f"remissions/{remission['id']}"
    voided = api.post(f"{path}/void")
    assert voided.status_code == 200
    assert voided.json()["status"] == "void"
    assert_400(api.post(f"{path}/void"), "void")
    assert_400(api.put(path, json={"observations": "x"}), "void")
    reopened = api.post(f"{path}/open")
    assert reopened.json()["status"] == "open"
    assert_400(api.post(f"{path}/open"), "open")
    sim.close_remission(remission["id"])
    assert_400(api.post(f"{path}/void"), "closed")
    assert_400(api.post(f"{path}/open"), "closed")
    assert api.get(path).json()["status"] == "closed"
    voided_one = create_remission(api, ids)
    api.post(f"remissions/{voided_one['id']}/void")
    with pytest.raises(ValueError, match="void"):
        sim.close_remission(voided_one["id"])


def test_decision_remissions_observations_at_most_500(api: Client, ids: dict[str, str]) -> None:
    assert create_remission(api, ids, observations="x" * 500)["observations"] == "x" * 500
    assert_400(api.post("remissions", json=remission_body(ids, observations="x" * 501)), "500")


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ({"id": "999", "price": 1, "quantity": 1}, "items[0].id"),
        ({"id": "1", "quantity": 1}, "items[0].price"),
        ({"id": "1", "price": -1, "quantity": 1}, "items[0].price"),
        ({"id": "1", "price": "caro", "quantity": 1}, "items[0].price"),
        ({"id": "1", "price": 1, "quantity": 0}, "items[0].quantity"),
        ({"id": "1", "price": 1, "quantity": 1, "tax": [{"id": "99"}]}, "items[0].tax"),
        ({"id": "1", "price": 1, "quantity": 1, "discount": 120}, "items[0].discount"),
    ],
)
def test_decision_remissions_line_validation(
    api: Client, ids: dict[str, str], line: dict[str, Any], field: str
) -> None:
    assert_400(api.post("remissions", json=remission_body(ids, items=[line])), field)


def test_decision_remissions_header_validation(api: Client, ids: dict[str, str]) -> None:
    assert_400(api.post("remissions", json=remission_body(ids, client={"id": "99"})), "client")
    assert_400(api.post("remissions", json=remission_body(ids, date="02/11/2026")), "date")
    assert_400(api.post("remissions", json=remission_body(ids, items=[])), "items")
    assert_400(api.post("remissions", json=remission_body(ids, seller="99")), "seller")
    assert_400(api.post("remissions", json=remission_body(ids, warehouse={"id": 9})), "warehouse")
    assert_400(api.post("remissions", json=remission_body(ids, priceList=9)), "priceList")
    assert api.get("remissions").json() == []


# --- totals -----------------------------------------------------------------------------------
def line(ids: dict[str, str], price: Any, quantity: Any, tax: str = "iva") -> dict[str, Any]:
    return {"id": ids["item"], "price": price, "quantity": quantity, "tax": [{"id": ids[tax]}]}


def test_decision_totals_worked_example(api: Client, ids: dict[str, str]) -> None:
    remission = create_remission(api, ids, items=[line(ids, 86.206897, 3)])
    assert (remission["subtotal"], remission["tax"], remission["total"]) == (258.62, 41.38, 300)
    assert remission["items"][0]["tax"][0]["amount"] == 41.38
    assert remission["items"][0]["total"] == 300
    assert remission["items"][0]["price"] == 86.206897


def test_decision_totals_round_half_up(api: Client, ids: dict[str, str]) -> None:
    subtotal_half = create_remission(api, ids, items=[line(ids, 2.345, 1)])  # 2.345 → 2.35
    assert (subtotal_half["subtotal"], subtotal_half["tax"]) == (2.35, 0.38)  # 0.376 → 0.38
    tax_half = create_remission(api, ids, items=[line(ids, "1.50", 1, tax="iva19")])
    assert tax_half["tax"] == 0.29  # 0.285 → 0.29 (half-even would give 0.28)
    both = create_remission(api, ids, items=[line(ids, 2.345, 1), line(ids, 1.5, 1, "iva19")])
    assert (both["subtotal"], both["tax"], both["total"]) == (3.85, 0.67, 4.52)
    discounted = create_remission(
        api, ids, items=[{**line(ids, 10, 3), "discount": 10}]
    )  # 30 × 0.9 = 27
    assert (discounted["subtotal"], discounted["tax"]) == (27, 4.32)


def test_decision_totals_price_decimals_at_most_6(api: Client, ids: dict[str, str]) -> None:
    assert create_remission(api, ids, items=[line(ids, "1.123456", 1)])["subtotal"] == 1.12
    response = api.post("remissions", json=remission_body(ids, items=[line(ids, "1.1234567", 1)]))
    assert_400(response, "items[0].price", "6")


# --- webhooks ---------------------------------------------------------------------------------
class Receiver:
    """A webhook endpoint: records every call and answers the scripted statuses."""

    def __init__(self, *statuses: int) -> None:
        self.calls: list[tuple[str, bytes]] = []
        self.statuses = list(statuses)

    def __call__(self, url: str, body: bytes) -> int:
        self.calls.append((url, body))
        status = self.statuses.pop(0) if self.statuses else 200
        if status < 0:
            raise ConnectionError("unreachable")
        return status

    def payloads(self) -> list[Any]:
        return [json.loads(body) for _, body in self.calls if body]


def subscribe(api: Client, event: str, url: str = "hooks.example.mx/alegra/t0k3n") -> Response:
    return api.post("webhooks/subscriptions", json={"event": event, "url": url})


def test_decision_webhooks_subscription_crud(api: Client) -> None:
    response = subscribe(api, "new-item")
    assert response.status_code == 200
    subscription = response.json()["subscription"]
    assert subscription == {
        "id": subscription["id"],
        "event": "new-item",
        "url": "hooks.example.mx/alegra/t0k3n",
        "status": "active",
    }
    assert api.get("webhooks/subscriptions").json() == {"subscriptions": [subscription]}
    deleted = api.delete(f"webhooks/subscriptions/{subscription['id']}")
    assert deleted.status_code == 200
    assert deleted.json()["code"] == 200
    assert api.get("webhooks/subscriptions").json() == {"subscriptions": []}
    assert api.delete(f"webhooks/subscriptions/{subscription['id']}").status_code == 404


def test_decision_webhooks_url_without_scheme_and_known_events(api: Client) -> None:
    assert_400(subscribe(api, "new-item", "https://hooks.example.mx/x"), "url")
    assert_400(subscribe(api, "new-item", "HTTP://hooks.example.mx/x"), "url")
    assert_400(subscribe(api, "new-invoice"), "event")
    assert_400(api.post("webhooks/subscriptions", json={"event": "new-item"}), "url")
    for event in ("edit-item", "delete-item", "new-client", "edit-client", "delete-client"):
        assert subscribe(api, event).status_code == 200


def test_decision_webhooks_verification_post_must_answer_2xx(
    sim: AlegraSimulator, api: Client
) -> None:
    receiver = Receiver(503, -1, 204)
    sim.webhook_sender = receiver
    assert_400(subscribe(api, "new-item"), "verificar")
    assert_400(subscribe(api, "new-item"), "verificar")
    assert sim.subscriptions() == []
    assert subscribe(api, "new-item").status_code == 200
    assert receiver.calls == [("https://hooks.example.mx/alegra/t0k3n", b"")] * 3
    sim.webhook_scheme = "http"
    subscribe(api, "edit-item", "127.0.0.1:8000/hooks")
    assert receiver.calls[-1] == ("http://127.0.0.1:8000/hooks", b"")


def test_decision_webhooks_delivery_of_admin_and_api_changes(
    sim: AlegraSimulator, api: Client
) -> None:
    receiver = Receiver()
    sim.webhook_sender = receiver
    for event in ("new-item", "edit-item", "delete-item", "new-client", "edit-client"):
        subscribe(api, event, f"hooks.example.mx/{event}")
    receiver.calls.clear()
    item = sim.add_item({"name": "Aceite", "reference": "ACE"})
    sim.update_item(item["id"], name="Aceite 1L")
    sim.delete_item(item["id"])
    contact = sim.add_contact({"name": "Tienda"})
    sim.update_contact(contact["id"], name="Tienda Sol")
    sim.delete_contact(contact["id"])  # nobody subscribed to delete-client
    created = api.post("contacts", json={"name": "Por API", "type": "client"}).json()
    assert [url for url, _ in receiver.calls] == [
        "https://hooks.example.mx/new-item",
        "https://hooks.example.mx/edit-item",
        "https://hooks.example.mx/delete-item",
        "https://hooks.example.mx/new-client",
        "https://hooks.example.mx/edit-client",
        "https://hooks.example.mx/new-client",
    ]
    payloads = receiver.payloads()
    # The records come in the webhook's own shape (Pipedream's test events): the keys are
    # checked against those in test_public_shapes; here, that they carry the change.
    assert payloads[0]["subject"] == "new-item"
    assert {k: payloads[0]["message"]["item"][k] for k in ("id", "name", "reference")} == item
    assert payloads[1]["message"]["item"]["name"] == "Aceite 1L"
    assert payloads[2]["subject"] == "delete-item"
    assert payloads[4]["subject"] == "edit-client"
    assert payloads[4]["message"]["client"]["id"] == contact["id"]
    assert payloads[4]["message"]["client"]["name"] == "Tienda Sol"
    assert payloads[5]["message"]["client"]["id"] == created["id"]
    assert payloads[5]["message"]["client"]["name"] == "Por API"
    assert payloads[5]["message"]["client"]["type"] == ["client"]


def test_decision_webhooks_delivered_outside_the_lock(sim: AlegraSimulator, api: Client) -> None:
    subscribe(api, "new-item")
    lock_was_free: list[bool] = []

    def sender(url: str, body: bytes) -> int:
        def probe() -> None:
            acquired = sim.lock.acquire(blocking=False)
            lock_was_free.append(acquired)
            if acquired:
                sim.lock.release()

        thread = threading.Thread(target=probe)
        thread.start()
        thread.join()
        return 200

    sim.webhook_sender = sender
    sim.add_item({"name": "Aceite"})
    assert lock_was_free == [True]


def test_decision_webhooks_deleted_after_10_consecutive_failures(
    sim: AlegraSimulator, api: Client
) -> None:
    subscription = subscribe(api, "edit-item").json()["subscription"]
    item = sim.add_item({"name": "Aceite"})
    failures = MAX_DELIVERY_FAILURES - 1
    sim.webhook_sender = Receiver(*([500] * failures), 200, *([-1] * failures), 404)
    for n in range(2 * failures + 1):
        sim.update_item(item["id"], name=f"Aceite v{n}")
    assert [s["id"] for s in sim.subscriptions()] == [subscription["id"]]  # a success reset it
    sim.update_item(item["id"], name="Aceite final")
    assert sim.subscriptions() == []
    assert api.get("webhooks/subscriptions").json() == {"subscriptions": []}


# --- fault injection --------------------------------------------------------------------------
def test_faults_drop_after_commit_keeps_the_remission(
    sim: AlegraSimulator, api: Client, ids: dict[str, str]
) -> None:
    sim.injector.script("POST", "remissions", "drop_after_commit")
    with pytest.raises(ReadTimeout):
        api.post("remissions", json=remission_body(ids, observations="ext-order:PED-9"))
    [stored] = sim.remissions()
    assert stored["observations"] == "ext-order:PED-9"
    listed = api.get("remissions", params={"client_id": ids["client"]}).json()
    assert [r["id"] for r in listed] == [stored["id"]]
    assert create_remission(api, ids)["number"] == "2"  # the script fired once


def test_faults_error_rate_answers_500_or_503_without_writing(clock: ManualClock) -> None:
    sim = AlegraSimulator(clock=clock, faults=Faults(error_rate=1.0), seed=7)
    sim.add_user(EMAIL, TOKEN)
    sim.add_contact({"name": "Tienda"})
    with client_for(sim) as api:
        responses = [api.post("contacts", json={"name": f"C{n}"}) for n in range(20)]
    assert {r.status_code for r in responses} == {500, 503}
    assert all(r.json()["code"] == r.status_code for r in responses)
    assert all("X-Rate-Limit-Remaining" in r.headers for r in responses)
    assert len(sim.contacts()) == 1


def test_faults_429_storm(sim: AlegraSimulator, api: Client, clock: ManualClock) -> None:
    sim.injector.script("*", "items", "rate_limited", times=3)
    statuses = [api.get("items").status_code for _ in range(4)]
    assert statuses == [429, 429, 429, 200]
    sim.faults.storm_rate = 1.0
    sim.faults.storm_seconds = 5
    stormy = api.get("company")
    assert stormy.status_code == 429
    assert stormy.json()["code"] == 429
    assert stormy.headers["X-Rate-Limit-Remaining"] == "0"
    sim.faults.storm_rate = 0.0
    assert api.get("company").status_code == 429  # the storm lasts storm_seconds
    clock.advance(5)
    assert api.get("company").status_code == 200


@pytest.mark.parametrize("announced", [1, 60])
def test_faults_a_scripted_429_announces_its_own_reset(
    sim: AlegraSimulator, api: Client, clock: ManualClock, announced: int
) -> None:
    """Alegra's header is the seconds left: a scripted 429 can say 1 or 60 whatever its
    window (the real one, aligned on the minute, would say something else)."""
    clock.advance(12.7)
    sim.injector.script("*", ".*", "rate_limited", times=8, reset_in=announced)
    for _ in range(8):
        limited = api.get("company")
        assert limited.status_code == 429
        assert limited.headers["X-Rate-Limit-Remaining"] == "0"
        assert limited.headers["X-Rate-Limit-Reset"] == str(announced)
    assert api.get("company").status_code == 200
    assert sim.injector.injected["rate_limited"] == 8


def test_admin_lists_return_copies(sim: AlegraSimulator, ids: dict[str, str]) -> None:
    sim.items()[0]["name"] = "cambiado"
    sim.contacts()[0]["name"] = "cambiado"
    assert sim.items()[0]["name"] == "Aceite 1L"
    assert sim.contacts()[0]["name"] == "Tienda Sol"
