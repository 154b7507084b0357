"""Contract tests of the Handy simulator: one test (or a small group) per row of the Handy
table in DECISIONS.md, named ``test_decision_<topic>_…``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from handy_alegra.clients.http import URL, Client, MockTransport, Response
from handy_alegra.domain.clock import ManualClock
from handy_alegra.simulators.faults import Faults
from handy_alegra.simulators.handy import HandySimulator

BASE = "https://hub.handy.la/api/v2"
TOKEN = "token-de-prueba"
START = datetime(2026, 11, 2, 15, 0, 0, tzinfo=UTC)  # 09:00 in Mexico City (UTC-6)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def sim(clock: ManualClock) -> HandySimulator:
    simulator = HandySimulator(clock=clock)
    simulator.add_token(TOKEN)
    return simulator


def client(sim: HandySimulator, token: str | None = TOKEN) -> Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return Client(base_url=BASE, transport=MockTransport(sim.handle), headers=headers)


@pytest.fixture
def api(sim: HandySimulator) -> Iterator[Client]:
    with client(sim) as http:
        yield http


@pytest.fixture
def family(sim: HandySimulator) -> dict[str, Any]:
    return sim.add_family("Bebidas")


@pytest.fixture
def zone(sim: HandySimulator) -> dict[str, Any]:
    return sim.add_zone("Zona Norte")


def product_body(family: dict[str, Any], code: str = "P-1", **extra: Any) -> dict[str, Any]:
    base = {"code": code, "description": f"Producto {code}", "price": 116}
    return base | {"family": {"id": family["id"]}} | extra


def add_products(sim: HandySimulator, count: int, **extra: Any) -> None:
    family = sim.families()[0] if sim.families() else sim.add_family("Familia")
    for n in range(count):
        sim.add_product(product_body(family, f"P-{n:03d}", **extra))


def add_customer(sim: HandySimulator, code: str = "C-1", **extra: Any) -> dict[str, Any]:
    return sim.add_customer(
        {"code": code, "description": f"Cliente {code}", **extra}, zone_name="Z"
    )


def query(response: Response) -> dict[str, str]:
    return dict(URL(response.json()["pagination"]["currentPage"]).params.items())


def errors_of(response: Response) -> dict[str, dict[str, Any]]:
    assert response.status_code == 422
    return {e["field"]: e for e in response.json()["errors"]}


# --- auth -------------------------------------------------------------------------------------
def test_decision_auth_bearer_token_is_required(sim: HandySimulator) -> None:
    with client(sim, token=None) as anonymous:
        missing = anonymous.get("product")
        basic = anonymous.get("product", headers={"Authorization": f"Basic {TOKEN}"})
    with client(sim, token="otro-token") as stranger:
        unknown = stranger.get("product")
    with client(sim) as known:
        accepted = known.get("product")
    for refused in (missing, basic, unknown):
        assert refused.status_code == 401
        assert set(refused.json()) == {"message"}
    assert accepted.status_code == 200


# --- pagination -------------------------------------------------------------------------------
def test_decision_pagination_default_max_is_10_and_pages_are_1_based(
    sim: HandySimulator, api: Client
) -> None:
    add_products(sim, 25)
    first = api.get("product").json()
    third = api.get("product", params={"page": 3}).json()
    assert [p["code"] for p in first["products"]] == [f"P-{n:03d}" for n in range(10)]
    assert [p["code"] for p in third["products"]] == [f"P-{n:03d}" for n in range(20, 25)]
    assert first["pagination"]["totalCount"] == 25
    assert first["pagination"]["totalPages"] == 3


def test_decision_pagination_max_is_capped_at_100(sim: HandySimulator, api: Client) -> None:
    add_products(sim, 101)
    response = api.get("product", params={"max": 500})
    body = response.json()
    assert len(body["products"]) == 100
    assert body["pagination"]["totalPages"] == 2
    assert URL(body["pagination"]["nextPage"]).params["max"] == "500"


def test_decision_pagination_links_are_full_urls_repeating_every_query_param(
    sim: HandySimulator, api: Client
) -> None:
    add_products(sim, 7)
    params = {
        "enabled": "true",
        "filterWithDate": "lastUpdated",
        "start": "01/11/2026 00:00:00",
        "end": "03/11/2026 23:59:59",
        "max": "2",
        "page": "2",
    }
    pagination = api.get("product", params=params).json()["pagination"]
    expected_pages = {
        "currentPage": "2",
        "nextPage": "3",
        "prevPage": "1",
        "firstPage": "1",
        "lastPage": "4",
    }
    for key, number in expected_pages.items():
        url = URL(pagination[key])
        assert (url.scheme, url.host, url.path) == ("https", "hub.handy.la", "/api/v2/product")
        assert dict(url.params.items()) == params | {"page": number}
    with client(sim) as http:
        following = http.get(pagination["nextPage"]).json()
    assert [p["code"] for p in following["products"]] == ["P-004", "P-005"]


def test_decision_pagination_links_add_page_when_the_request_had_none(
    sim: HandySimulator, api: Client
) -> None:
    add_products(sim, 11)
    pagination = api.get("product", params={"enabled": "true"}).json()["pagination"]
    assert dict(URL(pagination["nextPage"]).params.items()) == {"enabled": "true", "page": "2"}


@pytest.mark.parametrize(
    ("records", "pages", "on_page", "has_next"),
    [(0, 0, 0, False), (1, 1, 1, False), (100, 1, 100, False), (101, 2, 100, True)],
)
def test_decision_pagination_counts_and_null_links_at_the_ends(
    sim: HandySimulator, api: Client, records: int, pages: int, on_page: int, has_next: bool
) -> None:
    add_products(sim, records)
    body = api.get("product", params={"max": 100}).json()
    pagination = body["pagination"]
    assert len(body["products"]) == on_page
    assert pagination["totalCount"] == records
    assert pagination["totalPages"] == pages
    assert pagination["prevPage"] is None
    assert (pagination["nextPage"] is not None) is has_next
    assert (pagination["firstPage"] is None) is (pages == 0)
    assert (pagination["lastPage"] is None) is (pages == 0)
    if has_next:
        last = api.get(pagination["nextPage"]).json()
        assert len(last["products"]) == 1
        assert last["pagination"]["nextPage"] is None
        assert URL(last["pagination"]["prevPage"]).params["page"] == "1"


def test_decision_pagination_page_past_the_end_is_empty(sim: HandySimulator, api: Client) -> None:
    add_products(sim, 3)
    body = api.get("product", params={"page": 9}).json()
    assert body["products"] == []
    assert body["pagination"]["nextPage"] is None
    assert body["pagination"]["prevPage"] is None


@pytest.mark.parametrize("params", [{"page": "0"}, {"page": "x"}, {"max": "0"}, {"max": "-5"}])
def test_decision_pagination_malformed_page_or_max_is_400(
    api: Client, params: dict[str, str]
) -> None:
    response = api.get("product", params=params)
    assert response.status_code == 400
    assert set(response.json()) == {"message"}


@pytest.mark.parametrize(
    ("path", "plural"),
    [
        ("product", "products"),
        ("customer", "customers"),
        ("family", "families"),
        ("zone", "zones"),
        ("customerCategory", "customerCategories"),
    ],
)
def test_decision_pagination_catalog_enabled_filter(
    sim: HandySimulator, api: Client, path: str, plural: str
) -> None:
    family = sim.add_family("Activa")
    sim.add_family("Inactiva", enabled=False)
    zone = sim.add_zone("Activa")
    sim.add_zone("Inactiva", enabled=False)
    sim.add_customer_category("Activa")
    sim.add_customer_category("Inactiva", enabled=False)
    sim.add_product(product_body(family, "Activa"))
    sim.add_product(product_body(family, "Inactiva", enabled=False))
    for code, enabled in (("Activa", True), ("Inactiva", False)):
        record = {"code": code, "description": code, "zone": {"id": zone["id"]}}
        sim.add_customer(record | {"enabled": enabled})

    def names(params: dict[str, str]) -> list[str]:
        records = api.get(path, params=params).json()[plural]
        return [r.get("code", r["description"]) for r in records]

    assert names({}) == ["Activa"]
    assert names({"enabled": "true"}) == ["Activa"]
    assert names({"enabled": "false"}) == ["Inactiva"]


# --- rate limit -------------------------------------------------------------------------------
def test_decision_rate_limit_headers_on_every_response(sim: HandySimulator, api: Client) -> None:
    window_end = str(int((START + timedelta(seconds=60)).timestamp()))
    ok = api.get("family")
    missing = api.get("product/NO-EXISTE")
    refused = api.post("family", json={"description": ""})
    for n, response in enumerate((ok, missing, refused), start=1):
        assert response.headers["X-RateLimit-Limit"] == "500"
        assert response.headers["X-RateLimit-Remaining"] == str(500 - n)
        assert response.headers["X-RateLimit-Reset"] == window_end
    assert (ok.status_code, missing.status_code, refused.status_code) == (200, 404, 422)


def test_decision_rate_limit_501st_request_in_the_window_is_429(
    sim: HandySimulator, clock: ManualClock, api: Client
) -> None:
    clock.advance(30)
    for _ in range(500):
        assert api.get("zone").status_code == 200
    limited = api.get("zone")
    assert limited.status_code == 429
    assert set(limited.json()) == {"message"}
    assert limited.headers["X-RateLimit-Remaining"] == "0"
    assert limited.headers["X-RateLimit-Reset"] == str(int(START.timestamp()) + 60)
    sim.add_zone("las altas no cuentan")
    with client(sim, token="segundo") as other:
        sim.add_token("segundo")
        assert other.get("zone").status_code == 200
    clock.advance(30)
    renewed = api.get("zone")
    assert renewed.status_code == 200
    assert renewed.headers["X-RateLimit-Remaining"] == "499"
    assert renewed.headers["X-RateLimit-Reset"] == str(int(START.timestamp()) + 120)


def test_decision_rate_limit_time_scale_shrinks_the_window(clock: ManualClock) -> None:
    sim = HandySimulator(clock=clock, faults=Faults(time_scale=60))
    sim.add_token(TOKEN)
    with client(sim) as api:
        for _ in range(500):
            api.get("zone")
        limited = api.get("zone")
        assert limited.status_code == 429
        assert limited.headers["X-RateLimit-Reset"] == f"{int(START.timestamp()) + 1}.000"
        clock.advance(1)
        assert api.get("zone").status_code == 200


@pytest.mark.parametrize("announced", [1, 60])
def test_decision_rate_limit_a_scripted_429_announces_its_own_reset(
    sim: HandySimulator, clock: ManualClock, api: Client, announced: int
) -> None:
    """A fault script can make Handy answer 429 with a reset ``announced`` seconds away, as a
    Unix timestamp on Handy's clock (whole seconds, like ``int(time.time()) + announced``),
    whatever its real window; the Date header carries the same clock."""
    clock.advance(12.7)
    sim.injector.script("*", ".*", "rate_limited", times=2, reset_in=announced)
    for _ in range(2):
        limited = api.get("zone")
        assert limited.status_code == 429
        assert limited.headers["X-RateLimit-Remaining"] == "0"
        assert limited.headers["X-RateLimit-Reset"] == str(int(START.timestamp()) + 12 + announced)
        assert limited.headers["Date"] == "Mon, 02 Nov 2026 15:00:12 GMT"
    assert api.get("zone").status_code == 200
    assert sim.injector.injected["rate_limited"] == 2


# --- validation error -------------------------------------------------------------------------
def test_decision_validation_error_shape(sim: HandySimulator, api: Client) -> None:
    response = api.post("product", json={"code": "P-1", "price": "$500.00"})
    assert response.status_code == 422
    assert response.json() == {
        "errors": [
            {
                "object": "com.locus.product.Product",
                "field": "description",
                "rejected-value": None,
                "message": "La propiedad [Descripción] de la clase [Producto] no puede ser nulo",
            },
            {
                "object": "com.locus.product.Product",
                "field": "price",
                "rejected-value": "$500.00",
                "message": "La propiedad Precio debe ser un número válido",
            },
            {
                "object": "com.locus.product.Product",
                "field": "family",
                "rejected-value": None,
                "message": "Selecciona una familia de producto",
            },
        ]
    }
    assert sim.products() == []


def test_decision_validation_error_malformed_body_is_400(api: Client) -> None:
    response = api.post(
        "family", content=b"{no es json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert set(response.json()) == {"message"}


# --- not found --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "product/NO-EXISTE"),
        ("PUT", "product/NO-EXISTE"),
        ("GET", "customer/NO-EXISTE"),
        ("PUT", "customer/NO-EXISTE"),
        ("GET", "salesOrder/999"),
        ("PUT", "salesOrder/999"),
        ("GET", "salesOrder/abc"),
        ("GET", "noSuchResource"),
    ],
)
def test_decision_not_found_is_404_with_message(api: Client, method: str, path: str) -> None:
    response = api.request(method, path, json={"externalId": "x"} if method == "PUT" else None)
    assert response.status_code == 404
    assert set(response.json()) == {"message"}


# --- dates ------------------------------------------------------------------------------------
def test_decision_dates_responses_are_utc_with_z(
    sim: HandySimulator, clock: ManualClock, api: Client, family: dict[str, Any]
) -> None:
    clock.advance(0.75)  # milliseconds are not sent
    created = api.post("product", json=product_body(family)).json()
    assert created["dateCreated"] == "2026-11-02T15:00:00Z"
    assert created["lastUpdated"] == "2026-11-02T15:00:00Z"


def test_decision_dates_request_window_is_mexico_city_wall_time(
    sim: HandySimulator, clock: ManualClock, api: Client, family: dict[str, Any]
) -> None:
    clock.set(datetime(2026, 11, 3, 2, 30, tzinfo=UTC))  # 2 Nov 20:30 in Mexico City
    sim.add_product(product_body(family))

    def codes(start: str, end: str) -> list[str]:
        params = {"filterWithDate": "lastUpdated", "start": start, "end": end}
        return [p["code"] for p in api.get("product", params=params).json()["products"]]

    assert codes("02/11/2026 20:30:00", "02/11/2026 20:30:00") == ["P-1"]
    assert codes("02/11/2026 00:00:00", "02/11/2026 23:59:59") == ["P-1"]
    assert codes("03/11/2026 00:00:00", "03/11/2026 23:59:59") == []  # the UTC date
    assert codes("03/11/2026 02:30:00", "03/11/2026 02:30:00") == []  # the UTC clock time


def test_decision_dates_timezone_is_configurable(clock: ManualClock) -> None:
    sim = HandySimulator(clock=clock, timezone="UTC")
    sim.add_token(TOKEN)
    sim.add_product(product_body(sim.add_family("F")))
    with client(sim) as api:
        params = {"filterWithDate": "dateCreated", "start": "02/11/2026 15:00:00"}
        assert len(api.get("product", params=params).json()["products"]) == 1
        params["start"] = "02/11/2026 15:00:01"
        assert api.get("product", params=params).json()["products"] == []


@pytest.mark.parametrize(
    "value",
    ["2026-11-02T15:00:00Z", "02/11/2026", "2/11/2026 09:00:00", "31/11/2026 09:00:00", "x"],
)
def test_decision_dates_malformed_request_date_is_400(api: Client, value: str) -> None:
    response = api.get("salesOrder", params={"start": value})
    assert response.status_code == 400
    assert "dd/MM/yyyy HH:mm:ss" in response.json()["message"]


# --- products ---------------------------------------------------------------------------------
def test_decision_products_create_answers_201_with_the_stored_object(
    sim: HandySimulator, api: Client, family: dict[str, Any]
) -> None:
    body = product_body(family, quantity=12, externalId="item-7", barcode="750100")
    response = api.post("product", json=body)
    assert response.status_code == 201
    created = response.json()
    assert isinstance(created["id"], int)
    expected = {
        "code": "P-1",
        "description": "Producto P-1",
        "price": 116.0,
        "quantity": 12.0,
        "enabled": True,
        "externalId": "item-7",
        "barcode": "750100",
        "details": None,
        "family": {"id": family["id"], "description": "Bebidas", "enabled": True},
        "tax": {"id": 1, "name": "IVA", "amount": 16.0, "enabled": True},
        "dateCreated": "2026-11-02T15:00:00Z",
        "lastUpdated": "2026-11-02T15:00:00Z",
    }
    assert {key: created[key] for key in expected} == expected
    assert api.get("product/P-1").json() == created == sim.product("P-1")


def test_decision_products_defaults_on_create(api: Client, family: dict[str, Any]) -> None:
    created = api.post("product", json=product_body(family)).json()
    assert (created["quantity"], created["enabled"], created["externalId"]) == (0.0, True, None)
    assert (created["hasBeenSold"], created["minimumPrice"], created["satProduct"]) == (
        False,
        0.0,
        None,
    )
    assert created["createdBy"]["name"] == created["lastUpdatedBy"]["name"] == "Administrador Demo"


def test_products_base_price_is_the_price_before_taxes(
    sim: HandySimulator, api: Client, family: dict[str, Any]
) -> None:
    """handy.md §6.3, checked on the SDK's products: price = basePrice × (1 + taxes)."""
    created = api.post("product", json=product_body(family, price=1890)).json()
    assert created["basePrice"] == 1629.31  # IVA 16 by default
    eight = next(t for t in sim.state.taxes.values() if t["amount"] == 8.0)
    changed = api.put("product/P-1", json={"tax": {"id": eight["id"]}}).json()
    assert changed["basePrice"] == 1750.0  # the SDK's Rayo Encogedor: 1,890 with IVA 8 %
    assert api.put("product/P-1", json={"price": 108}).json()["basePrice"] == 100.0
    assert sim.update_product("P-1", price=54)["basePrice"] == 50.0


