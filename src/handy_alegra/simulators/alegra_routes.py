"""HTTP handlers of the Alegra simulator: company, catalog lists, contacts and webhook
subscriptions, plus the paging and validation helpers the remission handlers share."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any

from handy_alegra.clients.alegra import CO_REGIMES
from handy_alegra.clients.http import Response
from handy_alegra.simulators.alegra_shapes import contact_read_shape
from handy_alegra.simulators.routing import HttpProblem, SimRequest, json_response

if TYPE_CHECKING:
    from handy_alegra.simulators.alegra import AlegraSimulator

Record = dict[str, Any]
SortKey = Callable[[Record], Any]
Route = Callable[..., Response]  # (sim, request, **options) → response

ID = r"([^/]+)"
PAGE_LIMIT = 30
LIMIT_TOO_HIGH = 903  # Alegra's own error code for a page size above 30

WEBHOOK_EVENTS = (
    "new-item",
    "edit-item",
    "delete-item",
    "new-client",
    "edit-client",
    "delete-client",
)
CONTACT_TYPES = ("client", "provider")
KINDS_OF_PERSON = ("PERSON_ENTITY", "LEGAL_ENTITY")
CO_IDENTIFICATION_TYPES = frozenset(
    {"RC", "TI", "CC", "TE", "CE", "NIT", "PP", "PEP", "DIE", "NUIP", "FOREIGN_NIT"}
)
NAME_PARTS = ("firstName", "secondName", "lastName", "secondLastName")
REPEATED_IDENTIFICATION = 2006  # "Ya existe un contacto con la identificación …"
NAME_AND_NAME_OBJECT = 2039  # name and nameObject sent together

# (path, store table, Spanish noun for 404s)
_CATALOGS = (
    ("price-lists", "price_lists", "la lista de precios"),
    ("taxes", "taxes", "el impuesto"),
    ("warehouses", "warehouses", "la bodega"),
    ("item-categories", "item_categories", "la categoría"),
)


def register(sim: AlegraSimulator) -> None:
    def add(method: str, pattern: str, handler: Route, **options: Any) -> None:
        sim.router.add(method, pattern, partial(handler, sim, **options))

    add("GET", "company", get_company)
    add("GET", "items", list_items)
    add("GET", rf"items/{ID}", get_record, table="items", noun="el producto")
    for path, table, noun in _CATALOGS:
        add("GET", path, list_catalog, table=table)
        add("GET", rf"{path}/{ID}", get_record, table=table, noun=noun)
    add("GET", "sellers", list_sellers)
    add("GET", rf"sellers/{ID}", get_record, table="sellers", noun="el vendedor")
    add("GET", "contacts", list_contacts)
    add("POST", "contacts", create_contact)
    add("GET", rf"contacts/{ID}", get_record, table="contacts", noun="el contacto")
    add("PUT", rf"contacts/{ID}", update_contact)
    add("GET", "webhooks/subscriptions", list_subscriptions)
    add("POST", "webhooks/subscriptions", create_subscription)
    add("DELETE", rf"webhooks/subscriptions/{ID}", delete_subscription)


# --- shared helpers ---------------------------------------------------------------------------
def ok(payload: Any) -> Response:
    return json_response(200, payload)


def invalid(message: str, *, code: int = 400) -> HttpProblem:
    """A 400 answered as ``{"code": code, "message": message}``."""
    return HttpProblem(400, message, [{"code": code}])


def not_found(noun: str, record_id: str) -> HttpProblem:
    return HttpProblem(404, f"No se encontró {noun} con id {record_id}")


def ref_id(value: Any, field: str) -> str:
    """An id sent bare (``12``, ``"12"``) or as ``{"id": 12}``."""
    if isinstance(value, dict):
        value = value.get("id")
    if isinstance(value, bool) or not isinstance(value, str | int) or str(value).strip() == "":
        raise invalid(f"El campo {field} debe ser un id o un objeto con id")
    return str(value).strip()


def lookup(table: dict[str, Record], value: Any, field: str, noun: str) -> Record:
    record_id = ref_id(value, field)
    found = table.get(record_id)
    if found is None:
        raise invalid(f"No existe {noun} con id {record_id} indicado en el campo {field}")
    return found


def text_of(value: Any) -> str:
    """A field's text: strings as they are, ``{"reference": "X"}``-style objects joined."""
    if value is None:
        return ""
    if isinstance(value, dict):
        return " ".join(str(v) for v in value.values() if v)
    return str(value)


