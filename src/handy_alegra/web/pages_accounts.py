"""Accounts: the list with health at a glance, activation (check the credentials live, then
activate), settings, pause and resume."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from handy_alegra.accounts import activation
from handy_alegra.accounts import registry as accounts
from handy_alegra.accounts.activation import ActivationError, Credentials
from handy_alegra.accounts.registry import AccountConfig, AccountError
from handy_alegra.accounts.vault import Vault, VaultError
from handy_alegra.clients.alegra import CO_REGIMES
from handy_alegra.clients.alegra import DEFAULT_BASE_URL as ALEGRA_URL
from handy_alegra.clients.handy import DEFAULT_BASE_URL as HANDY_URL
from handy_alegra.records.alegra import PriceList
from handy_alegra.scheduling import slots
from handy_alegra.views.status import Health
from handy_alegra.web import auth, queries
from handy_alegra.web.render import (
    account_url,
    flash,
    language,
    load_account,
    page,
    redirect,
    runtime,
    t,
)

router = APIRouter(dependencies=auth.PROTECTED)

COUNTRIES = accounts.COUNTRIES
ZONES = (
    "America/Mexico_City",
    "America/Bogota",
    "America/Monterrey",
    "America/Tijuana",
    "America/Cancun",
    "America/Lima",
    "America/Santiago",
)


class ActivationForm(BaseModel):
    name: str = ""
    country: str = "MX"
    alegra_email: str = ""
    alegra_token: str = ""
    handy_token: str = ""
    alegra_url: str = ALEGRA_URL
    handy_url: str = HANDY_URL
    timezone: str = "America/Mexico_City"
    sealed: str = ""  # both tokens, encrypted with the vault once they passed the check
    price_list: str = ""
    all_items: bool = False
    daily_at: str = "03:00"
    sales_every: str = "10"

    def credentials(self, vault: Vault) -> Credentials:
        alegra_token, handy_token = self.alegra_token.strip(), self.handy_token.strip()
        if self.sealed:
            tokens = json.loads(vault.decrypt(self.sealed))
            alegra_token, handy_token = tokens["alegra"], tokens["handy"]
        return Credentials.given(
            self.alegra_email, alegra_token, handy_token, self.alegra_url, self.handy_url
        )


class SettingsForm(BaseModel):
    """The settings page: every field is shown filled in, so a blank one means "leave it"
    (the alert addresses excepted: blank stops those alerts, as ``''`` does on the command
    line). Values go to ``activation.edit`` as typed: the command line's rules apply."""

    price_list: str = ""
    all_items: bool = False
    timezone: str = ""
    daily_at: str = ""
    sales_every: str = ""
    default_zone: str = ""
    default_family: str = ""
    colombia_regime: str = ""
    colombia_default_nit: str = ""
    warehouse: str = ""
    alert_failed_runs: str = ""
    alert_order_minutes: str = ""
    alert_webhook_url: str = ""
    alert_email: str = ""

    def asked(self) -> activation.Edit:
        def given(value: str) -> str | None:
            return value if value.strip() else None

        return activation.Edit(
            price_list=given(self.price_list),
            all_items=self.all_items,
            timezone=given(self.timezone),
            daily_at=given(self.daily_at),
            sales_every=given(self.sales_every),
            default_zone=given(self.default_zone),
            default_family=given(self.default_family),
            colombia_regime=given(self.colombia_regime),
            colombia_default_nit=given(self.colombia_default_nit),
            warehouse=given(self.warehouse),
            alert_failed_runs=given(self.alert_failed_runs),
            alert_order_minutes=given(self.alert_order_minutes),
            alert_webhook_url=self.alert_webhook_url,
            alert_email=self.alert_email,
        )


@router.get("/")
def home() -> Response:
    return redirect("/accounts")


@router.get("/accounts")
def accounts_page(
    request: Request,
    name: str = "",
    country: str = "",
    health: str = "",
    page_number: Annotated[str, Query(alias="page")] = "",
) -> Response:
    """The list, 50 to a page, narrowed by name (any part of it), country and health."""
    rt = runtime(request)
    filters = queries.Filters(
        name=name.strip()[:100],
        country=country.upper() if country.upper() in COUNTRIES else "",
        health=health if health in (*Health, "unhealthy") else "",
        page=int(page_number) if page_number.isdigit() and int(page_number) > 0 else 1,
    )
    with rt.store.session() as session:
        listing = queries.overview(session, rt.clock.now(), filters)
    return page(
        request,
        "accounts.html",
        listing=listing,
        rows=listing.rows,
        jobs=queries.JOBS,
        countries=COUNTRIES,
        healths=tuple(Health),
        page_size=queries.PAGE_SIZE,
    )


def _activation_page(
    request: Request, form: ActivationForm, status: int = 200, **extra: Any
) -> Response:
    return page(
        request,
        "activate.html",
        status,
        form=form,
        countries=COUNTRIES,
        zones=ZONES,
        here="/accounts/new",
        **{"step": 1, "lists": [], "error": None, "warnings": [], "co_checked": False, **extra},
    )


@router.get("/accounts/new")
def activation_form(request: Request) -> Response:
    return _activation_page(request, ActivationForm())