@pytest.mark.parametrize("price", ["116", "$500.00", None, True, -1, {"amount": 1}])
def test_decision_products_price_must_be_a_number(
    api: Client, family: dict[str, Any], price: Any
) -> None:
    errors = errors_of(api.post("product", json=product_body(family) | {"price": price}))
    assert errors["price"]["message"] == "La propiedad Precio debe ser un número válido"
    assert errors["price"]["rejected-value"] == price


def test_decision_products_price_may_be_missing_only_to_be_refused(
    api: Client, family: dict[str, Any]
) -> None:
    body = product_body(family)
    del body["price"]
    assert "price" in errors_of(api.post("product", json=body))


@pytest.mark.parametrize("reference", [None, {"id": 999}, {"id": "101"}, 101, "Bebidas"])
def test_decision_products_family_must_name_an_existing_family(
    api: Client, family: dict[str, Any], reference: Any
) -> None:
    body = product_body(family) | {"family": reference}
    errors = errors_of(api.post("product", json=body))
    assert errors["family"]["message"] == "Selecciona una familia de producto"


def test_decision_products_codes_are_unique_and_without_slash(
    sim: HandySimulator, api: Client, family: dict[str, Any]
) -> None:
    assert api.post("product", json=product_body(family)).status_code == 201
    duplicate = errors_of(api.post("product", json=product_body(family)))
    assert duplicate["code"]["message"].endswith("con valor [P-1] debe ser única")
    slashed = errors_of(api.post("product", json=product_body(family, "A/B")))
    assert "/" in slashed["code"]["message"]
    assert "code" in errors_of(api.post("product", json=product_body(family, "  ")))
    with pytest.raises(ValueError, match="carácter /"):
        sim.add_product(product_body(family, "A/B"))
    assert [p["code"] for p in sim.products()] == ["P-1"]


