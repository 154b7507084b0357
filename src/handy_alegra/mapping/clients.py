"""Which Alegra client an order goes to, and how a new one is written (pure rules).

The exact-name rule: names are equal after trimming outer white space; case and accents
count. Identifications are compared after removing spaces, dots and hyphens.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from handy_alegra.clients.alegra_records import Contact
from handy_alegra.clients.drafts import ContactDraft
from handy_alegra.clients.handy_records import Customer
from handy_alegra.mapping.problems import Problem

LEGAL, NATURAL = "Persona jurídica", "Persona natural"
#: DIAN's weights for the NIT check digit, from the rightmost digit leftwards.
DIAN_WEIGHTS = (3, 7, 13, 17, 19, 23, 29, 37, 41, 43, 47, 53, 59, 67, 71)


def same_name(a: str, b: str) -> bool:
    return a.strip() == b.strip()


def normalize_id(value: str | None) -> str:
    return re.sub(r"[\s.\-]", "", value or "").upper()


def dian_check_digit(nit: str) -> str:
    """The verification digit (DV) of a Colombian NIT, by DIAN's modulo-11 algorithm."""
    digits = re.sub(r"\D", "", nit)
    if not digits or len(digits) > len(DIAN_WEIGHTS):
        raise ValueError(f"{nit!r} is not a NIT")
    total = sum(int(d) * w for d, w in zip(reversed(digits), DIAN_WEIGHTS, strict=False))
    remainder = total % 11
    return str(remainder if remainder < 2 else 11 - remainder)


def split_nit(text: str) -> tuple[str, str | None]:
    """``900.123.456-7`` → (``900123456``, ``7``); ``900123456`` → (``900123456``, None)."""
    number, dash, check = text.strip().rpartition("-")
    if dash and check.isdigit() and len(check) == 1:
        return re.sub(r"\D", "", number), check
    return re.sub(r"\D", "", text), None


def choose(candidates: Sequence[Contact], name: str, tax_id: str | None) -> str | Problem | None:
    """The contact id among ``candidates`` (a contains-match listing) whose name equals
    ``name``; several → the one whose identification equals ``tax_id``; else a Problem.
    None when no candidate has that exact name."""
    exact = [c for c in candidates if same_name(c.name, name) and c.is_client]
    if len(exact) == 1:
        return exact[0].id
    if not exact:
        return None
    wanted = normalize_id(tax_id)
    by_id = [c for c in exact if wanted and normalize_id(c.identification) == wanted]
    if len(by_id) == 1:
        return by_id[0].id
    listed = [f"{c.id} ({c.identification or 'sin RFC/NIT'})" for c in exact]
    return Problem("ambiguous_client", {"customer": name.strip(), "candidates": listed})


def new_client(
    customer: Customer, country: str, default_nit: str, seller_id: str | None
) -> ContactDraft | Problem:
    """The Alegra client to create for a Handy customer, or why it cannot be created."""
    name = customer.description.strip()
    tax_id = (customer.rfc or "").strip() or None
    if not name:
        return Problem("no_name", {"customer": customer.code})
    draft = ContactDraft(
        name=name,
        country=country,
        identification=tax_id,
        email=customer.email,
        phone=customer.phone_number,
        address=customer.address,
        city=customer.city,
        zip_code=customer.postal_code,
        seller_id=seller_id,
    )
    if country == "MX":
        if tax_id is None:
            return Problem("no_rfc", {"customer": name})
        return replace(draft, identification=normalize_id(tax_id))
    if country != "CO":
        return draft
    category = customer.category.description if customer.category else None
    if category not in (LEGAL, NATURAL):
        return Problem("no_person_category", {"customer": name})
    if tax_id is None or category == LEGAL:
        number, check = split_nit(tax_id or default_nit)
        if not number or len(number) > len(DIAN_WEIGHTS):
            return Problem("bad_nit", {"customer": name, "nit": (tax_id or default_nit)[:40]})
        return replace(
            draft,
            identification=number,
            identification_type="NIT",
            check_digit=check or dian_check_digit(number),
            kind_of_person="LEGAL_ENTITY" if category == LEGAL else "PERSON_ENTITY",
        )
    return replace(
        draft,
        identification=re.sub(r"\D", "", tax_id) or tax_id,
        identification_type="CC",
        kind_of_person="PERSON_ENTITY",
    )
