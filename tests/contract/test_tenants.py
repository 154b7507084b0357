"""Many companies behind one API root (``simulators.tenants``): each request reaches the
company whose credential it carries — its own data, its own rate-limit window — and a
credential nobody knows is refused as the API refuses it."""

from __future__ import annotations

import base64

import pytest

from handy_alegra.clients.http import Client, MockTransport
from handy_alegra.domain.clock import ManualClock
from handy_alegra.simulators.alegra import AlegraSimulator
from handy_alegra.simulators.asgi import SimulatorApp, serve_in_thread
from handy_alegra.simulators.faults import Faults
from handy_alegra.simulators.handy import HandySimulator
from handy_alegra.simulators.seed import World, build_world
from handy_alegra.simulators.tenants import Tenants


def companies(clock: ManualClock, **faults: Faults) -> tuple[list[World], Tenants, Tenants]:
    worlds = [
        build_world(seed=seed, country=country, items=20, clock=clock, **faults)
        for seed, country in ((101, "MX"), (102, "CO"))
    ]
    alegra, handy = Tenants(AlegraSimulator(clock=clock)), Tenants(HandySimulator(clock=clock))
    for world in worlds:
        alegra.add(world.alegra, world.credentials.alegra_email)
        handy.add(world.handy, world.credentials.handy_token)
    return worlds, alegra, handy


def basic(email: str, token: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{email}:{token}".encode()).decode()}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_each_credential_reaches_its_own_company(clock: ManualClock) -> None:
    worlds, alegra, handy = companies(clock)
    a = Client(base_url="https://api.alegra.com/api/v1/", transport=MockTransport(alegra.handle))
    h = Client(base_url="https://hub.handy.la/api/v2/", transport=MockTransport(handy.handle))
    for world in worlds:
        c = world.credentials
        company = a.get("company", headers=basic(c.alegra_email, c.alegra_token)).json()
        assert company["applicationVersion"] == ("mexico" if world.country == "MX" else "colombia")
        items = a.get("items", params={"limit": 30}, headers=basic(c.alegra_email, c.alegra_token))
        assert [i["name"] for i in items.json()] == [i["name"] for i in world.alegra.items()][:20]
    first, second = worlds
    family = first.handy.families()[0]["id"]
    h.post(
        "product",
        json={"code": "ONLY-FIRST", "description": "Sólo", "price": 10, "family": {"id": family}},
        headers=bearer(first.credentials.handy_token),
    ).raise_for_status()
    assert "ONLY-FIRST" in first.handy.state.products
    assert "ONLY-FIRST" not in second.handy.state.products
    assert first.handy.count_calls("POST") == 1 and second.handy.count_calls("POST") == 0


def test_each_company_has_its_own_rate_window(clock: ManualClock) -> None:
    worlds, _, handy = companies(clock, handy_faults=Faults(rate_limit=3))
    h = Client(base_url="https://hub.handy.la/api/v2/", transport=MockTransport(handy.handle))
    first, second = (bearer(w.credentials.handy_token) for w in worlds)
    assert [h.get("product", headers=first).status_code for _ in range(4)] == [200, 200, 200, 429]
    assert h.get("product", headers=second).status_code == 200  # the other company's window
    clock.advance(60)
    assert h.get("product", headers=first).status_code == 200  # a new window


def test_a_credential_nobody_knows_is_refused_as_the_api_refuses_it(clock: ManualClock) -> None:
    worlds, alegra, handy = companies(clock)
    a = Client(base_url="https://api.alegra.com/api/v1/", transport=MockTransport(alegra.handle))
    h = Client(base_url="https://hub.handy.la/api/v2/", transport=MockTransport(handy.handle))
    known = worlds[0].credentials
    for headers in (
        basic("nadie@empresa.mx", "x"),
        basic(known.alegra_email, worlds[1].credentials.alegra_token),  # another's token
        {"Authorization": "Bearer x"},
        {},
    ):
        answer = a.get("items", headers=headers)
        assert answer.status_code == 401 and answer.json()["code"] == 401
    for headers in (bearer("not-a-token"), bearer(known.alegra_token), {}):
        answer = h.get("product", headers=headers)
        assert answer.status_code == 401 and "message" in answer.json()
    assert all(w.alegra.count_calls() == 0 for w in worlds[1:])


def test_a_credential_belongs_to_one_company_and_one_api(clock: ManualClock) -> None:
    worlds, alegra, handy = companies(clock)
    with pytest.raises(ValueError, match="already belongs"):
        alegra.add(worlds[1].alegra, worlds[0].credentials.alegra_email)
    with pytest.raises(TypeError):
        handy.add(worlds[0].alegra, "x")  # type: ignore[arg-type]


def test_served_on_loopback_with_latency_awaited_outside_the_threads(clock: ManualClock) -> None:
    worlds, alegra, handy = companies(clock)
    server = serve_in_thread(SimulatorApp({"alegra": alegra, "handy": handy}, latency=0.01))
    try:
        with Client(base_url=f"{server.base_url}/handy/api/v2/") as h:
            for world in worlds:
                answer = h.get("product", headers=bearer(world.credentials.handy_token))
                codes = {p["code"] for p in answer.json()["products"]}
                assert codes == {p["code"] for p in world.handy.products()}
    finally:
        server.stop()