def test_decision_products_code_in_path_is_percent_decoded_and_slash_is_not_routable(
    sim: HandySimulator, api: Client, family: dict[str, Any]
) -> None:
    sim.add_product(product_body(family, "CAFÉ 500 G"))
    assert api.get("product/CAF%C3%89%20500%20G").json()["code"] == "CAFÉ 500 G"
    assert api.get("product/A%2FB").status_code == 404


def test_decision_products_put_merges_the_fields_sent(
    sim: HandySimulator, clock: ManualClock, api: Client, family: dict[str, Any]
) -> None:
    created = api.post("product", json=product_body(family, quantity=3)).json()
    clock.advance(3600)
    response = api.put("product/P-1", json={"quantity": 40, "externalId": "item-9"})
    assert response.status_code == 200
    updated = response.json()
    assert updated == created | {
        "quantity": 40.0,
        "externalId": "item-9",
        "lastUpdated": "2026-11-02T16:00:00Z",
    }
    assert sim.product("P-1") == updated


def test_decision_products_put_validates_each_field_sent(
    sim: HandySimulator, api: Client, family: dict[str, Any]
) -> None:
    before = api.post("product", json=product_body(family)).json()
    for body, field in (
        ({"price": "120"}, "price"),
        ({"family": {"id": 999}}, "family"),
        ({"description": None}, "description"),
        ({"externalId": 12}, "externalId"),
        ({"enabled": "no"}, "enabled"),
        ({"code": "X/Y"}, "code"),
    ):
        assert field in errors_of(api.put("product/P-1", json=body))
    assert sim.product("P-1") == before


