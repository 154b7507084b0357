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

from handy_alegra import reasons
from handy_alegra.accounts import AccountConfig
from handy_alegra.clients.alegra import AlegraClient
from handy_alegra.clients.alegra_records import PriceList, Warehouse
from handy_alegra.clients.handy import GUESSED_LISTS, TAX_ID_KEY, HandyClient, code_segment
from handy_alegra.errors import ApiError, AuthenticationError, TransientError

OK, FAILED, WARNING, SKIPPED = "ok", "failed", "warning", "skipped"
PERSON_CATEGORIES = ("Persona jurídica", "Persona natural")

#: What each check looks at: (Spanish, English).
WHAT: dict[str, tuple[str, str]] = {
    "alegra.credentials": ("Alegra GET /company (usuario y token)", "Alegra GET /company (user and token)"),
    "alegra.country": ("País de la empresa en Alegra", "Country of the Alegra company"),
    "alegra.price_list": ("Lista de precios de Alegra «{name}» (id {id})", "Alegra price list '{name}' (id {id})"),
    "alegra.warehouse": ("Bodega de Alegra (id {id})", "Alegra warehouse (id {id})"),
    "handy.token": ("Handy GET /user (token; documentado en la guía de la API)", "Handy GET /user (token; documented in the API guide)"),
    "handy.family": ("Handy GET /family (familias; supuesto)", "Handy GET /family (families; a guess)"),
    "handy.zone": ("Handy GET /zone (zonas; supuesto)", "Handy GET /zone (zones; a guess)"),
    "handy.customerCategory": ("Handy GET /customerCategory (categorías de cliente; supuesto)", "Handy GET /customerCategory (customer categories; a guess)"),
    "handy.customer": ("Handy GET /customer (clientes)", "Handy GET /customer (customers)"),
    "handy.customer_by_code": ("Handy GET /customer/{{código}} (la ruta de las actualizaciones de clientes; supuesto)", "Handy GET /customer/{{code}} (the path customer updates use; a guess)"),
    "handy.rfc_key": ("Clave «rfc» de los clientes de Handy (RFC o NIT; supuesto)", "Key 'rfc' of Handy's customers (RFC or NIT; a guess)"),
    "handy.customer_write": ("Handy POST /customer y PUT /customer/{{código}} (supuesto)", "Handy POST /customer and PUT /customer/{{code}} (a guess)"),
    "handy.person_categories": ("Categorías «Persona jurídica» y «Persona natural» en Handy", "Categories 'Persona jurídica' and 'Persona natural' in Handy"),
}  # fmt: skip

#: What a check found, by outcome or by cause: (Spanish, English).
FOUND: dict[str, tuple[str, str]] = {
    OK: ("bien", "ok"),
    FAILED: ("FALLA", "FAILED"),
    WARNING: ("aviso", "warning"),
    SKIPPED: ("no comprobado", "not checked"),
    "auth": ("el token o el usuario no tiene acceso", "the token or user has no access"),
    "404": ("la API no tiene este endpoint", "the API has no such endpoint"),
    "405": ("la API no admite este método aquí", "the API does not allow this method here"),
    "refused": ("rechazó la consulta", "refused the request"),
    "down": ("no respondió bien; vuelve a intentarlo más tarde", "did not answer well; try again later"),
    "no_list": ("respondió sin la lista «{key}» (claves: {keys})", "answered without the '{key}' list (keys: {keys})"),
    "answer": ("respuesta", "answer"),
    "token_refused": ("Handy rechazó el token: revísalo o genera otro (Handy › Usuarios › tu usuario administrador › Generar token)", "Handy refused the token: check it or make a new one (Handy › Usuarios › your admin user › Generar token)"),
    "wrong_url": ("esa dirección no tiene la API de Handy: revisa la dirección (termina en /api/v2)", "that address does not serve Handy's API: check it (it ends in /api/v2)"),
    "company": ("{name} ({country})", "{name} ({country})"),
    "country": ("{country}", "{country}"),
    "country_differs": ("Alegra dice {found} y la cuenta dice {wanted}; las reglas de país siguen a {wanted}", "Alegra says {found} and the account says {wanted}; country rules follow {wanted}"),
    "gone": ("ya no existe en Alegra; elige otra con `accounts edit`", "no longer exists in Alegra; choose another with `accounts edit`"),
    "inactive": ("está inactiva en Alegra", "is inactive in Alegra"),
    "records": ("{count} registro(s) en la primera página", "{count} record(s) on the first page"),
    "no_customers": ("no hay clientes en Handy con qué comprobarlo", "no Handy customer to check it with"),
    "no_key": ("ningún cliente trae la clave «{key}» (claves: {keys})", "no customer carries the key '{key}' (keys: {keys})"),
    "has_key": ("los clientes traen la clave «{key}»", "customers carry the key '{key}'"),
    "a_write": ("sería una escritura; la sincronización de clientes dirá si Handy la rechaza", "it would be a write; the customer sync says if Handy refuses it"),
    "missing": ("falta «{name}»: créala en Handy (Clientes › Categorías) con ese nombre exacto", "'{name}' is missing: create it in Handy (Clientes › Categorías) with that exact name"),
    "probe_failed": ("no se pudo comprobar (falló la consulta de categorías)", "could not be checked (the categories request failed)"),
}  # fmt: skip

MARK = {OK: "✓", FAILED: "✗", WARNING: "!", SKIPPED: "–"}
SUMMARY = ("{total} comprobaciones, {failed} con falla.", "{total} checks, {failed} failed.")


def _text(table: dict[str, tuple[str, str]], entry: str, lang: str, **values: Any) -> str:
    return table[entry][0 if lang == "es" else 1].format(**values)


@dataclass(frozen=True)
class Check:
    """One check: what it looked at (``key`` into ``WHAT``), how it came out, and what the
    API answered (``status``, ``answer``) or what was found (``found`` into ``FOUND``)."""

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
        lang = lang or reasons.language()
        what = _text(WHAT, self.key, lang, **self.values)
        parts = [_text(FOUND, self.outcome, lang)]
        if self.status is not None:
            parts[0] += f" ({self.status})"
        if self.found:
            parts.append(_text(FOUND, self.found, lang, **self.values))
        if self.answer:
            parts.append(f"{_text(FOUND, 'answer', lang)}: «{self.answer}»")
        return f"{MARK[self.outcome]} {what}: " + " — ".join(parts)

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
    lang = lang or reasons.language()
    return SUMMARY[0 if lang == "es" else 1].format(total=total, failed=failed)


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
