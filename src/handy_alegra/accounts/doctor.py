"""Read-only checks of an account's two APIs, one line each: activation runs the Handy ones,
``accounts doctor`` runs them all again later.

Handy's token is checked on the documented endpoint (``GET /user``, the test of Handy's API
guide). Then every Handy endpoint this service uses without public confirmation (handy.md
§14, DECISIONS.md) is probed read-only, so that a real Handy that lacks one says precisely
which, with its status and answer, instead of a generic "bad credentials". Writes cannot be
probed read-only (customer create/update): their line says so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from handy_alegra import messages
from handy_alegra.accounts.registry import AccountConfig
from handy_alegra.clients.alegra import AlegraClient
from handy_alegra.clients.handy import GUESSED_LISTS, TAX_ID_KEY, HandyClient, code_segment
from handy_alegra.domain.errors import ApiError, AuthenticationError, TransientError
from handy_alegra.records.alegra import PriceList, Warehouse

OK, FAILED, WARNING, SKIPPED = "ok", "failed", "warning", "skipped"
PERSON_CATEGORIES = ("Persona jurídica", "Persona natural")

MARK = {OK: "✓", FAILED: "✗", WARNING: "!", SKIPPED: "–"}


@dataclass(frozen=True)
class Check:
    """One check: what it looked at (``doctor.what.<key>`` in the message catalog), how it came
    out, and what the API answered (``status``, ``answer``) or what was found
    (``doctor.found.<found>``)."""

    key: str
    outcome: str
    status: int | None = None
    found: str | None = None
    answer: str = ""
    values: dict[str, Any] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        return self.outcome == FAILED

    def line(self, lang: str | None = None) -> str:
        lang = messages.language(lang)
        what = messages.text(f"doctor.what.{self.key}", lang, **self.values)
        parts = [messages.text(f"doctor.found.{self.outcome}", lang)]
        if self.status is not None:
            parts[0] += f" ({self.status})"
        if self.found:
            parts.append(messages.text(f"doctor.found.{self.found}", lang, **self.values))
        if self.answer:
            parts.append(f"{messages.text('doctor.found.answer', lang)}: «{self.answer}»")
        return f"{MARK[self.outcome]} {what}: " + " — ".join(parts)

    def text(self, lang: str | None = None) -> str:
        """The line (a check inside an activation refusal says itself in its language)."""
        return self.line(lang)

    def to_json(self) -> dict[str, Any]:
        return {
            "check": self.key,
            "outcome": self.outcome,
            "status": self.status,
            "line": self.line(),
        }


def _failure(key: str, exc: ApiError, **values: Any) -> Check:
    """A check an API error ended: the cause in words, the status and the answer."""
    if isinstance(exc, AuthenticationError):
        cause = "auth"
    elif isinstance(exc, TransientError):
        cause = "down"
    elif exc.status in (404, 405):
        cause = str(exc.status)
    else:
        cause = "refused"
    answer = "; ".join([exc.message, *map(str, exc.fields)])[:200]
    return Check(key, FAILED, exc.status, cause, answer, values)


def _get(key: str, read: Callable[[], Any]) -> Any | Check:
    try:
        return read()
    except ApiError as exc:
        return _failure(key, exc)


def _listed(key: str, body: Any, plural: str) -> list[Any] | Check:
    if isinstance(body, dict) and isinstance(body.get(plural), list):
        return list(body[plural])
    keys = ", ".join(sorted(body)) if isinstance(body, dict) else type(body).__name__
    return Check(key, FAILED, 200, "no_list", values={"key": plural, "keys": keys or "—"})


# --- Handy ---------------------------------------------------------------------------------


def handy_token(handy: HandyClient) -> Check:
    """The token, on the endpoint Handy's API guide documents for it."""
    found = _get("handy.token", handy.check_token)
    if not isinstance(found, Check):
        return Check("handy.token", OK, 200)
    hint = {"auth": "token_refused", "404": "wrong_url", "405": "wrong_url"}.get(found.found or "")
    return replace(found, found=hint) if hint else found


def handy_guesses(handy: HandyClient) -> list[Check]:
    """Every guessed Handy endpoint, read-only (a page of one record each)."""
    checks = [_probe_list(handy, path, plural) for path, plural in GUESSED_LISTS]
    checks.extend(_customer_checks(handy))
    checks.append(Check("handy.customer_write", SKIPPED, found="a_write"))
    return checks


def _probe_list(handy: HandyClient, path: str, plural: str) -> Check:
    key = f"handy.{path}"
    body = _get(key, lambda: handy.read(path, {"page": 1, "max": 1}))
    records = body if isinstance(body, Check) else _listed(key, body, plural)
    if isinstance(records, Check):
        return records
    return Check(key, OK, 200, "records", values={"count": len(records)})