def test_decision_products_get_by_code_includes_disabled_products(
    sim: HandySimulator, api: Client, family: dict[str, Any]
) -> None:
    sim.add_product(product_body(family, enabled=False))
    assert api.get("product/P-1").json()["enabled"] is False
    assert api.get("product").json()["products"] == []


def test_decision_products_last_updated_filter_after_an_update(
    sim: HandySimulator, clock: ManualClock, api: Client, family: dict[str, Any]
) -> None:
    sim.add_product(product_body(family, "A"))
    sim.add_product(product_body(family, "B"))
    clock.advance(3600)  # 16:00 UTC = 10:00 in Mexico City
    assert api.put("product/A", json={"price": 120}).status_code == 200
    sim.update_product("B", enabled=False)

    def codes(**params: str) -> list[str]:
        listed = api.get("product", params={"filterWithDate": "lastUpdated", **params})
        return [p["code"] for p in listed.json()["products"]]

    assert codes(start="02/11/2026 09:30:00") == ["A"]
    assert codes(start="02/11/2026 10:00:00", end="02/11/2026 10:00:00") == ["A"]
    assert codes(end="02/11/2026 09:59:59") == []
    assert codes(start="02/11/2026 10:00:00", enabled="false") == ["B"]


# --- families ---------------------------------------------------------------------------------
def test_decision_families_list_and_create(sim: HandySimulator, api: Client) -> None:
    created = api.post("family", json={"description": "Lácteos"})
    assert created.status_code == 201
    family = created.json()
    assert family == {"id": family["id"], "description": "Lácteos", "enabled": True}
    assert api.get("family").json()["families"] == [family]
    assert sim.families() == [family]
    assert "description" in errors_of(api.post("family", json={}))
    assert "description" in errors_of(api.post("family", json={"description": "  "}))
    assert "description" in errors_of(api.post("family", json={"description": "Lácteos"}))