def _first_step_problems(request: Request, form: ActivationForm) -> str | None:
    missing = [
        t(request, f"activate.{field}")
        for field in ("name", "alegra_email", "alegra_token", "handy_token")
        if not getattr(form, field).strip()
    ]
    if missing:
        return t(request, "activate.missing", fields=", ".join(missing))
    try:
        accounts.check_name(form.name)
    except AccountError:
        return t(request, "activate.bad_name")
    with runtime(request).store.session() as session:
        if form.name.strip() in accounts.names(session):
            return t(request, "activate.taken", name=form.name.strip())
    return None


@router.post("/accounts/new/check")
def check_credentials(request: Request, form: Annotated[ActivationForm, Form()]) -> Response:
    rt = runtime(request)
    form.sealed = ""
    problem = _first_step_problems(request, form)
    if problem:
        return _activation_page(request, form, 400, error=problem)
    creds = form.credentials(rt.vault)
    lang = language(request)
    try:
        activation.parse_timezone(form.timezone.strip())
        lists = activation.price_lists(rt, creds)
        if not lists:
            return _activation_page(request, form, 400, error=t(request, "activate.no_lists"))
        checked = activation.check(
            rt,
            creds,
            country=form.country.upper(),
            price_list=lists[0].id,
            lang=language(request),
        )
    except ActivationError as exc:
        return _activation_page(
            request, form, 400, error=t(request, "activate.check_failed", error=exc.text(lang))
        )
    form.sealed = rt.vault.encrypt(
        json.dumps({"alegra": creds.alegra_token, "handy": creds.handy_token})
    )
    form.price_list = next((p.id for p in lists if p.status == "active"), lists[0].id)
    return _activation_page(
        request,
        form,
        step=2,
        lists=lists,
        warnings=checked.all_warnings(language(request)),
        co_checked=checked.categories_checked,
    )


def _lists_or_empty(request: Request, creds: Credentials) -> list[PriceList]:
    try:
        return activation.price_lists(runtime(request), creds)
    except ActivationError:
        return []


@router.post("/accounts/new")
def activate(request: Request, form: Annotated[ActivationForm, Form()]) -> Response:
    rt = runtime(request)
    if not form.sealed:
        return redirect("/accounts/new")
    try:
        creds = form.credentials(rt.vault)
    except (VaultError, ValueError, KeyError):
        form.sealed = ""
        return _activation_page(request, form, 400, error=t(request, "activate.recheck"))
    try:
        config, checked = activation.activate(
            rt,
            form.name.strip(),
            creds,
            country=form.country,
            price_list=form.price_list,
            all_items=form.all_items,
            timezone=form.timezone.strip(),
            daily_at=form.daily_at,
            sales_every=activation.whole(form.sales_every, "sales_every"),
        )
    except ActivationError as exc:
        lists = _lists_or_empty(request, creds)
        message = t(request, "activate.failed", error=exc.text(language(request)))
        return _activation_page(request, form, 400, step=2, lists=lists, error=message)
    with rt.store.session() as session:  # the run after activation, queued for all to see
        slots.request_now(session, config.id, "daily", rt.clock.now())
    flash(request, "ok", t(request, "activate.done", name=config.name))
    for warning in checked.all_warnings(language(request)):
        flash(request, "info", warning)
    return redirect(account_url(config.name))


def _settings_page(
    request: Request, account: AccountConfig, status: int = 200, error: str | None = None
) -> Response:
    try:
        lists = activation.price_lists(runtime(request), Credentials.of(account))
    except ActivationError as exc:
        lists = [PriceList(id=account.price_list_id, name=account.price_list_name)]
        error = error or t(request, "edit.lists_failed", error=exc.text(language(request)))
    return page(
        request,
        "settings.html",
        status,
        account=account,
        lists=lists,
        zones=ZONES,
        regimes=CO_REGIMES,
        error=error,
        here=account_url(account.name, "edit"),
    )


@router.get("/accounts/{name}/edit")
def settings_form(request: Request, name: str) -> Response:
    return _settings_page(request, load_account(request, name))


@router.post("/accounts/{name}/edit")
def save_settings(request: Request, name: str, form: Annotated[SettingsForm, Form()]) -> Response:
    account = load_account(request, name)
    lang = language(request)
    try:
        edited = activation.edit(runtime(request), name, form.asked(), lang=lang)
    except AccountError as exc:
        return _settings_page(
            request, account, 400, t(request, "edit.failed", error=exc.text(lang))
        )
    flash(request, "ok", t(request, "edit.saved"))
    for warning in edited.checked.all_warnings(lang) if edited.checked else []:
        flash(request, "info", warning)
    return redirect(account_url(name))


def _set_paused(request: Request, name: str, paused: bool) -> Response:
    rt = runtime(request)
    load_account(request, name)
    with rt.store.session() as session:
        accounts.update(session, rt.vault, name, now=rt.clock.now(), paused=paused)
    flash(request, "info", t(request, "account.paused" if paused else "account.resumed"))
    return redirect(account_url(name))


@router.post("/accounts/{name}/pause")
def pause(request: Request, name: str) -> Response:
    return _set_paused(request, name, True)


@router.post("/accounts/{name}/resume")
def resume(request: Request, name: str) -> Response:
    return _set_paused(request, name, False)
