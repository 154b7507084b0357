"""What this service writes: typed drafts that know their wire shape."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any


def _wire_id(value: str) -> int | str:
    """Handy's ids are numbers on the wire; keep anything else (a UUID) as text."""
    return int(value) if value.isdigit() else value


def _drop_none(payload: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in payload.items() if v is not None}


# --- Alegra ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PersonName:
    """A natural person's name in Alegra's ``nameObject`` parts."""

    first: str
    last: str
    second: str | None = None
    second_last: str | None = None

    @property
    def full(self) -> str:
        """The name as Alegra shows it: the parts that are present, joined."""
        return " ".join(p for p in (self.first, self.second, self.last, self.second_last) if p)

    def to_wire(self) -> dict[str, Any]:
        return _drop_none(
            {
                "firstName": self.first,
                "secondName": self.second,
                "lastName": self.last,
                "secondLastName": self.second_last,
            }
        )


@dataclass(frozen=True, slots=True)
class ContactDraft:
    """A new Alegra contact. Colombia sends ``identificationObject`` ``{type, number, dv}``,
    ``kindOfPerson``, ``regime`` and, for a natural person, ``nameObject`` instead of
    ``name`` (never both); elsewhere the identification is the plain string (the RFC in
    Mexico). ``ignore_repeated`` asks Alegra to accept an identification it already has."""

    name: str
    country: str
    identification: str | None = None
    identification_type: str | None = None
    check_digit: str | None = None
    kind_of_person: str | None = None
    regime: str | None = None
    person_name: PersonName | None = None
    ignore_repeated: bool = False
    email: str | None = None
    phone: str | None = None
    address: str | None = None
    city: str | None = None
    zip_code: str | None = None
    seller_id: str | None = None
    types: tuple[str, ...] = ("client",)

    @property
    def shown_name(self) -> str:
        """The contact's name as Alegra will show it once created."""
        return self.person_name.full if self.person_name else self.name.strip()

    def to_wire(self) -> dict[str, Any]:
        address = _drop_none({"address": self.address, "city": self.city, "zipCode": self.zip_code})
        who: dict[str, Any] = {"name": self.name, "identification": self.identification}
        if self.country == "CO":
            who = {
                "name": None if self.person_name else self.name,
                "nameObject": self.person_name.to_wire() if self.person_name else None,
                "identificationObject": _drop_none(
                    {
                        "type": self.identification_type or "CC",
                        "number": self.identification,
                        "dv": self.check_digit,
                    }
                )
                if self.identification
                else None,
                "kindOfPerson": self.kind_of_person,
                "regime": self.regime,
            }
        return _drop_none(
            {
                **who,
                "type": list(self.types),
                "email": self.email,
                "phonePrimary": self.phone,
                "address": address or None,
                "seller": {"id": self.seller_id} if self.seller_id else None,
                "ignoreRepeated": True if self.ignore_repeated else None,
            }
        )


@dataclass(frozen=True, slots=True)
class RemissionLineDraft:
    item_id: str
    price: Decimal  # before tax, at most 6 decimals
    quantity: Decimal
    tax_ids: tuple[str, ...] = ()
    description: str | None = None

    def to_wire(self) -> dict[str, Any]:
        return _drop_none(
            {
                "id": self.item_id,
                "price": self.price,
                "quantity": self.quantity,
                "tax": [{"id": t} for t in self.tax_ids],
                "description": self.description,
            }
        )


@dataclass(frozen=True, slots=True)
class RemissionDraft:
    date: dt.date
    due_date: dt.date
    client_id: str
    lines: tuple[RemissionLineDraft, ...]
    observations: str = ""  # internal (not printed): carries the exactly-once marker
    anotation: str = ""  # printed notes; Alegra's API spells the field "anotation"
    seller_id: str | None = None
    warehouse_id: str | None = None
    price_list_id: str | None = None

    def to_wire(self) -> dict[str, Any]:
        return _drop_none(
            {
                "date": self.date.isoformat(),
                "dueDate": self.due_date.isoformat(),
                "client": {"id": self.client_id},
                "items": [line.to_wire() for line in self.lines],
                "observations": self.observations or None,
                "anotation": self.anotation or None,
                "seller": {"id": self.seller_id} if self.seller_id else None,
                "warehouse": {"id": self.warehouse_id} if self.warehouse_id else None,
                "priceList": {"id": self.price_list_id} if self.price_list_id else None,
            }
        )


# --- Handy -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProductDraft:
    """A Handy product (create: every field; update: ``changes`` picks the ones sent)."""

    code: str
    description: str
    price: Decimal  # tax-included
    family_id: str
    quantity: Decimal | None = None
    enabled: bool = True
    external_id: str | int | None = None  # a text or an integer (``mapping.write_back``)

    def to_wire(self) -> dict[str, Any]:
        return _drop_none(
            {
                "code": self.code,
                "description": self.description,
                "price": self.price,
                "family": {"id": _wire_id(self.family_id)},
                "quantity": self.quantity,
                "enabled": self.enabled,
                "externalId": self.external_id,
            }
        )


@dataclass(frozen=True, slots=True)
class CustomerDraft:
    code: str
    description: str
    zone_id: str
    category_id: str | None = None
    business_name: str | None = None
    rfc: str | None = None
    email: str | None = None
    phone_number: str | None = None
    address: str | None = None
    city: str | None = None
    postal_code: str | None = None
    enabled: bool = True

    def to_wire(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "description": self.description,
            "zone": {"id": _wire_id(self.zone_id)},
            "category": {"id": _wire_id(self.category_id)} if self.category_id else None,
            "businessName": self.business_name,
            "rfc": self.rfc,
            "email": self.email,
            "phoneNumber": self.phone_number,
            "address": self.address,
            "city": self.city,
            "postalCode": self.postal_code,
            "enabled": self.enabled,
        }


def handy_patch(changes: dict[str, Any]) -> dict[str, Any]:
    """A partial update for Handy's PUT (which merges the fields sent); ``family``, ``zone``
    and ``category`` ids become ``{"id": n}``."""
    wire: dict[str, Any] = {}
    for key, value in changes.items():
        if key in ("family", "zone", "category") and isinstance(value, str):
            wire[key] = {"id": _wire_id(value)}
        else:
            wire[key] = value
    return wire