# --- customers --------------------------------------------------------------------------------
def test_decision_customers_create_with_every_field(
    sim: HandySimulator, api: Client, zone: dict[str, Any]
) -> None:
    category = sim.add_customer_category("Persona moral")
    body = {
        "code": "C-1",
        "description": "Abarrotes Lupita",
        "businessName": "Abarrotes Lupita SA de CV",
        "rfc": "ALU010101AB1",
        "email": "compras@lupita.mx",
        "phoneNumber": "5512345678",
        "address": "Av. Juárez 10",
        "city": "Toluca",
        "postalCode": "50000",
        "zone": {"id": zone["id"]},
        "category": {"id": category["id"]},
    }
    response = api.post("customer", json=body)
    assert response.status_code == 201
    created = response.json()
    assert isinstance(created["id"], int)
    assert created == body | {
        "id": created["id"],
        "zone": zone,
        "category": category,
        "enabled": True,
        "dateCreated": "2026-11-02T15:00:00Z",
        "lastUpdated": "2026-11-02T15:00:00Z",
        # fields a Handy customer carries that this service never writes (SDK order example)
        "neighborhood": None,
        "comments": None,
        "priceList": None,
        "balance": 0.0,
        "credit": 0.0,
        "fiscalRegime": None,
        "cfdiUse": None,
        "paymentForms": None,
        "paymentMethods": None,
        "facturamaCustomerId": None,
    }
    assert api.get("customer/C-1").json() == created
    assert api.get("customer").json()["customers"] == [created]


def test_decision_customers_zone_is_required_and_category_optional(
    sim: HandySimulator, api: Client, zone: dict[str, Any]
) -> None:
    base = {"code": "C-1", "description": "Cliente"}
    for zone_ref in (None, {"id": 999}, "Zona Norte"):
        refused = errors_of(api.post("customer", json=base | {"zone": zone_ref}))
        assert refused["zone"]["message"] == "Selecciona una zona"
    no_zone = errors_of(api.post("customer", json=base))
    assert set(no_zone) == {"zone"}
    bad_category = base | {"zone": {"id": zone["id"]}, "category": {"id": 999}}
    assert "category" in errors_of(api.post("customer", json=bad_category))
    created = api.post("customer", json=base | {"zone": {"id": zone["id"]}, "category": None})
    assert created.status_code == 201
    assert created.json()["category"] is None
    assert "description" in errors_of(api.post("customer", json={"code": "C-2", "zone": None}))


def test_decision_customers_codes_are_unique_and_without_slash(
    sim: HandySimulator, api: Client, zone: dict[str, Any]
) -> None:
    body = {"code": "C-1", "description": "Cliente", "zone": {"id": zone["id"]}}
    assert api.post("customer", json=body).status_code == 201
    assert "code" in errors_of(api.post("customer", json=body))
    assert "code" in errors_of(api.post("customer", json=body | {"code": "C/2"}))


def test_decision_customers_put_merges_the_fields_sent(
    sim: HandySimulator, clock: ManualClock, api: Client
) -> None:
    created = add_customer(sim, rfc="XAXX010101000", city="Puebla")
    other_zone = sim.add_zone("Zona Sur")
    clock.advance(60)
    response = api.put("customer/C-1", json={"zone": {"id": other_zone["id"]}, "email": "a@b.mx"})
    assert response.status_code == 200
    assert response.json() == created | {
        "zone": other_zone,
        "email": "a@b.mx",
        "lastUpdated": "2026-11-02T15:01:00Z",
    }
    assert "zone" in errors_of(api.put("customer/C-1", json={"zone": None}))
    assert api.put("customer/C-1", json={"enabled": False}).json()["enabled"] is False
    assert api.get("customer").json()["customers"] == []
    assert sim.update_customer("C-1", rfc="LUPA800101AB1")["rfc"] == "LUPA800101AB1"


# --- zones ------------------------------------------------------------------------------------
def test_decision_zones_list_and_create(sim: HandySimulator, api: Client) -> None:
    first = api.post("zone", json={"description": "Ruta 1"})
    second = api.post("zone", json={"description": "Ruta 2"})
    assert (first.status_code, second.status_code) == (201, 201)
    zones = [first.json(), second.json()]
    for zone, name in zip(zones, ("Ruta 1", "Ruta 2"), strict=True):
        assert set(zone) == {"id", "description", "color", "enabled"}
        assert (zone["description"], zone["enabled"]) == (name, True)
        assert zone["color"].startswith("#")
    assert zones[0]["color"] != zones[1]["color"]
    assert api.get("zone").json()["zones"] == zones == sim.zones()
    assert "description" in errors_of(api.post("zone", json={"description": None}))


