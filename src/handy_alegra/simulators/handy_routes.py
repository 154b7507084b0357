"""HTTP routes of the Handy simulator: catalog lists, reads and writes, sales orders, the
pagination envelope and the request date format."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING, Any

from handy_alegra.clients.http import Response
from handy_alegra.simulators import handy_catalog as catalog
from handy_alegra.simulators import handy_orders as orders
from handy_alegra.simulators.handy_catalog import Record
from handy_alegra.simulators.routing import HttpProblem, SimRequest, json_response

if TYPE_CHECKING:
    from handy_alegra.simulators.handy import HandySimulator

DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 100
REQUEST_DATE_FORMAT = "%d/%m/%Y %H:%M:%S"
_REQUEST_DATE = re.compile(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}:\d{2}")
_CATALOG_DATES = ("dateCreated", "lastUpdated")
_ORDER_DATES = ("dateCreated", "dateDeleted", "mobileDateCreated")


def register_routes(sim: HandySimulator) -> None:
    routes = _Routes(sim)
    for method, pattern, handler in (
        ("GET", r"product", routes.list_products),
        ("POST", r"product", routes.create_product),
        ("GET", r"product/([^/]+)", routes.get_product),
        ("PUT", r"product/([^/]+)", routes.update_product),
        ("GET", r"family", routes.list_families),
        ("POST", r"family", routes.create_family),
        ("GET", r"customer", routes.list_customers),
        ("POST", r"customer", routes.create_customer),
        ("GET", r"customer/([^/]+)", routes.get_customer),
        ("PUT", r"customer/([^/]+)", routes.update_customer),
        ("GET", r"zone", routes.list_zones),
        ("POST", r"zone", routes.create_zone),
        ("GET", r"customerCategory", routes.list_customer_categories),
        ("GET", r"user", routes.list_users),
        ("GET", r"salesOrder", routes.list_orders),
        ("GET", r"salesOrder/(\d+)", routes.get_order),
        ("PUT", r"salesOrder/(\d+)", routes.update_order),
    ):
        sim.router.add(method, pattern, handler)


def request_date(name: str, text: str, zone: tzinfo) -> datetime:
    """A ``dd/MM/yyyy HH:mm:ss`` query value, read as wall time in ``zone``, in UTC."""
    problem = HttpProblem(400, f"El parámetro {name} debe tener el formato dd/MM/yyyy HH:mm:ss")
    if not _REQUEST_DATE.fullmatch(text):
        raise problem
    try:
        return datetime.strptime(text, REQUEST_DATE_FORMAT).replace(tzinfo=zone).astimezone(UTC)
    except ValueError:
        raise problem from None


def page(
    req: SimRequest,
    plural: str,
    records: Sequence[Any],
    render: Callable[[Any], Record] = lambda record: record,
) -> Response:
    """One page of ``records`` in Handy's envelope; the page links repeat every query
    parameter of the request with ``page`` replaced."""
    number = req.int_param("page", 1)
    size = req.int_param("max", DEFAULT_PAGE_SIZE)
    if number < 1:
        raise HttpProblem(400, "El parámetro page debe ser mayor o igual a 1")
    if size < 1:
        raise HttpProblem(400, "El parámetro max debe ser mayor o igual a 1")
    size = min(size, MAX_PAGE_SIZE)
    pages = math.ceil(len(records) / size)

    def link(target: int) -> str:
        return str(req.raw.url.copy_set_param("page", target))

    pagination = {
        "totalCount": len(records),
        "totalPages": pages,
        "currentPage": link(number),
        "nextPage": link(number + 1) if number < pages else None,
        "prevPage": link(number - 1) if 1 < number <= pages + 1 else None,
        "firstPage": link(1) if pages else None,
        "lastPage": link(pages) if pages else None,
    }
    chunk = records[(number - 1) * size : number * size]
    return json_response(200, {"pagination": pagination, plural: [render(r) for r in chunk]})


class _Routes:
    def __init__(self, sim: HandySimulator) -> None:
        self.sim = sim
        self.state = sim.state

    # --- shared ---------------------------------------------------------------------------
    def _date(self, req: SimRequest, name: str) -> datetime | None:
        text = req.param(name)
        return request_date(name, text, self.sim.timezone) if text else None

    def _date_filter(
        self, req: SimRequest, allowed: Sequence[str], default: str
    ) -> Callable[[Record], bool]:
        """Keep the records whose date field lies in ``[start, end]`` (both inclusive)."""
        start, end = self._date(req, "start"), self._date(req, "end")
        name = req.param("filterWithDate") or None
        if name is None and start is None and end is None:
            return lambda record: True
        name = name or default
        if name not in allowed:
            if not allowed:
                raise HttpProblem(400, "Este recurso no admite filtros de fecha")
            raise HttpProblem(400, f"filterWithDate debe ser uno de: {', '.join(allowed)}")

        def keep(record: Record) -> bool:
            value = record.get(name)
            if value is None:
                return False
            moment = catalog.parse_iso(value)
            return (start is None or start <= moment) and (end is None or moment <= end)

        return keep

    def _catalog(
        self, req: SimRequest, plural: str, records: Iterable[Record], dates: Sequence[str] = ()
    ) -> Response:
        """A catalog list: enabled records unless ``enabled=false`` asks for the disabled."""
        wanted = req.bool_param("enabled") is not False
        keep = self._date_filter(req, dates, "dateCreated")
        chosen = [r for r in records if r["enabled"] is wanted and keep(r)]
        return page(req, plural, sorted(chosen, key=lambda r: int(r["id"])))

    @staticmethod
    def _found(table: dict[Any, Record], key: Any, what: str) -> Record:
        record = table.get(key)
        if record is None:
            raise HttpProblem(404, f"No se encontró {what} {key}")
        return record

    # --- products -------------------------------------------------------------------------
    def list_products(self, req: SimRequest) -> Response:
        return self._catalog(req, "products", self.state.products.values(), _CATALOG_DATES)

    def get_product(self, req: SimRequest) -> Response:
        return json_response(200, self._found(self.state.products, req.args[0], "el producto"))

    def create_product(self, req: SimRequest) -> Response:
        values = catalog.product_values(self.state, req.json_object())
        return json_response(201, catalog.new_product(self.state, values, self.sim.now_text()))

    def update_product(self, req: SimRequest) -> Response:
        current = self._found(self.state.products, req.args[0], "el producto")
        values = catalog.product_values(self.state, req.json_object(), current)
        merged = catalog.merge_product(self.state, current, values, self.sim.now_text())
        return json_response(200, merged)

    # --- customers ------------------------------------------------------------------------
    def list_customers(self, req: SimRequest) -> Response:
        return self._catalog(req, "customers", self.state.customers.values(), _CATALOG_DATES)

    def get_customer(self, req: SimRequest) -> Response:
        return json_response(200, self._found(self.state.customers, req.args[0], "el cliente"))

    def create_customer(self, req: SimRequest) -> Response:
        values = catalog.customer_values(self.state, req.json_object())
        return json_response(201, catalog.new_customer(self.state, values, self.sim.now_text()))

    def update_customer(self, req: SimRequest) -> Response:
        current = self._found(self.state.customers, req.args[0], "el cliente")
        values = catalog.customer_values(self.state, req.json_object(), current)
        merged = catalog.merge(self.state.customers, current, values, self.sim.now_text())
        return json_response(200, merged)

    # --- families, zones, customer categories ---------------------------------------------
    def list_families(self, req: SimRequest) -> Response:
        return self._catalog(req, "families", self.state.families.values())

    def create_family(self, req: SimRequest) -> Response:
        values = catalog.named_values(catalog.FAMILY, self.state.families, req.json_object())
        return json_response(201, catalog.new_named(self.state, "family", values))

    def list_zones(self, req: SimRequest) -> Response:
        return self._catalog(req, "zones", self.state.zones.values())

    def create_zone(self, req: SimRequest) -> Response:
        values = catalog.named_values(catalog.ZONE, self.state.zones, req.json_object())
        return json_response(201, catalog.new_named(self.state, "zone", values))

    def list_customer_categories(self, req: SimRequest) -> Response:
        return self._catalog(req, "customerCategories", self.state.categories.values())

    # --- users ----------------------------------------------------------------------------
    def list_users(self, req: SimRequest) -> Response:
        """``GET /user``: the token test of Handy's API guide; the company's users."""
        users = sorted(self.state.users.values(), key=lambda u: int(u["id"]))
        return page(req, "users", users)

    # --- sales orders ---------------------------------------------------------------------
    def list_orders(self, req: SimRequest) -> Response:
        deleted = req.bool_param("deleted") is True
        default = "dateDeleted" if deleted else "dateCreated"
        keep = self._date_filter(req, _ORDER_DATES, default)
        ids = [
            order_id
            for order_id, order in sorted(self.state.orders.items())
            if order["deleted"] is deleted and keep(order)
        ]
        return page(req, "salesOrders", ids, lambda i: orders.render(self.state, i))

    def get_order(self, req: SimRequest) -> Response:
        order_id = int(req.args[0])
        self._found(self.state.orders, order_id, "el pedido")
        return json_response(200, orders.render(self.state, order_id))

    def update_order(self, req: SimRequest) -> Response:
        order_id = int(req.args[0])
        order = self._found(self.state.orders, order_id, "el pedido")
        body = req.json_object()
        if "externalId" in body:
            value = body["externalId"]
            refusal = catalog.external_id_refusal(value, integer=self.state.integer_external_ids)
            if refusal:
                errors = catalog.Errors(catalog.SALES_ORDER)
                errors.refuse("externalId", "Id externo", value, refusal)
                errors.check()
            order["externalId"] = value
        return json_response(200, orders.render(self.state, order_id))