def contains(value: Any, needle: str) -> bool:
    return needle.casefold() in text_of(value).casefold()


def id_key(record: Record) -> tuple[int, int, str]:
    value = str(record.get("id", ""))
    return (0, int(value), "") if value.isdigit() else (1, 0, value)


def text_key(field: str) -> SortKey:
    return lambda record: text_of(record.get(field)).casefold()


BY_ID_AND_NAME: Mapping[str, SortKey] = {"id": id_key, "name": text_key("name")}


def page(
    req: SimRequest,
    records: list[Record],
    sort_keys: Mapping[str, SortKey],
    *,
    newest_first: bool = False,
) -> list[Record]:
    """One page of ``records`` (given in creation order) after ``order_*``, ``start``, ``limit``.
    An ``order_field`` outside ``sort_keys`` is ignored, as Alegra does."""
    start = req.int_param("start", 0)
    if start < 0:
        raise invalid("El parámetro start debe ser mayor o igual a 0")
    limit = req.int_param("limit", PAGE_LIMIT)
    if limit > PAGE_LIMIT:
        raise invalid(f"El parámetro limit no puede ser mayor a {PAGE_LIMIT}", code=LIMIT_TOO_HIGH)
    if limit < 1:
        raise invalid("El parámetro limit debe ser mayor a 0")
    direction = (req.param("order_direction") or "").upper()
    if direction not in ("", "ASC", "DESC"):
        raise invalid("El parámetro order_direction debe ser ASC o DESC")
    key = sort_keys.get(req.param("order_field") or "")
    if key is not None:
        ordered = sorted(records, key=key, reverse=direction == "DESC")
    elif newest_first:
        ordered = list(records) if direction == "ASC" else records[::-1]
    else:
        ordered = records[::-1] if direction == "DESC" else list(records)
    return ordered[start : start + limit]


def listing(
    req: SimRequest,
    records: list[Record],
    sort_keys: Mapping[str, SortKey] = BY_ID_AND_NAME,
    *,
    newest_first: bool = False,
) -> Response:
    """A bare array, or ``{"metadata": {"total"}, "data"}`` with ``metadata=true``."""
    chosen = page(req, records, sort_keys, newest_first=newest_first)
    if req.bool_param("metadata"):
        return ok({"metadata": {"total": len(records)}, "data": chosen})
    return ok(chosen)


# --- company and catalogs ---------------------------------------------------------------------
def get_company(sim: AlegraSimulator, req: SimRequest) -> Response:
    return ok(sim.store.company)


def get_record(sim: AlegraSimulator, req: SimRequest, *, table: str, noun: str) -> Response:
    records: dict[str, Record] = getattr(sim.store, table)
    found = records.get(req.args[0])
    if found is None:
        raise not_found(noun, req.args[0])
    return ok(found)


def list_catalog(sim: AlegraSimulator, req: SimRequest, *, table: str) -> Response:
    records = list(getattr(sim.store, table).values())
    if table != "taxes":
        return listing(req, records)
    chosen = page(req, records, BY_ID_AND_NAME)
    if req.bool_param("metadata"):
        # The real API's quirk: taxes answer a string total under other key names.
        return ok({"total": str(len(records)), "results": chosen})
    return ok(chosen)


def list_sellers(sim: AlegraSimulator, req: SimRequest) -> Response:
    return ok(list(sim.store.sellers.values()))