# --- customer categories ----------------------------------------------------------------------
def test_decision_customer_categories_are_listed_but_not_created_over_http(
    sim: HandySimulator, api: Client
) -> None:
    moral = sim.add_customer_category("Persona jurídica")
    natural = sim.add_customer_category("Persona natural")
    listed = api.get("customerCategory").json()["customerCategories"]
    assert listed == [moral, natural]
    assert set(moral) == {"id", "description", "enabled"}
    assert api.post("customerCategory", json={"description": "Otra"}).status_code == 405
    assert len(sim.customer_categories()) == 2


# --- sales orders -----------------------------------------------------------------------------
def _order_ids(api: Client, **params: str) -> list[int]:
    response = api.get("salesOrder", params=params)
    assert response.status_code == 200, response.text
    return [o["id"] for o in response.json()["salesOrders"]]


def test_decision_sales_orders_window_on_date_created_is_inclusive(
    sim: HandySimulator, api: Client
) -> None:
    add_customer(sim)
    line = [{"code": "P-1", "quantity": 1, "price": 10}]
    at = [START + timedelta(minutes=m) for m in (0, 10, 20)]  # 09:00, 09:10, 09:20 local
    ids = [sim.create_order("C-1", line, created_at=moment)["id"] for moment in at]
    assert _order_ids(api, start="02/11/2026 09:00:00", end="02/11/2026 09:10:00") == ids[:2]
    assert _order_ids(api, start="02/11/2026 09:00:01", end="02/11/2026 09:19:59") == [ids[1]]
    assert _order_ids(api, start="02/11/2026 09:20:00") == [ids[2]]
    assert _order_ids(api) == ids
    explicit = {"filterWithDate": "dateCreated", "start": "02/11/2026 09:10:00"}
    assert _order_ids(api, **explicit) == ids[1:]


def test_decision_sales_orders_filter_with_date_fields(sim: HandySimulator, api: Client) -> None:
    add_customer(sim)
    line = [{"code": "P-1", "quantity": 1, "price": 10}]
    offline = sim.create_order(
        "C-1", line, created_at=START, mobile_created_at=START - timedelta(days=1)
    )
    window = {"start": "01/11/2026 09:00:00", "end": "01/11/2026 09:00:00"}
    assert _order_ids(api, filterWithDate="mobileDateCreated", **window) == [offline["id"]]
    assert _order_ids(api, **window) == []
    refused = api.get("salesOrder", params={"filterWithDate": "lastUpdated", **window})
    assert refused.status_code == 400


def test_decision_sales_orders_deleted_true_windows_on_date_deleted(
    sim: HandySimulator, clock: ManualClock, api: Client
) -> None:
    add_customer(sim)
    line = [{"code": "P-1", "quantity": 1, "price": 10}]
    early = sim.create_order("C-1", line)
    kept = sim.create_order("C-1", line)
    sim.delete_order(early["id"], at=START + timedelta(hours=2))  # 11:00 local
    assert _order_ids(api) == [kept["id"]]
    assert _order_ids(api, deleted="false") == [kept["id"]]
    assert _order_ids(api, deleted="true") == [early["id"]]
    created_window = {"start": "02/11/2026 09:00:00", "end": "02/11/2026 09:00:00"}
    deleted_window = {"start": "02/11/2026 11:00:00", "end": "02/11/2026 11:00:00"}
    assert _order_ids(api, deleted="true", **created_window) == []
    assert _order_ids(api, deleted="true", **deleted_window) == [early["id"]]
    explicit = {"filterWithDate": "dateCreated", **created_window}
    assert _order_ids(api, deleted="true", **explicit) == [early["id"]]


def test_decision_sales_orders_delete_marks_deleted_not_edited(
    sim: HandySimulator, api: Client
) -> None:
    add_customer(sim)
    order = sim.create_order("C-1", [{"code": "P-1", "quantity": 1, "price": 10}])
    sim.delete_order(order["id"], at=START + timedelta(minutes=5))
    fetched = api.get(f"salesOrder/{order['id']}").json()
    assert fetched["deleted"] is True
    assert fetched["isEdited"] is False
    assert fetched["dateDeleted"] == "2026-11-02T15:05:00Z"
    assert fetched["deletedBy"]["name"]
    with pytest.raises(ValueError, match="deleted"):
        sim.delete_order(order["id"])


def test_decision_sales_orders_edit_creates_a_new_order_from_the_previous_one(
    sim: HandySimulator, clock: ManualClock, api: Client
) -> None:
    add_customer(sim)
    first = sim.create_order("C-1", [{"code": "P-1", "quantity": 1, "price": 10}])
    clock.advance(600)
    second = sim.edit_order(first["id"], [{"code": "P-1", "quantity": 3, "price": 10}])
    clock.advance(600)
    third = sim.edit_order(second["id"], [{"code": "P-1", "quantity": 4, "price": 10}])
    assert len({first["id"], second["id"], third["id"]}) == 3
    assert third["dateCreated"] == "2026-11-02T15:20:00Z"
    assert (third["deleted"], third["isEdited"]) == (False, False)
    previous = api.get(f"salesOrder/{second['id']}").json()
    assert (previous["deleted"], previous["isEdited"]) == (True, True)
    assert previous["dateDeleted"] == "2026-11-02T15:20:00Z"
    fetched = api.get(f"salesOrder/{third['id']}").json()
    assert fetched["editedFrom"] == previous
    assert fetched["editedFrom"]["editedFrom"]["id"] == first["id"]
    assert fetched["editedFrom"]["editedFrom"]["editedFrom"] is None
    assert fetched["totalSales"] == 40.0
    assert _order_ids(api) == [third["id"]]
    assert _order_ids(api, deleted="true") == [first["id"], second["id"]]
    with pytest.raises(ValueError, match="deleted"):
        sim.edit_order(first["id"], [{"code": "P-1", "quantity": 1, "price": 10}])


