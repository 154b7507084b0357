"""Record shapes of the Alegra simulator that follow public payloads
(``tests/fixtures/public``): a Colombian contact as ``GET /contacts`` returns it, and the
item and client of a webhook delivery.

The contact's shape follows a published answer of a Colombian account (AlexWebpuro/alegra,
``includes/AlegraAPI/Alegra.php``); the webhook records follow Pipedream's Alegra test events
(``components/alegra/sources/*/test-event.mjs``), whose fields differ from the API's (a price is
``{id, price}``, a person's name is an object).
"""

from __future__ import annotations

import copy
from typing import Any

Record = dict[str, Any]

#: The accounts a new Colombian contact gets (the values of the published answer).
_ACCOUNTING: Record = {
    "accountReceivable": {
        "id": "5008",
        "idParent": "5007",
        "name": "Cuentas por cobrar clientes nacionales",
        "text": "Cuentas por cobrar clientes nacionales",
        "code": None,
        "description": "",
        "type": "asset",
        "readOnly": False,
        "nature": "debit",
        "blocked": "no",
        "status": "active",
        "categoryRule": {"id": "5", "name": "Cuentas por cobrar", "key": "RECEIVABLE_ACCOUNTS"},
        "use": "movement",
        "showThirdPartyBalance": True,
    },
    "debtToPay": {
        "id": "5070",
        "idParent": "5069",
        "name": "Cuentas por pagar a proveedores nacionales",
        "text": "Cuentas por pagar a proveedores nacionales",
        "code": None,
        "description": "",
        "type": "liability",
        "readOnly": False,
        "nature": "credit",
        "blocked": "no",
        "status": "active",
        "categoryRule": {
            "id": "11",
            "name": "Cuentas por pagar - proveedores",
            "key": "DEBTS_TO_PAY_PROVIDERS",
        },
        "use": "movement",
        "showThirdPartyBalance": True,
    },
}

#: Fields of a Colombian contact's read shape, and their value when the contact was stored
#: without them.
_CO_DEFAULTS: Record = {
    "name": None,
    "nameObject": None,
    "identification": None,
    "identificationObject": None,
    "kindOfPerson": None,
    "regime": None,
    "email": None,
    "emailSecondary": None,
    "phonePrimary": None,
    "phoneSecondary": None,
    "fax": None,
    "mobile": None,
    "observations": None,
    "status": "active",
    "enableHealthSector": False,
    "healthPatients": None,
    "type": [],
    "seller": None,
    "term": None,
    "priceList": None,
    "internalContacts": [],
    "settings": {"sendElectronicDocuments": False},
    "statementAttached": False,
    "accounting": _ACCOUNTING,
}
_CO_ADDRESS = ("address", "city", "department", "country", "zipCode")
_NAME_PARTS = ("firstName", "secondName", "lastName", "secondLastName")
#: The regime of a stored contact that has none: a guess by kind of person (the values are
#: Alegra's Colombian catalog; which one a real account picks is the company's choice).
_REGIME_BY_KIND = {"LEGAL_ENTITY": "COMMON_REGIME", "PERSON_ENTITY": "SIMPLIFIED_REGIME"}


def full_name(name_object: Any) -> str | None:
    """A person's name from its parts, joined by spaces (as the published answer shows)."""
    if not isinstance(name_object, dict):
        return None
    parts = [str(name_object[k]).strip() for k in _NAME_PARTS if name_object.get(k)]
    return " ".join(p for p in parts if p) or None


def contact_read_shape(country: str, contact: Record) -> Record:
    """``contact`` (changed in place) with every field a Colombian account returns; fields
    already stored keep their values. Other countries' contacts are left as they are."""
    if country != "CO":
        return contact
    for key, default in _CO_DEFAULTS.items():
        contact.setdefault(key, copy.deepcopy(default))
    joined = full_name(contact.get("nameObject"))
    if joined and (contact.get("kindOfPerson") == "PERSON_ENTITY" or not contact.get("name")):
        contact["name"] = joined  # a natural person's name is its parts joined
    if contact.get("regime") is None:
        contact["regime"] = _REGIME_BY_KIND.get(str(contact.get("kindOfPerson")))
    address = contact.get("address")
    if isinstance(address, str):
        address = {"address": address}
    if not isinstance(address, dict):
        address = {}
    contact["address"] = {**dict.fromkeys(_CO_ADDRESS), **address}
    return contact


def _ids(entries: Any) -> list[Record]:
    return [{"id": e.get("id")} for e in entries or [] if isinstance(e, dict)]


def _id_only(value: Any) -> Record | None:
    return {"id": value.get("id")} if isinstance(value, dict) else None


def webhook_item(item: Record) -> Record:
    """An item as a webhook delivers it: ``price`` entries ``{id, price}`` (the list's id),
    references to category, item category, custom fields and warehouses by id only."""
    inventory = item.get("inventory")
    if isinstance(inventory, dict):
        inventory = {
            "unit": inventory.get("unit"),
            "availableQuantity": inventory.get("availableQuantity"),
            "unitCost": inventory.get("unitCost"),
            "initialQuantity": inventory.get("initialQuantity"),
            "warehouses": _ids(inventory.get("warehouses")),
        }
    prices = item.get("price")
    return {
        "id": item.get("id"),
        "name": item.get("name"),
        "description": item.get("description"),
        "reference": copy.deepcopy(item.get("reference")),
        "itemCategory": _id_only(item.get("itemCategory")),
        "price": [
            {"id": p.get("idPriceList", p.get("id")), "price": p.get("price")}
            for p in (prices if isinstance(prices, list) else [])
            if isinstance(p, dict)
        ],
        "inventory": inventory if isinstance(inventory, dict) else None,
        "category": _id_only(item.get("category")),
        "tax": copy.deepcopy(item.get("tax") or []),
        "status": item.get("status"),
        "customFields": _ids(item.get("customFields")),
        "type": item.get("type"),
        "variantAttributes": copy.deepcopy(item.get("variantAttributes")),
        "itemVariants": copy.deepcopy(item.get("itemVariants")),
        "subitems": copy.deepcopy(item.get("subitems")),
    }


def webhook_client(country: str, contact: Record) -> Record:
    """A contact as a webhook delivers it: a person's name as its parts (when the contact has
    them), a Colombian address with its five fields."""
    name_object = contact.get("nameObject")
    address = contact.get("address")
    if isinstance(address, str):
        address = {"address": address}
    if country == "CO" or not isinstance(address, dict):
        address = {k: (address or {}).get(k) for k in _CO_ADDRESS}
    return {
        "id": contact.get("id"),
        "name": copy.deepcopy(name_object)
        if isinstance(name_object, dict)
        else contact.get("name"),
        "phonePrimary": contact.get("phonePrimary"),
        "phoneSecondary": contact.get("phoneSecondary"),
        "mobile": contact.get("mobile"),
        "email": contact.get("email"),
        "type": copy.deepcopy(contact.get("type")),
        "fax": contact.get("fax"),
        "identification": contact.get("identification"),
        "address": copy.deepcopy(address),
    }


def webhook_record(country: str, key: str, record: Record) -> Record:
    return webhook_item(record) if key == "item" else webhook_client(country, record)