def _customer_checks(handy: HandyClient) -> list[Check]:
    body = _get("handy.customer", lambda: handy.read("customer", {"page": 1, "max": 10}))
    customers = body if isinstance(body, Check) else _listed("handy.customer", body, "customers")
    if isinstance(customers, Check):
        return [customers]
    checks = [Check("handy.customer", OK, 200, "records", values={"count": len(customers)})]
    records = [c for c in customers if isinstance(c, dict)]
    if not records:
        checks.append(Check("handy.rfc_key", SKIPPED, found="no_customers"))
        checks.append(Check("handy.customer_by_code", SKIPPED, found="no_customers"))
        return checks
    values = {"key": TAX_ID_KEY}
    if any(TAX_ID_KEY in c for c in records):
        checks.append(Check("handy.rfc_key", OK, found="has_key", values=values))
    else:
        keys = ", ".join(sorted(records[0]))[:300]
        checks.append(
            Check("handy.rfc_key", FAILED, found="no_key", values={**values, "keys": keys})
        )
    code = str(records[0].get("code") or "")
    try:
        segment = code_segment(code)
    except ValueError:
        return [*checks, Check("handy.customer_by_code", SKIPPED, found="no_customers")]
    one = _get("handy.customer_by_code", lambda: handy.read(f"customer/{segment}"))
    checks.append(one if isinstance(one, Check) else Check("handy.customer_by_code", OK, 200))
    return checks


def person_categories(handy: HandyClient) -> Check:
    """Colombia: Handy's two person categories exist (they tell the kind of person)."""
    key = "handy.person_categories"
    body = _get(key, lambda: handy.read("customerCategory", {"page": 1, "max": 100}))
    listed = body if isinstance(body, Check) else _listed(key, body, "customerCategories")
    if isinstance(listed, Check):
        return Check(key, FAILED, listed.status, "probe_failed", listed.answer)
    present = {c.get("description") for c in listed if isinstance(c, dict)}
    missing = [name for name in PERSON_CATEGORIES if name not in present]
    if missing:
        return Check(key, FAILED, found="missing", values={"name": missing[0]})
    return Check(key, OK)


# --- Alegra --------------------------------------------------------------------------------


def alegra_checks(alegra: AlegraClient, account: AccountConfig) -> list[Check]:
    """What activation checked on Alegra's side: credentials, country, price list, warehouse."""
    company = _get("alegra.credentials", alegra.company)
    if isinstance(company, Check):
        return [company]
    found = {"name": company.name, "country": company.country or "?"}
    checks = [Check("alegra.credentials", OK, 200, "company", values=found)]
    if company.country and company.country != account.country:
        values = {"found": company.country, "wanted": account.country}
        checks.append(Check("alegra.country", WARNING, found="country_differs", values=values))
    else:
        checks.append(Check("alegra.country", OK, found="country", values=found))
    values = {"name": account.price_list_name, "id": account.price_list_id}
    lists = _get("alegra.price_list", alegra.list_price_lists)
    if isinstance(lists, Check):
        checks.append(replace(lists, values=values))
    else:
        chosen = [p for p in lists if isinstance(p, PriceList) and p.id == account.price_list_id]
        if not chosen:
            checks.append(Check("alegra.price_list", FAILED, found="gone", values=values))
        elif chosen[0].status != "active":
            checks.append(Check("alegra.price_list", WARNING, found="inactive", values=values))
        else:
            checks.append(Check("alegra.price_list", OK, values=values))
    if account.warehouse_id:
        values = {"id": account.warehouse_id}
        stores = _get("alegra.warehouse", alegra.list_warehouses)
        if isinstance(stores, Check):
            checks.append(replace(stores, values=values))
        elif any(isinstance(w, Warehouse) and w.id == account.warehouse_id for w in stores):
            checks.append(Check("alegra.warehouse", OK, values=values))
        else:
            checks.append(Check("alegra.warehouse", FAILED, found="gone", values=values))
    return checks


def summary(total: int, failed: int, lang: str | None = None) -> str:
    return messages.text("doctor.summary", lang, total=total, failed=failed)


def run(alegra: AlegraClient, handy: HandyClient, account: AccountConfig) -> list[Check]:
    """Every check of ``account``, in the order ``accounts doctor`` prints them."""
    checks = alegra_checks(alegra, account)
    token = handy_token(handy)
    checks.append(token)
    if token.failed:
        return checks  # every other Handy call would fail the same way
    guesses = handy_guesses(handy)
    checks.extend(guesses)
    if account.country == "CO":
        checks.append(person_categories(handy))
    return checks
