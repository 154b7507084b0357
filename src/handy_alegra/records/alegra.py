"""Alegra records as this service reads them, parsed from the wire at the client's edge.

The wire is inconsistent (alegra.md §14): ids as numbers or strings, amounts as numbers or
numeric strings, a contact's ``type`` as a string or an array, a name or identification as a
string or an object, envelopes that differ by endpoint. The validators below absorb that.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from pydantic import AliasChoices, Field, field_validator, model_validator

from handy_alegra.domain.money import ZERO
from handy_alegra.records.wire import (
    Flag,
    Id,
    Num,
    OptionalNum,
    OptionalText,
    Record,
    Text,
)

#: ``applicationVersion`` of ``GET /company`` → ISO country code.
COUNTRY_OF_VERSION = {
    "mexico": "MX",
    "colombia": "CO",
    "argentina": "AR",
    "chile": "CL",
    "costaRica": "CR",
    "peru": "PE",
    "panama": "PA",
    "republicaDominicana": "DO",
    "dominicanRepublic": "DO",
    "spain": "ES",
    "usa": "US",
}


class Company(Record):
    name: Text = ""
    application_version: Text = Field(default="", alias="applicationVersion")
    identification: OptionalText = None

    @property
    def country(self) -> str | None:
        return COUNTRY_OF_VERSION.get(self.application_version)


class Ref(Record):
    """A reference to another record: ``{"id", "name"}`` or a bare id."""

    id: Id
    name: Text = ""

    @classmethod
    def _from_bare(cls, value: Any) -> Any:
        return (
            {"id": value} if isinstance(value, str | int) and not isinstance(value, bool) else value
        )


def _ref(value: Any) -> Any:
    if value in (None, "", {}, []):
        return None
    if isinstance(value, list):  # some endpoints wrap a single object in an array
        value = value[0]
    return Ref._from_bare(value)


class ItemPrice(Record):
    price_list_id: Id = Field(validation_alias=AliasChoices("idPriceList", "id"))
    name: Text = ""
    price: Num


class ItemTax(Record):
    id: Id
    name: Text = ""
    percentage: Num = ZERO
    status: Text = "active"
    type: OptionalText = None


class WarehouseStock(Record):
    id: Id
    name: Text = ""
    available_quantity: OptionalNum = Field(default=None, alias="availableQuantity")


class Inventory(Record):
    unit: OptionalText = None
    available_quantity: OptionalNum = Field(default=None, alias="availableQuantity")
    warehouses: tuple[WarehouseStock, ...] = ()

    @field_validator("warehouses", mode="before")
    @classmethod
    def _warehouses(cls, value: Any) -> Any:
        return () if value is None else value


class Item(Record):
    id: Id
    name: Text = ""
    reference: OptionalText = None
    status: Text = "active"
    type: OptionalText = None
    prices: tuple[ItemPrice, ...] = Field(default=(), alias="price")
    taxes: tuple[ItemTax, ...] = Field(default=(), alias="tax")
    inventory: Inventory | None = None
    # Not "category": on the wire that key is the accounting account, not the product category.
    item_category: Ref | None = Field(default=None, alias="itemCategory")

    @field_validator("reference", mode="before")
    @classmethod
    def _reference(cls, value: Any) -> Any:
        if isinstance(value, dict):  # the object form {"reference": "..."}
            return value.get("reference")
        return value

    @field_validator("prices", mode="before")
    @classmethod
    def _prices(cls, value: Any) -> Any:
        if value is None:
            return ()
        if isinstance(value, int | float | str) and not isinstance(value, bool):
            return ({"idPriceList": "1", "price": value},)  # a bare number is the General list
        return value

    @field_validator("taxes", mode="before")
    @classmethod
    def _taxes(cls, value: Any) -> Any:
        return () if value is None else value

    @field_validator("inventory", mode="before")
    @classmethod
    def _inventory(cls, value: Any) -> Any:
        return None if value in (None, [], "") else value

    @field_validator("item_category", mode="before")
    @classmethod
    def _category(cls, value: Any) -> Any:
        return _ref(value)

    def price_in(self, price_list_id: str) -> Decimal | None:
        for entry in self.prices:
            if entry.price_list_id == price_list_id:
                return entry.price
        return None


class PriceList(Record):
    id: Id
    name: Text = ""
    status: Text = "active"
    type: OptionalText = None


class Tax(Record):
    id: Id
    name: Text = ""
    percentage: Num = ZERO
    status: Text = "active"
    type: OptionalText = None


class Warehouse(Record):
    id: Id
    name: Text = ""
    status: Text = "active"
    is_default: Flag = Field(default=False, alias="isDefault")


class Seller(Record):
    id: Id
    name: Text = ""
    identification: OptionalText = None
    status: Text = "active"


class ContactAddress(Record):
    address: OptionalText = None
    street: OptionalText = None
    exterior_number: OptionalText = Field(default=None, alias="exteriorNumber")
    interior_number: OptionalText = Field(default=None, alias="interiorNumber")
    colony: OptionalText = None
    city: OptionalText = None
    locality: OptionalText = None
    municipality: OptionalText = None
    state: OptionalText = None
    department: OptionalText = None
    zip_code: OptionalText = Field(default=None, alias="zipCode")

    @property
    def line(self) -> str | None:
        """One printable address line, whichever country's shape was sent."""
        if self.address:
            return self.address
        number = " ".join(filter(None, (self.exterior_number, self.interior_number)))
        parts = [" ".join(filter(None, (self.street, number))), self.colony]
        return ", ".join(p for p in parts if p) or None

    @property
    def city_name(self) -> str | None:
        return self.city or self.municipality or self.locality