def _item_filters(req: SimRequest) -> list[Callable[[Record], bool]]:
    checks: list[Callable[[Record], bool]] = []
    inventoriable = req.bool_param("inventariable")
    if inventoriable is not None:
        checks.append(lambda i: isinstance(i.get("inventory"), dict) == inventoriable)
    for name in ("status", "type"):
        if (wanted := req.param(name)) is not None:
            checks.append(_field_is(name, wanted))
    for name in ("name", "reference"):
        if (needle := req.param(name)) is not None:
            checks.append(_field_contains(name, needle))
    if (query := req.param("query")) is not None:
        checks.append(
            lambda i: contains(i.get("name"), query) or contains(i.get("reference"), query)
        )
    if (category := req.param("idItemCategory")) is not None:
        checks.append(lambda i: _embedded_id(i.get("itemCategory")) == category)
    if (price_list := req.param("pricelistId")) is not None:
        checks.append(lambda i: price_list in _entry_ids(i.get("price"), "idPriceList"))
    if (warehouse := req.param("idWarehouse")) is not None:
        checks.append(lambda i: warehouse in _entry_ids(_warehouses_of(i), "id"))
    return checks


def _field_is(name: str, wanted: str) -> Callable[[Record], bool]:
    return lambda record: text_of(record.get(name)) == wanted


def _field_contains(name: str, needle: str) -> Callable[[Record], bool]:
    return lambda record: contains(record.get(name), needle)


def _embedded_id(value: Any) -> str | None:
    return str(value.get("id")) if isinstance(value, dict) else None


def _entry_ids(entries: Any, key: str) -> set[str]:
    if not isinstance(entries, list):
        return set()
    return {str(e.get(key)) for e in entries if isinstance(e, dict)}


def _warehouses_of(item: Record) -> Any:
    inventory = item.get("inventory")
    return inventory.get("warehouses") if isinstance(inventory, dict) else None


def list_items(sim: AlegraSimulator, req: SimRequest) -> Response:
    checks = _item_filters(req)
    records = [i for i in sim.store.items.values() if all(check(i) for check in checks)]
    sort_keys = {**BY_ID_AND_NAME, "reference": text_key("reference")}
    return listing(req, records, sort_keys)


# --- contacts ---------------------------------------------------------------------------------
def contact_types(contact: Record) -> list[str]:
    kinds = contact.get("type")
    if isinstance(kinds, str):
        return [kinds]
    return [str(k) for k in kinds] if isinstance(kinds, list) else []


def list_contacts(sim: AlegraSimulator, req: SimRequest) -> Response:
    kind, name = req.param("type"), req.param("name")
    identification, query = req.param("identification"), req.param("query")

    def matches(contact: Record) -> bool:
        ident = contact.get("identification")
        return (
            (kind is None or kind in contact_types(contact))
            and (name is None or contains(contact.get("name"), name))
            and (identification is None or (ident is not None and str(ident) == identification))
            and (query is None or contains(contact.get("name"), query) or contains(ident, query))
        )

    records = [c for c in sim.store.contacts.values() if matches(c)]
    return listing(req, records)


def create_contact(sim: AlegraSimulator, req: SimRequest) -> Response:
    body = req.json_object()
    changes = contact_changes(sim, body, creating=True)
    contact_id = sim.store.mint_id(sim.store.contacts, "contact")
    contact: Record = {
        "id": contact_id,
        "name": None,
        "identification": None,
        "email": None,
        "phonePrimary": None,
        "phoneSecondary": None,
        "mobile": None,
        "observations": None,
        "address": None,
        "type": [],
        "status": "active",
        "seller": None,
        "priceList": None,
        "internalContacts": [],
    }
    contact.update(changes)
    contact_read_shape(sim.country, contact)
    sim.store.contacts[contact_id] = contact
    sim.queue_event("new-client", "client", copy.deepcopy(contact))
    return ok(contact)


def update_contact(sim: AlegraSimulator, req: SimRequest) -> Response:
    contact = sim.store.contacts.get(req.args[0])
    if contact is None:
        raise not_found("el contacto", req.args[0])
    contact.update(contact_changes(sim, req.json_object(), creating=False, own_id=contact["id"]))
    contact_read_shape(sim.country, contact)
    sim.queue_event("edit-client", "client", copy.deepcopy(contact))
    return ok(contact)


