"""Alegra contact → Handy customer (the customer rules of the product spec)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from handy_alegra.mapping.verdict import Verdict, skip
from handy_alegra.records.alegra import Contact

#: Colombia: Alegra's kind of person → the Handy customer category the company created.
PERSON_CATEGORY = {"LEGAL_ENTITY": "Persona jurídica", "PERSON_ENTITY": "Persona natural"}
CODE_PREFIX = "ALG-"


@dataclass(frozen=True, slots=True)
class CustomerRules:
    country: str
    default_zone: str = "Sin vendedor"
    sellers: Mapping[str, str] = field(default_factory=dict)  # seller id → current name


def customer_code(contact_id: str) -> str:
    """The Handy customer code of an Alegra contact."""
    return f"{CODE_PREFIX}{contact_id}"


def zone_of(contact: Contact, rules: CustomerRules) -> str:
    """The zone named exactly as the contact's seller (its current name), else the default."""
    if contact.seller is None:
        return rules.default_zone
    name = rules.sellers.get(contact.seller.id) or contact.seller.name
    return name if name.strip() else rules.default_zone


def evaluate(contact: Contact, rules: CustomerRules) -> Verdict:
    code = customer_code(contact.id)
    name = contact.name.strip()
    reasons: list[str] = []
    if not contact.is_client:
        reasons.append("not_client")
    if not name:
        reasons.append("no_name")
    if not contact.active:
        reasons.append("inactive_contact")
    if reasons:
        return skip(contact.id, code, name, reasons)
    address = contact.address
    desired: dict[str, object] = {
        "description": name,
        "rfc": contact.identification,
        "email": contact.email,
        "phoneNumber": contact.phone or contact.mobile,
        "address": address.line if address else None,
        "city": address.city_name if address else None,
        "postalCode": address.zip_code if address else None,
        "zone": zone_of(contact, rules),
        "enabled": True,
    }
    if rules.country == "CO":
        desired["category"] = PERSON_CATEGORY.get(contact.kind_of_person or "")
    return Verdict(contact.id, code, name, True, None, {}, desired)