def _name(value: Any) -> Any:
    if isinstance(value, dict):  # {"firstName", "secondName", "lastName", "secondLastName"}
        if value.get("fullname"):
            return value["fullname"]
        keys = ("firstName", "secondName", "lastName", "secondLastName")
        return " ".join(str(value[k]).strip() for k in keys if value.get(k))
    return value


class Contact(Record):
    id: Id
    name: Text
    identification: OptionalText = None
    identification_type: OptionalText = None
    types: frozenset[str] = Field(default=frozenset(), alias="type")
    kind_of_person: OptionalText = Field(default=None, alias="kindOfPerson")
    status: Text = "active"
    email: OptionalText = None
    phone: OptionalText = Field(default=None, alias="phonePrimary")
    mobile: OptionalText = None
    seller: Ref | None = None
    address: ContactAddress | None = None

    @model_validator(mode="before")
    @classmethod
    def _identification_object(cls, raw: Any) -> Any:
        if isinstance(raw, dict):
            obj = raw.get("identificationObject")
            if obj is None and isinstance(raw.get("identification"), dict):
                obj = raw["identification"]
            if isinstance(obj, dict) and "identification_type" not in raw:
                return {**raw, "identification_type": obj.get("type")}
        return raw

    @field_validator("name", mode="before")
    @classmethod
    def _name(cls, value: Any) -> Any:
        return _name(value)

    @field_validator("identification", mode="before")
    @classmethod
    def _identification(cls, value: Any) -> Any:
        return value.get("number") if isinstance(value, dict) else value

    @field_validator("types", mode="before")
    @classmethod
    def _types(cls, value: Any) -> Any:
        if value is None or value == "":
            return frozenset()
        if isinstance(value, str):
            return frozenset({value})
        if isinstance(value, list | tuple | set | frozenset):
            if not all(isinstance(v, str) for v in value):
                raise ValueError("must be a string or a list of strings")
            return frozenset(value)
        raise ValueError("must be a string or a list of strings")

    @field_validator("seller", mode="before")
    @classmethod
    def _seller(cls, value: Any) -> Any:
        return _ref(value)

    @field_validator("address", mode="before")
    @classmethod
    def _address(cls, value: Any) -> Any:
        if value in (None, "", [], {}):
            return None
        return {"address": value} if isinstance(value, str) else value

    @property
    def is_client(self) -> bool:
        return "client" in self.types

    @property
    def active(self) -> bool:
        return self.status != "inactive"


class RemissionLineTax(Record):
    id: Id
    name: Text = ""
    percentage: OptionalNum = None
    amount: OptionalNum = None


class RemissionLine(Record):
    id: Id
    name: Text = ""
    reference: OptionalText = None
    price: Num
    quantity: Num
    discount: OptionalNum = None
    taxes: tuple[RemissionLineTax, ...] = Field(default=(), alias="tax")
    total: OptionalNum = None

    @field_validator("reference", mode="before")
    @classmethod
    def _reference(cls, value: Any) -> Any:
        return value.get("reference") if isinstance(value, dict) else value

    @field_validator("taxes", mode="before")
    @classmethod
    def _taxes(cls, value: Any) -> Any:
        return () if value is None else value


class Remission(Record):
    id: Id
    number: OptionalText = None
    date: dt.date
    due_date: dt.date | None = Field(default=None, alias="dueDate")
    status: Text = "open"
    observations: Text = ""
    anotation: Text = ""
    client: Ref | None = None
    seller: Ref | None = None
    warehouse: Ref | None = None
    price_list: Ref | None = Field(default=None, alias="priceList")
    lines: tuple[RemissionLine, ...] = Field(default=(), alias="items")
    subtotal: OptionalNum = None
    tax: OptionalNum = None
    total: OptionalNum = None

    @field_validator("number", mode="before")
    @classmethod
    def _number(cls, value: Any) -> Any:
        if isinstance(value, dict):  # {"prefix", "number", "fullNumber"}
            return value.get("fullNumber") or value.get("number")
        return value

    @field_validator("client", "seller", "warehouse", "price_list", mode="before")
    @classmethod
    def _refs(cls, value: Any) -> Any:
        return _ref(value)

    @field_validator("lines", mode="before")
    @classmethod
    def _lines(cls, value: Any) -> Any:
        return () if value is None else value

    @field_validator("observations", "anotation", mode="before")
    @classmethod
    def _observations(cls, value: Any) -> Any:
        return value or ""


class WebhookSubscription(Record):
    id: Id
    event: Text
    url: Text
    status: Text = "active"


__all__ = [
    "COUNTRY_OF_VERSION",
    "Company",
    "Contact",
    "ContactAddress",
    "Inventory",
    "Item",
    "ItemPrice",
    "ItemTax",
    "PriceList",
    "Ref",
    "Remission",
    "RemissionLine",
    "RemissionLineTax",
    "Seller",
    "Tax",
    "Warehouse",
    "WarehouseStock",
    "WebhookSubscription",
]