def test_decision_sales_orders_edit_may_change_the_customer(sim: HandySimulator) -> None:
    add_customer(sim, "C-1")
    add_customer(sim, "C-2")
    order = sim.create_order("C-1", [{"code": "P-1", "quantity": 1, "price": 10}])
    edited = sim.edit_order(
        order["id"], [{"code": "P-1", "quantity": 1, "price": 10}], customer_code="C-2"
    )
    assert edited["customer"]["code"] == "C-2"
    assert edited["editedFrom"]["customer"]["code"] == "C-1"


def test_decision_sales_orders_put_external_id(sim: HandySimulator, api: Client) -> None:
    add_customer(sim)
    order = sim.create_order("C-1", [{"code": "P-1", "quantity": 1, "price": 10}])
    response = api.put(f"salesOrder/{order['id']}", json={"externalId": "rem-123", "totalSales": 1})
    assert response.status_code == 200
    assert response.json() == order | {"externalId": "rem-123"}
    assert sim.order(order["id"])["externalId"] == "rem-123"
    refused = errors_of(api.put(f"salesOrder/{order['id']}", json={"externalId": 123}))
    assert refused["externalId"]["object"] == "com.locus.salesorder.SalesOrder"
    cleared = api.put(f"salesOrder/{order['id']}", json={"externalId": None})
    assert cleared.json()["externalId"] is None


def test_decision_sales_orders_shape(sim: HandySimulator, api: Client) -> None:
    family = sim.add_family("Abarrotes")
    sim.add_product(product_body(family, "ARROZ", price=29))
    category = sim.add_customer_category("Persona moral")
    customer = add_customer(sim, rfc="ALU010101AB1", category={"id": category["id"]})
    order = sim.create_order(
        "C-1",
        [
            {
                "code": "ARROZ",
                "quantity": "2",
                "price": "26.10",
                "original_price": 29,
                "discount_percentage": 10,
            },
            {"code": "DESCONOCIDO", "quantity": 1, "price": 0, "is_reward": True},
            {"code": "SIN-IVA", "quantity": 1, "price": 5, "tax_percent": None},
        ],
        comment="Entregar temprano",
    )
    fetched = api.get(f"salesOrder/{order['id']}").json()
    assert fetched == order
    assert fetched["customer"] == customer
    assert fetched["createdBy"] == {
        "id": fetched["createdBy"]["id"],
        "name": "Vendedor Demo",
        "username": "vendedor.demo@example.com",
        "extras": None,
        "enabled": True,
    }
    known, reward, untaxed = fetched["items"]
    product = sim.product("ARROZ")
    assert product["hasBeenSold"] is True
    audit = ("createdBy", "lastUpdatedBy", "dateCreated", "lastUpdated")
    assert known["product"] == {k: v for k, v in product.items() if k not in audit}
    assert (known["quantity"], known["price"], known["originalPrice"]) == (2.0, 26.1, 29.0)
    assert (known["discountPercentage"], known["total"]) == (10.0, 52.2)
    assert known["tax"] == {"id": 1, "name": "IVA", "amount": 16.0, "enabled": True}
    assert (known["priceType"], known["isReturn"], known["isReward"]) == ("REGULAR", False, False)
    assert (known["taxOptional"], known["delivered"], known["comments"]) == (None, 0.0, None)
    assert reward["product"]["code"] == reward["product"]["description"] == "DESCONOCIDO"
    assert reward["product"]["id"] is None
    assert set(reward["product"]) == set(known["product"])
    assert (reward["priceType"], reward["isReward"]) == ("REWARD", True)
    assert (reward["promoIds"], reward["promoNames"]) == (f"PROMO-{reward['id']}", "Promoción")
    assert (known["promoIds"], known["promoNames"], known["discount"]) == (
        None,
        None,
        "Descuento de 10.0% para cliente",
    )
    assert (fetched["promoIds"], fetched["promoNames"]) == (f"PROMO-{reward['id']},", "Promoción,")
    assert fetched["type"] == {"id": 501, "description": "Pedido de venta", "enabled": True}
    assert fetched["scheduledDateForDelivery"] is None
    assert untaxed["tax"] is None
    assert fetched["sellerComment"] == "Entregar temprano"
    assert (fetched["salesType"], fetched["operativeStatus"]) == ("Preventa", "PENDING_DELIVERY")
    assert (fetched["externalId"], fetched["editedFrom"], fetched["dateDeleted"]) == (
        None,
        None,
        None,
    )


def test_decision_sales_orders_totals_count_returns_negatively(sim: HandySimulator) -> None:
    add_customer(sim)
    order = sim.create_order(
        "C-1",
        [
            {"code": "A", "quantity": 2, "price": "116"},  # 232, tax 32
            {"code": "B", "quantity": 1, "price": "58", "is_return": True},  # −58, tax −8
            {"code": "C", "quantity": 1, "price": "108", "tax_percent": 8},  # 108, tax 8
        ],
    )
    assert [i["total"] for i in order["items"]] == [232.0, 58.0, 108.0]
    assert order["items"][1]["isReturn"] is True
    assert (order["totalSales"], order["totalTax"], order["totalBeforeTax"]) == (
        282.0,
        32.0,
        250.0,
    )


