"""Which Alegra client an order goes to, and how a new one is written (pure rules).

The exact-name rule: names are equal after trimming outer white space; case and accents
count. Identifications are compared after removing spaces, dots and hyphens.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from handy_alegra.mapping.problems import Problem
from handy_alegra.records.alegra import Contact
from handy_alegra.records.drafts import ContactDraft, PersonName
from handy_alegra.records.handy import Customer

LEGAL, NATURAL = "Persona jurídica", "Persona natural"
#: The ``regime`` a new Colombian client gets unless the account says otherwise: "no
#: responsable de IVA", the usual case of a shop that buys from a distributor (the default
#: of the public wp-alegra-connector, Billing_Fields.php; a guess for any one company).
DEFAULT_REGIME = "SIMPLIFIED_REGIME"
#: Mexico's generic RFCs (SAT: público en general, extranjero): many clients share them.
GENERIC_RFCS = frozenset({"XAXX010101000", "XEXX010101000"})
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


def split_person_name(text: str) -> PersonName | None:
    """A natural person's name in Alegra's four parts, by position (Spanish naming: given
    names first, then the father's and the mother's surname). Words are split on any run of
    white space. 1 word: first and last name are both that word (Alegra needs both);
    2: first, last; 3: first, last, second last; 4 or more: first, second (every middle
    word), last, second last. None for a blank name."""
    words = text.split()
    if not words:
        return None
    if len(words) == 1:
        return PersonName(first=words[0], last=words[0])
    if len(words) == 2:
        return PersonName(first=words[0], last=words[1])
    if len(words) == 3:
        return PersonName(first=words[0], last=words[1], second_last=words[2])
    return PersonName(
        first=words[0], second=" ".join(words[1:-2]), last=words[-2], second_last=words[-1]
    )


def new_client(
    customer: Customer,
    country: str,
    default_nit: str,
    seller_id: str | None,
    *,
    regime: str = DEFAULT_REGIME,
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
        rfc = normalize_id(tax_id)
        return replace(draft, identification=rfc, ignore_repeated=rfc in GENERIC_RFCS)
    if country != "CO":
        return draft
    category = customer.category.description if customer.category else None
    if category not in (LEGAL, NATURAL):
        return Problem("no_person_category", {"customer": name})
    legal = category == LEGAL
    draft = replace(
        draft,
        kind_of_person="LEGAL_ENTITY" if legal else "PERSON_ENTITY",
        regime=regime,
        person_name=None if legal else split_person_name(name),
    )
    number, check = split_nit(tax_id or default_nit)
    if tax_id is None or legal or check is not None:
        if not number or len(number) > len(DIAN_WEIGHTS):
            return Problem("bad_nit", {"customer": name, "nit": (tax_id or default_nit)[:40]})
        return replace(
            draft,
            identification=number,
            identification_type="NIT",
            check_digit=check or dian_check_digit(number),
            ignore_repeated=number == split_nit(default_nit)[0],
        )
    if not number:
        return Problem("bad_nit", {"customer": name, "nit": tax_id[:40]})
    return replace(
        draft,
        identification=number,
        identification_type="CC",
        ignore_repeated=number == split_nit(default_nit)[0],
    )