def contact_changes(
    sim: AlegraSimulator, body: Record, *, creating: bool, own_id: str | None = None
) -> Record:
    """The validated fields of a contact write, in the read shape."""
    skipped = ("id", "ignoreRepeated", "identification", "identificationObject", "nameObject")
    changes = {k: copy.deepcopy(v) for k, v in body.items() if k not in skipped}
    if sim.country == "CO":
        changes.update(_colombian_person(body, creating=creating))
    elif creating or "name" in body:
        _required_name(body)
    if "type" in body:
        changes["type"] = _contact_type_list(body["type"])
    if sim.country == "CO" and "identificationObject" in body:
        changes.update(_identification_fields("CO", body["identificationObject"]))
    elif "identification" in body:
        changes.update(_identification_fields(sim.country, body["identification"]))
    if "identification" in changes:
        _check_repeated(sim, body, changes["identification"], own_id)
    kind = body.get("kindOfPerson")
    if kind is not None and kind not in KINDS_OF_PERSON:
        raise invalid(f"El campo kindOfPerson debe ser uno de: {', '.join(KINDS_OF_PERSON)}")
    email = body.get("email")
    if email not in (None, "") and (not isinstance(email, str) or "@" not in email):
        raise invalid("El campo email no tiene un formato de correo electrónico válido")
    if body.get("seller") is not None:
        changes["seller"] = copy.deepcopy(
            lookup(sim.store.sellers, body["seller"], "seller", "el vendedor")
        )
    if body.get("priceList") is not None:
        found = lookup(sim.store.price_lists, body["priceList"], "priceList", "la lista de precios")
        changes["priceList"] = {"id": found["id"], "name": found["name"]}
    if "status" in body and body["status"] not in ("active", "inactive"):
        raise invalid("El campo status debe ser active o inactive")
    return changes


def _required_name(body: Record) -> None:
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise invalid("El campo name es obligatorio y debe ser un texto")


def _colombian_person(body: Record, *, creating: bool) -> Record:
    """Colombia's rules for who the contact is (DECISIONS.md, Alegra contacts): on a create,
    ``identificationObject``, ``kindOfPerson`` and ``regime`` are required; a natural person
    (``PERSON_ENTITY``) is named by ``nameObject``, anyone else by ``name``; never both."""
    if "name" in body and "nameObject" in body:
        raise invalid(
            "No se pueden enviar los campos name y nameObject al mismo tiempo",
            code=NAME_AND_NAME_OBJECT,
        )
    if creating:
        for name in ("identificationObject", "kindOfPerson", "regime"):
            if body.get(name) in (None, "", {}):
                raise invalid(f"El campo {name} es obligatorio")
    regime = body.get("regime")
    if "regime" in body and regime not in CO_REGIMES:
        raise invalid(f"El campo regime debe ser uno de: {', '.join(CO_REGIMES)}")
    person = body.get("kindOfPerson") == "PERSON_ENTITY"
    if "nameObject" in body or (creating and person):
        return _name_object(body.get("nameObject"))
    if creating or "name" in body:
        _required_name(body)
    return {}


def _name_object(value: Any) -> Record:
    """A natural person's ``nameObject``: ``firstName`` and ``lastName`` required; the
    contact's ``name`` is the four parts joined, as Alegra shows it."""
    if not isinstance(value, dict):
        raise invalid("El campo nameObject es obligatorio para una persona natural (PERSON_ENTITY)")
    parts: Record = {}
    for key in NAME_PARTS:
        part = value.get(key)
        if part is not None and not isinstance(part, str):
            raise invalid(f"El campo nameObject.{key} debe ser un texto")
        if key in ("firstName", "lastName") and not (part or "").strip():
            raise invalid(f"El campo nameObject.{key} es obligatorio")
        parts[key] = part.strip() if part and part.strip() else None
    name = " ".join(p for p in parts.values() if p)
    return {"name": name, "nameObject": parts}


