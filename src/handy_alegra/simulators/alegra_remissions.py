"""Remission handlers of the Alegra simulator: create, list, read, edit, void and reopen,
with the totals of ``handy_alegra.domain.alegra_totals`` (DECISIONS.md, "remissions" and
"totals")."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING, Any

from handy_alegra.clients.http import Response
from handy_alegra.domain.alegra_totals import (
    MAX_PRICE_DECIMALS,
    LineAmounts,
    line_amounts,
    price_decimals,
)
from handy_alegra.domain.alegra_totals import totals as sum_totals
from handy_alegra.domain.money import HUNDRED, ZERO, to_decimal
from handy_alegra.simulators.alegra_routes import (
    ID,
    Record,
    SortKey,
    id_key,
    invalid,
    listing,
    lookup,
    not_found,
    ok,
    text_key,
    text_of,
)
from handy_alegra.simulators.routing import SimRequest

if TYPE_CHECKING:
    from handy_alegra.simulators.alegra import AlegraSimulator

MAX_TEXT = 500  # characters of observations and anotation
STATUSES = ("open", "void", "closed")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_NOUN = "la remisión"

SORT_KEYS: dict[str, SortKey] = {
    "id": id_key,
    "number": lambda r: id_key({"id": r.get("number")}),
    "date": text_key("date"),
    "dueDate": text_key("dueDate"),
    "status": text_key("status"),
    "name": lambda r: text_of((r.get("client") or {}).get("name")).casefold(),
}


def register(sim: AlegraSimulator) -> None:
    def add(method: str, pattern: str, handler: Callable[..., Response]) -> None:
        sim.router.add(method, pattern, partial(handler, sim))

    add("GET", "remissions", list_remissions)
    add("POST", "remissions", create_remission)
    add("GET", rf"remissions/{ID}", get_remission)
    add("PUT", rf"remissions/{ID}", update_remission)
    add("POST", rf"remissions/{ID}/void", void_remission)
    add("POST", rf"remissions/{ID}/open", open_remission)


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)  # float ok


def _stored(sim: AlegraSimulator, remission_id: str) -> Record:
    remission = sim.store.remissions.get(remission_id)
    if remission is None:
        raise not_found(_NOUN, remission_id)
    return remission


# --- validation -------------------------------------------------------------------------------
def _date(value: Any, field: str) -> str:
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise invalid(f"El campo {field} debe ser una fecha con formato yyyy-MM-dd")
    try:
        date.fromisoformat(value)
    except ValueError:
        raise invalid(f"El campo {field} no es una fecha válida") from None
    return value


def _decimal(value: Any, field: str) -> Decimal:
    if value is None or value == "":
        raise invalid(f"El campo {field} es obligatorio")
    try:
        return to_decimal(value)
    except ValueError:
        raise invalid(f"El campo {field} debe ser un número") from None


def _line(sim: AlegraSimulator, raw: Any, index: int) -> tuple[Record, LineAmounts]:
    where = f"items[{index}]"
    if not isinstance(raw, dict):
        raise invalid(f"El campo {where} debe ser un objeto")
    if raw.get("id") in (None, ""):
        raise invalid(f"El campo {where}.id es obligatorio")
    item = lookup(sim.store.items, raw["id"], f"{where}.id", "el producto")
    price = _decimal(raw.get("price"), f"{where}.price")
    if price < 0:
        raise invalid(f"El campo {where}.price no puede ser negativo")
    if price_decimals(price) > MAX_PRICE_DECIMALS:
        raise invalid(f"El campo {where}.price admite como máximo {MAX_PRICE_DECIMALS} decimales")
    quantity = _decimal(raw.get("quantity"), f"{where}.quantity")
    if quantity <= 0:
        raise invalid(f"El campo {where}.quantity debe ser mayor a 0")
    discount = (
        ZERO
        if raw.get("discount") in (None, "")
        else _decimal(raw["discount"], f"{where}.discount")
    )
    if not ZERO <= discount <= HUNDRED:
        raise invalid(f"El campo {where}.discount debe ser un porcentaje entre 0 y 100")
    raw_taxes = raw.get("tax") or []
    if not isinstance(raw_taxes, list):
        raise invalid(f"El campo {where}.tax debe ser una lista de impuestos")
    taxes = [lookup(sim.store.taxes, t, f"{where}.tax", "el impuesto") for t in raw_taxes]
    amounts = line_amounts(price, quantity, [to_decimal(t["percentage"]) for t in taxes], discount)
    description = raw.get("description", item.get("description"))
    line: Record = {
        "id": item["id"],
        "name": item.get("name"),
        "reference": text_of(item.get("reference")),
        "description": description,
        "price": _number(price),
        "discount": _number(discount),
        "quantity": _number(quantity),
        "tax": [
            {"id": t["id"], "name": t["name"], "percentage": t["percentage"], "amount": _number(a)}
            for t, a in zip(taxes, amounts.taxes, strict=True)
        ],
        "total": _number(amounts.total),
    }
    return line, amounts


def _apply(sim: AlegraSimulator, target: Record, body: Record, *, creating: bool) -> None:
    """Validate the fields of ``body`` and write them, in the read shape, into ``target``."""
    if creating:
        for required in ("date", "dueDate", "client", "items"):
            if body.get(required) in (None, "", [], {}):
                raise invalid(f"El campo {required} es obligatorio")
    for field in ("date", "dueDate"):
        if field in body:
            target[field] = _date(body[field], field)
    if target["dueDate"] < target["date"]:
        raise invalid("El campo dueDate no puede ser anterior a la fecha (date)")
    if "client" in body:
        client = lookup(sim.store.contacts, body["client"], "client", "el cliente")
        target["client"] = {k: client.get(k) for k in ("id", "name", "identification")}
    if "items" in body:
        raw_lines = body["items"]
        if not isinstance(raw_lines, list) or not raw_lines:
            raise invalid("El campo items debe ser una lista con al menos un producto")
        lines = [_line(sim, raw, index) for index, raw in enumerate(raw_lines)]
        totals = sum_totals(amounts for _, amounts in lines)
        target["items"] = [line for line, _ in lines]
        target.update(
            subtotal=_number(totals.subtotal), tax=_number(totals.tax), total=_number(totals.total)
        )
    for field in ("observations", "anotation"):
        if field in body:
            text = body[field]
            if text is not None and not isinstance(text, str):
                raise invalid(f"El campo {field} debe ser un texto")
            if text is not None and len(text) > MAX_TEXT:
                raise invalid(f"El campo {field} admite como máximo {MAX_TEXT} caracteres")
            target[field] = text
    store = sim.store
    for field, table, noun in (
        ("seller", store.sellers, "el vendedor"),
        ("warehouse", store.warehouses, "la bodega"),
        ("priceList", store.price_lists, "la lista de precios"),
    ):
        if body.get(field) is not None:
            found = lookup(table, body[field], field, noun)
            target[field] = (
                copy.deepcopy(found)
                if field == "seller"
                else {"id": found["id"], "name": found["name"]}
            )


# --- handlers ---------------------------------------------------------------------------------
def create_remission(sim: AlegraSimulator, req: SimRequest) -> Response:
    body = req.json_object()
    remission: Record = {
        "id": "",
        "number": "",
        "documentName": "remission",
        "date": "",
        "dueDate": "",
        "status": "open",
        "observations": None,
        "anotation": None,
        "client": None,
        "seller": None,
        "priceList": None,
        "warehouse": None,
        "currency": copy.deepcopy(sim.store.company.get("currency")),
        "items": [],
        "subtotal": 0,
        "tax": 0,
        "total": 0,
    }
    _apply(sim, remission, body, creating=True)
    remission["id"] = sim.new_uuid7()
    remission["number"] = sim.store.next_number("remission")
    sim.store.remissions[remission["id"]] = remission
    return ok(remission)


def get_remission(sim: AlegraSimulator, req: SimRequest) -> Response:
    return ok(_stored(sim, req.args[0]))


def update_remission(sim: AlegraSimulator, req: SimRequest) -> Response:
    remission = _stored(sim, req.args[0])
    if remission["status"] != "open":
        raise invalid(f"La remisión está en estado {remission['status']} y no se puede editar")
    edited = copy.deepcopy(remission)
    _apply(sim, edited, req.json_object(), creating=False)
    remission.update(edited)
    return ok(remission)


def void_remission(sim: AlegraSimulator, req: SimRequest) -> Response:
    remission = _stored(sim, req.args[0])
    if remission["status"] != "open":
        raise invalid(f"La remisión está en estado {remission['status']} y no se puede anular")
    remission["status"] = "void"
    return ok(remission)


def open_remission(sim: AlegraSimulator, req: SimRequest) -> Response:
    remission = _stored(sim, req.args[0])
    if remission["status"] != "void":
        raise invalid(f"La remisión está en estado {remission['status']} y no se puede abrir")
    remission["status"] = "open"
    return ok(remission)


def list_remissions(sim: AlegraSimulator, req: SimRequest) -> Response:
    checks: list[Callable[[Record], bool]] = []
    if (client_id := req.param("client_id")) is not None:
        checks.append(lambda r: str((r.get("client") or {}).get("id")) == client_id)
    if (status := req.param("status")) is not None:
        checks.append(lambda r: r["status"] == status)
    if (number := req.param("number")) is not None:
        checks.append(lambda r: r["number"] == number)
    if (item_id := req.param("item_id")) is not None:
        checks.append(lambda r: any(str(line.get("id")) == item_id for line in r["items"]))
    if (on := req.param("date")) is not None:
        day = _date(on, "date")
        checks.append(lambda r: r["date"] == day)
    if (after := req.param("date_after")) is not None:
        first = _date(after, "date_after")
        checks.append(lambda r: r["date"] >= first)
    if (before := req.param("date_before")) is not None:
        last = _date(before, "date_before")
        checks.append(lambda r: r["date"] <= last)
    records = [r for r in sim.store.remissions.values() if all(check(r) for check in checks)]
    return listing(req, records, SORT_KEYS, newest_first=True)