def test_decision_sales_orders_totals_match_the_handy_fixture(sim: HandySimulator) -> None:
    add_customer(sim)
    order = sim.create_order(
        "C-1",
        [
            {"code": "M-001", "quantity": 1, "price": "1833.3", "tax_percent": 8},
            {"code": "M-002", "quantity": 2, "price": "16878", "tax_percent": 16},
            {"code": "M-003", "quantity": 3, "price": "406", "tax_percent": 16},
        ],
    )
    assert (order["totalSales"], order["totalTax"], order["totalBeforeTax"]) == (
        36807.3,
        4959.8,
        31847.5,
    )


def test_sales_orders_carry_the_scheduled_delivery_through_edits(sim: HandySimulator) -> None:
    add_customer(sim)
    when = START + timedelta(days=2)
    order = sim.create_order("C-1", [{"code": "A", "quantity": 1, "price": 1}], scheduled_for=when)
    assert order["scheduledDateForDelivery"] == "2026-11-04T15:00:00Z"
    edited = sim.edit_order(order["id"], [{"code": "A", "quantity": 2, "price": 1}])
    assert edited["scheduledDateForDelivery"] == "2026-11-04T15:00:00Z"


def test_a_rendered_order_is_served_as_it_is(sim: HandySimulator, api: Client) -> None:
    """``add_rendered_order`` serves a public order (the SDK's) exactly; orders created
    afterwards never take its id."""
    add_customer(sim)
    raw = {
        "id": 29_079_003,
        "dateCreated": "2026-11-02T15:00:00Z",
        "mobileDateCreated": "2026-11-02T15:00:00Z",
        "customer": {"code": "X", "description": "Gru Inc"},
        "items": [{"id": 1, "product": {"code": "M-001"}, "quantity": 1.0, "price": 5.0}],
        "totalSales": 5.0,
        "editedFrom": {"id": 29_079_001, "deleted": True, "isEdited": True},
        "anUnknownField": [1, 2],
    }
    served = sim.add_rendered_order(raw)
    assert served == raw | {"deleted": False}
    assert api.get("salesOrder/29079003").json() == served
    listed = api.get(
        "salesOrder", params={"start": "02/11/2026 09:00:00", "end": "02/11/2026 09:00:00"}
    )
    assert listed.json()["salesOrders"] == [served]
    ids = [
        sim.create_order("C-1", [{"code": "A", "quantity": 1, "price": 1}])["id"] for _ in range(3)
    ]
    assert ids == [29_079_001, 29_079_002, 29_079_004]
    with pytest.raises(ValueError, match="already exists"):
        sim.add_rendered_order(raw)
    with pytest.raises(ValueError, match="does not match"):
        sim.add_rendered_order(raw | {"id": 1, "dateCreated": "ayer"})


def test_decision_sales_orders_line_total_rounds_half_up(sim: HandySimulator) -> None:
    add_customer(sim)
    order = sim.create_order("C-1", [{"code": "A", "quantity": "0.5", "price": "0.05"}])
    assert order["items"][0]["total"] == 0.03


# --- externalId as Handy's SDK types it (an Integer) ------------------------------------------
def test_integer_external_ids_mode_takes_only_32_bit_integers(clock: ManualClock) -> None:
    sim = HandySimulator(clock=clock, integer_external_ids=True)
    sim.add_token(TOKEN)
    family = sim.add_family("Bebidas")
    add_customer(sim)
    order = sim.create_order("C-1", [{"code": "P-1", "quantity": 1, "price": 10}])
    with client(sim) as api:
        path = f"salesOrder/{order['id']}"
        for refused_value in ("0190a3b2-7c1d-7e4f-8a9b-0c1d2e3f4a5b", "318", 2**31, True, 3.5):
            refused = errors_of(api.put(path, json={"externalId": refused_value}))["externalId"]
            assert refused["object"] == "com.locus.salesorder.SalesOrder"
            assert refused["rejected-value"] == refused_value
            assert "Id externo" in refused["message"]
        assert sim.order(order["id"])["externalId"] is None
        assert api.put(path, json={"externalId": 318}).json()["externalId"] == 318
        assert api.put(path, json={"externalId": None}).json()["externalId"] is None
        text = api.post("product", json=product_body(family, externalId="1043"))
        assert errors_of(text)["externalId"]["object"] == "com.locus.product.Product"
        created = api.post("product", json=product_body(family, externalId=1043))
        assert created.status_code == 201 and created.json()["externalId"] == 1043
        assert errors_of(api.put("product/P-1", json={"externalId": "x"}))
        assert api.put("product/P-1", json={"externalId": 7}).json()["externalId"] == 7


def test_decision_users_the_token_test(sim: HandySimulator, api: Client) -> None:
    users = api.get("user", params={"page": 1, "max": 1}).json()
    assert users["pagination"]["totalCount"] >= 1
    assert set(users["users"][0]) >= {"id", "name", "username", "enabled"}
    with client(sim, token="wrong") as anonymous:
        assert anonymous.get("user").status_code == 401


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (404, {"message": "No existe el recurso /zone"}),
        (405, {"message": "HTTP 405"}),
    ],
)
def test_an_endpoint_can_be_refused_like_a_real_handy_without_it(
    sim: HandySimulator, api: Client, status: int, body: dict[str, Any]
) -> None:
    sim.refuse("GET", "zone", status)
    response = api.get("zone")
    assert (response.status_code, response.json()) == (status, body)
    assert "X-RateLimit-Remaining" in response.headers
    assert api.post("zone", json={"description": "Z"}).status_code == 201  # GET only
    assert api.get("family").status_code == 200
    sim.refuse("PUT", r"salesOrder/\d+", 422, "no", [{"field": "externalId", "message": "no"}])
    assert api.put("salesOrder/1", json={}).json() == {
        "errors": [{"field": "externalId", "message": "no"}]
    }
