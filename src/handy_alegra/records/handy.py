"""Handy records as this service reads them, parsed from the wire at the client's edge."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field, field_validator, model_validator

from handy_alegra.records.wire import (
    Enabled,
    Flag,
    Id,
    Num,
    OptionalNum,
    OptionalText,
    Record,
    Text,
    Timestamp,
)


class Named(Record):
    """Families, zones and customer categories: ``{id, description, enabled}``."""

    id: Id
    description: Text = ""
    enabled: Enabled = True


Family = Zone = CustomerCategory = Named


def _named(value: Any) -> Any:
    if value in (None, "", {}):
        return None
    if isinstance(value, int | str) and not isinstance(value, bool):
        return {"id": value}
    return value


class Product(Record):
    id: Id | None = None  # products are keyed by code; the SDK's product example has no id
    code: Text
    description: Text = ""
    price: Num
    quantity: OptionalNum = None
    enabled: Enabled = True
    family: Named | None = None
    external_id: OptionalText = Field(default=None, alias="externalId")
    last_updated: Timestamp = Field(default=None, alias="lastUpdated")

    @field_validator("family", mode="before")
    @classmethod
    def _family(cls, value: Any) -> Any:
        return _named(value)


class Customer(Record):
    id: Id | None = None
    code: Text
    description: Text = ""
    business_name: OptionalText = Field(default=None, alias="businessName")
    rfc: OptionalText = None
    email: OptionalText = None
    phone_number: OptionalText = Field(default=None, alias="phoneNumber")
    address: OptionalText = None
    city: OptionalText = None
    postal_code: OptionalText = Field(default=None, alias="postalCode")
    zone: Named | None = None
    category: Named | None = None
    enabled: Enabled = True
    last_updated: Timestamp = Field(default=None, alias="lastUpdated")

    @field_validator("zone", "category", mode="before")
    @classmethod
    def _refs(cls, value: Any) -> Any:
        return _named(value)


class OrderLine(Record):
    id: Id | None = None
    product_code: Text
    product_description: Text = ""
    quantity: Num
    price: Num
    original_price: OptionalNum = Field(default=None, alias="originalPrice")
    total: OptionalNum = None
    discount_percentage: OptionalNum = Field(default=None, alias="discountPercentage")
    is_return: Flag = Field(default=False, alias="isReturn")
    is_reward: Flag = Field(default=False, alias="isReward")
    price_type: OptionalText = Field(default=None, alias="priceType")
    tax_name: OptionalText = None
    tax_percent: OptionalNum = None

    @model_validator(mode="before")
    @classmethod
    def _flatten(cls, raw: Any) -> Any:
        if not isinstance(raw, dict):
            return raw
        product = raw.get("product")
        flat = dict(raw)
        if isinstance(product, dict):
            flat.setdefault("product_code", product.get("code"))
            flat.setdefault("product_description", product.get("description"))
        tax = raw.get("tax")
        if isinstance(tax, dict):
            flat.setdefault("tax_name", tax.get("name"))
            flat.setdefault("tax_percent", tax.get("amount"))
        return flat

    @property
    def reward(self) -> bool:
        return self.is_reward or (self.price_type or "").upper() == "REWARD"


def _edit_chain(value: Any) -> tuple[str, ...]:
    """``editedFrom`` (an order, nested recursively, or an id) → ids, most recent first."""
    if isinstance(value, list | tuple):  # already a chain (a record stored by this service)
        return tuple(str(v) for v in value)
    chain: list[str] = []
    while value not in (None, "", {}):
        if isinstance(value, dict):
            found = value.get("id")
            if found is None:
                break
            chain.append(str(found))
            value = value.get("editedFrom")
        else:
            chain.append(str(value))
            break
    return tuple(chain)


class SalesOrder(Record):
    id: Id
    date_created: datetime = Field(alias="dateCreated")
    mobile_date_created: Timestamp = Field(default=None, alias="mobileDateCreated")
    customer: Customer
    lines: tuple[OrderLine, ...] = Field(default=(), alias="items")
    total_sales: Num = Field(alias="totalSales")
    total_tax: OptionalNum = Field(default=None, alias="totalTax")
    total_before_tax: OptionalNum = Field(default=None, alias="totalBeforeTax")
    deleted: Flag = False
    date_deleted: Timestamp = Field(default=None, alias="dateDeleted")
    is_edited: Flag = Field(default=False, alias="isEdited")
    edited_from: tuple[str, ...] = Field(default=(), alias="editedFrom")
    external_id: OptionalText = Field(default=None, alias="externalId")
    seller_name: OptionalText = None
    seller_comment: OptionalText = Field(default=None, alias="sellerComment")
    scheduled_for: Timestamp = Field(default=None, alias="scheduledDateForDelivery")

    @model_validator(mode="before")
    @classmethod
    def _seller(cls, raw: Any) -> Any:
        if isinstance(raw, dict) and isinstance(raw.get("createdBy"), dict):
            return {**raw, "seller_name": raw["createdBy"].get("name")}
        return raw

    @field_validator("date_created", mode="before")
    @classmethod
    def _date_created(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip().replace("Z", "+00:00")
        return value

    @field_validator("date_created")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("must carry a time zone")
        return value

    @field_validator("edited_from", mode="before")
    @classmethod
    def _edited_from(cls, value: Any) -> Any:
        return _edit_chain(value)

    @field_validator("lines", mode="before")
    @classmethod
    def _lines(cls, value: Any) -> Any:
        return () if value is None else value