def _contact_type_list(value: Any) -> list[str]:
    """A string or a list of strings; values other than client/provider are dropped."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise invalid("El campo type debe ser un texto o una lista (client, provider)")
    return [kind for kind in CONTACT_TYPES if kind in value]


def _identification_fields(country: str, value: Any) -> Record:
    if value is None:
        return {"identification": None}
    if isinstance(value, str) and country == "MX":
        if not value.strip():
            raise invalid("El campo identification no puede estar vacío")
        return {"identification": value}
    field = "identificationObject" if country == "CO" else "identification"
    if not isinstance(value, dict):
        raise invalid(
            f"El campo {field} debe ser un objeto con type y number"
            if country == "CO"
            else "El campo identification debe ser un texto (RFC) o un objeto con number"
        )
    number = value.get("number")
    if isinstance(number, bool) or not isinstance(number, str | int) or not str(number).strip():
        raise invalid(f"El campo {field}.number es obligatorio")
    stored = {**copy.deepcopy(value), "number": str(number).strip()}
    if country == "CO":
        id_type = value.get("type")
        if id_type not in CO_IDENTIFICATION_TYPES:
            choices = ", ".join(sorted(CO_IDENTIFICATION_TYPES))
            raise invalid(f"El campo {field}.type debe ser uno de: {choices}")
        if id_type == "NIT":
            dv = value.get("dv")
            if isinstance(dv, bool) or str(dv) not in tuple("0123456789"):
                raise invalid(f"El campo {field}.dv (dígito de verificación) es obligatorio")
            stored["dv"] = str(dv)
    return {"identification": stored["number"], "identificationObject": stored}


def _check_repeated(sim: AlegraSimulator, body: Record, ident: Any, own_id: str | None) -> None:
    """Alegra refuses a second contact with an identification already registered (400, code
    2006, naming the contact that has it) unless the body says ``ignoreRepeated``."""
    if not sim.reject_repeated_identification or ident is None or body.get("ignoreRepeated"):
        return
    for contact in sim.store.contacts.values():
        if contact["id"] != own_id and contact.get("identification") == ident:
            raise HttpProblem(
                400,
                f"Ya existe un contacto con la identificación {ident}",
                [
                    {
                        "code": REPEATED_IDENTIFICATION,
                        "contactId": contact["id"],
                        "contactName": contact.get("name"),
                        "contactIdentification": ident,
                        "contactIdentificationObject": copy.deepcopy(
                            contact.get("identificationObject")
                        ),
                    }
                ],
            )


# --- webhook subscriptions --------------------------------------------------------------------
def subscription_fields(body: Any) -> tuple[str, str]:
    """The validated ``(event, url)`` of a subscription request."""
    if not isinstance(body, dict):
        raise invalid("El cuerpo de la petición debe ser un objeto JSON")
    event, url = body.get("event"), body.get("url")
    if event not in WEBHOOK_EVENTS:
        raise invalid(f"El campo event debe ser uno de: {', '.join(WEBHOOK_EVENTS)}")
    if not isinstance(url, str) or not url.strip():
        raise invalid("El campo url es obligatorio")
    if url.strip().lower().startswith(("http://", "https://")):
        raise invalid("El campo url debe enviarse sin el protocolo (http:// o https://)")
    return str(event), url.strip()


def create_subscription(sim: AlegraSimulator, req: SimRequest) -> Response:
    event, url = subscription_fields(req.body)
    table = sim.store.subscriptions
    subscription_id = sim.store.mint_id(table, "subscription")
    table[subscription_id] = {"id": subscription_id, "event": event, "url": url, "status": "active"}
    return ok({"subscription": table[subscription_id]})


def list_subscriptions(sim: AlegraSimulator, req: SimRequest) -> Response:
    return ok({"subscriptions": list(sim.store.subscriptions.values())})


def delete_subscription(sim: AlegraSimulator, req: SimRequest) -> Response:
    if sim.store.subscriptions.pop(req.args[0], None) is None:
        raise not_found("la suscripción", req.args[0])
    sim.store.delivery_failures.pop(req.args[0], None)
    return ok({"code": 200, "message": "La suscripción fue eliminada correctamente"})
