"""Every run is closed, whatever ends it (issue 12.3-4). A stop for a shutdown part-way
through a catalog, a customers run, ``sync daily``, a sales cycle or webhook events leaves the
run closed as ``stopped`` with nothing half-written — no scratch rows, no order left
``sending``, cursors moved only after complete reads, every write Handy holds recorded — and
the next run finishes the work: Handy and Alegra end exactly as after a run never stopped (a
twin company, same seed). A bug closes the run as ``crashed``, opens an alert, and the account
shows unhealthy in ``status``; a stopped run does neither and its job is queued again."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from handy_alegra.accounts import registry as accounts
from handy_alegra.cli import app
from handy_alegra.cli.common import console, print_summary
from handy_alegra.domain.statuses import OrderStatus, RunOutcome, SlotStatus
from handy_alegra.messages import reason_texts as reasons
from handy_alegra.scheduling import jobs, slots
from handy_alegra.scheduling.schedule import DAILY, SALES
from handy_alegra.simulators.seed import seed_orders
from handy_alegra.store import sync_state as state
from handy_alegra.store.tables import (
    Alert,
    HandyRecord,
    OrderRecord,
    Run,
    Slot,
    Snapshot,
    Verdict,
    WebhookEvent,
)
from handy_alegra.sync import catalog, customers, daily, keyed, sales, sales_orders
from handy_alegra.sync import webhooks as webhook_sync
from handy_alegra.sync.summary import RunSummary
from handy_alegra.sync.webhook_inbox import record_delivery
from handy_alegra.views.status import account_status
from tests.e2e.sales_checks import check_exactly_once, remissions_by_order
from tests.fuzz.strategies import Sandbox, sandbox, synced_company

ITEMS, CONTACTS = 60, 40


def company(directory: Path) -> Sandbox:
    directory.mkdir()
    return sandbox(directory, items=ITEMS, contacts=CONTACTS)


@pytest.fixture
def box(tmp_path: Path) -> Iterator[Sandbox]:
    found = company(tmp_path / "box")
    yield found
    found.close()


@pytest.fixture
def twin(tmp_path: Path) -> Iterator[Sandbox]:
    """The same company (same seed), whose runs are never stopped: the expected end state."""
    found = company(tmp_path / "twin")
    yield found
    found.close()


@pytest.fixture(autouse=True)
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Checkpoints every 5 records read and every 5 codes written: a 60-item catalog stops
    part-way as a 100,000-item one would."""
    monkeypatch.setattr(keyed, "PAGE", 5)
    monkeypatch.setattr(keyed, "BATCH", 5)


class StopWhen:
    """A ``should_stop`` that turns true once ``reached()`` does (a shutdown arriving while
    the run works); counts how often the run asked."""

    def __init__(self, reached: Callable[[], bool]) -> None:
        self.reached = reached
        self.asked = 0

    def __call__(self) -> bool:
        self.asked += 1
        return self.reached()


# --- what the simulators hold ------------------------------------------------------------------


def ours(box: Sandbox, kind: str) -> list[dict[str, Any]]:
    if kind == "product":
        return [p for p in box.world.handy.products() if not p["code"].startswith("LOCAL-")]
    return [c for c in box.world.handy.customers() if c["code"].startswith("ALG-")]


SHOWN = {
    "product": ("description", "price", "basePrice", "quantity", "enabled", "externalId"),
    "customer": ("description", "rfc", "email", "phoneNumber", "address", "city", "enabled"),
}


def handy_state(box: Sandbox, kind: str) -> dict[str, tuple[Any, ...]]:
    """What the sync keeps in Handy, by code (ids and timestamps aside)."""
    group = "family" if kind == "product" else "zone"
    return {
        r["code"]: (*(r.get(f) for f in SHOWN[kind]), (r.get(group) or {}).get("description"))
        for r in ours(box, kind)
    }


def alegra_state(box: Sandbox) -> dict[str, tuple[str, Decimal]]:
    """Order id → (remission status, total) for every remission carrying an order's marker."""
    return {
        order: (rems[0]["status"], Decimal(str(rems[0]["total"])))
        for order, rems in remissions_by_order(box.world).items()
    }


# --- what the store holds ---------------------------------------------------------------------


def runs(box: Sandbox, kind: str | None = None) -> list[Run]:
    with box.runtime.store.session() as session:
        query = select(Run).order_by(Run.id)
        if kind is not None:
            query = query.where(Run.kind == kind)
        found = list(session.scalars(query))
        session.expunge_all()
    return found


def count(box: Sandbox, table: Any, *where: Any) -> int:
    with box.runtime.store.session() as session:
        return int(session.scalar(select(func.count()).select_from(table).where(*where)) or 0)


def cursor(box: Sandbox, name: str) -> Any:
    with box.runtime.store.session() as session:
        return state.get_cursor(session, box.account.id, name)


def managed_codes(box: Sandbox, kind: str) -> set[str]:
    with box.runtime.store.session() as session:
        return set(
            session.scalars(
                select(HandyRecord.code).where(
                    HandyRecord.kind == kind, HandyRecord.managed.is_(True)
                )
            )
        )


def order_statuses(box: Sandbox) -> dict[str, tuple[str, str | None]]:
    with box.runtime.store.session() as session:
        return {r.handy_id: (r.status, r.reason) for r in session.scalars(select(OrderRecord))}


def assert_closed_as_stopped(box: Sandbox, summary: RunSummary) -> Run:
    """The run is closed as stopped (exit code 3), no run is left running, no scratch row."""
    assert (summary.outcome, summary.exit_code) == (RunOutcome.STOPPED, 3), summary.message
    assert summary.message is not None and summary.message.startswith("stopped for a shutdown")
    (run,) = [r for r in runs(box) if r.id == summary.run_id]
    assert (run.outcome, run.message) == (RunOutcome.STOPPED, summary.message)
    assert run.finished_at is not None
    assert run.counts == summary.counts_json()
    assert count(box, Run, Run.outcome == RunOutcome.RUNNING) == 0
    assert count(box, Snapshot) == 0
    return run


# --- catalog and customers -------------------------------------------------------------------

SYNCS = {"product": catalog, "customer": customers}
CURSORS = {"product": "handy_products", "customer": "handy_customers"}


@pytest.mark.parametrize("kind", ["product", "customer"])
@pytest.mark.parametrize("phase", ["reading Alegra", "writing Handy"])
def test_a_keyed_run_stopped_part_way_is_closed_and_the_next_run_finishes_it(
    box: Sandbox, twin: Sandbox, kind: str, phase: str
) -> None:
    sync = SYNCS[kind]
    expected = sync.run(twin.runtime, twin.account)
    assert expected.outcome == RunOutcome.OK
    total = len(ours(twin, kind))
    assert total > 20

    if phase == "reading Alegra":
        stop = StopWhen(lambda: True)  # at the first checkpoint: after 5 records judged
    else:
        stop = StopWhen(lambda: len(ours(box, kind)) >= 10)
    stopped = sync.run(box.runtime, box.account, should_stop=stop)

    run = assert_closed_as_stopped(box, stopped)
    written = ours(box, kind)
    if phase == "reading Alegra":
        assert stop.asked == 1 and written == []
        assert count(box, Verdict) == 0  # an unfinished judging leaves no verdict behind
    else:
        assert 10 <= len(written) < total  # stopped between two batches, part-way
        assert stopped.counts["created"] == len(written)
        with box.runtime.store.session() as session:  # the judging was complete: kept
            assert set(session.scalars(select(Verdict.run_id))) == {run.id}
    assert managed_codes(box, kind) == {r["code"] for r in written}  # every write recorded
    assert cursor(box, CURSORS[kind]) is None  # Handy was not read to the end: read it all again

    box.clock.advance(60)
    finished = sync.run(box.runtime, box.account)
    assert finished.outcome == RunOutcome.OK, finished.message
    assert finished.counts["created"] == total - len(written)
    assert handy_state(box, kind) == handy_state(twin, kind)
    assert managed_codes(box, kind) == managed_codes(twin, kind)
    assert cursor(box, CURSORS[kind]) == finished.started_at
    assert count(box, Snapshot) == 0


def test_sync_daily_stopped_part_way_closes_both_runs_and_the_next_daily_finishes(
    box: Sandbox, twin: Sandbox
) -> None:
    for summary in daily.run(twin.runtime, twin.account):
        assert summary.outcome == RunOutcome.OK
    stop = StopWhen(lambda: len(ours(box, "customer")) + len(ours(box, "product")) >= 10)
    summaries = daily.run(box.runtime, box.account, should_stop=stop)
    assert [s.kind for s in summaries] == ["catalog", "customers"]
    for summary in summaries:
        assert_closed_as_stopped(box, summary)
    assert (
        0
        < len(ours(box, "product")) + len(ours(box, "customer"))
        < (len(ours(twin, "product")) + len(ours(twin, "customer")))
    )
    box.clock.advance(60)
    for summary in daily.run(box.runtime, box.account):
        assert summary.outcome == RunOutcome.OK, summary.message
    for kind in ("product", "customer"):
        assert handy_state(box, kind) == handy_state(twin, kind)


def test_a_dry_run_that_crashes_leaves_the_store_as_it_found_it(
    box: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*_: Any, **__: Any) -> list[str]:
        raise RuntimeError("boom")

    monkeypatch.setattr(catalog.ProductResource, "prepare", boom)
    summary = catalog.run(box.runtime, box.account, dry_run=True)
    assert (summary.outcome, summary.message, summary.run_id) == (
        RunOutcome.CRASHED,
        "RuntimeError: boom",
        None,
    )
    assert (count(box, Run), count(box, Verdict), count(box, Snapshot)) == (0, 0, 0)
    assert ours(box, "product") == []


# --- sales ---------------------------------------------------------------------------------


@pytest.fixture
def orders(box: Sandbox, twin: Sandbox) -> int:
    """Both companies synced, with the same 12 new orders (some bad: unknown codes, …)."""
    for company_ in (box, twin):
        synced_company(company_)
        seed_orders(company_.world, 12, since=company_.clock.now())
        company_.clock.advance(60)
    assert sales.run(twin.runtime, twin.account).outcome in (RunOutcome.OK, RunOutcome.PARTIAL)
    assert len(alegra_state(twin)) >= 6
    return len(box.world.handy.orders())


@pytest.mark.parametrize("phase", ["reading Handy", "sending"])
def test_a_sales_cycle_stopped_part_way_is_closed_and_the_next_one_finishes_it(
    box: Sandbox, twin: Sandbox, orders: int, phase: str
) -> None:
    if phase == "reading Handy":
        stop = StopWhen(lambda: True)
    else:
        stop = StopWhen(lambda: len(box.world.alegra.remissions()) >= 3)
    stopped = sales.run(box.runtime, box.account, should_stop=stop)

    assert_closed_as_stopped(box, stopped)
    statuses = order_statuses(box)
    assert OrderStatus.SENDING not in {status for status, _ in statuses.values()}
    assert count(box, OrderRecord, OrderRecord.lease_owner.is_not(None)) == 0
    sent = [k for k, (status, _) in statuses.items() if status == OrderStatus.SENT]
    if phase == "reading Handy":
        assert statuses == {} and box.world.alegra.remissions() == []
        assert cursor(box, sales.CREATED) is None  # the reading did not finish: read again
    else:
        assert 3 <= len(sent) < len(alegra_state(twin))
        assert stopped.counts[OrderStatus.SENT] == len(sent)
        assert cursor(box, sales.CREATED) == stopped.started_at  # both readings finished
        assert stopped.counts["pending"] == len(
            [s for s, _ in statuses.values() if s in (OrderStatus.PENDING, OrderStatus.FAILED)]
        )
    assert set(alegra_state(box)) == set(sent)
    check_exactly_once(box.world, box.runtime)

    box.clock.advance(600)
    finished = sales.run(box.runtime, box.account)
    assert finished.outcome in (RunOutcome.OK, RunOutcome.PARTIAL), finished.message
    check_exactly_once(box.world, box.runtime)
    assert alegra_state(box) == alegra_state(twin)
    assert order_statuses(box) == order_statuses(twin)


def test_webhook_events_stopped_part_way_are_closed_and_the_rest_synced_next(
    box: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced_company(box)
    items = [i for i in box.world.alegra.items() if i.get("reference")][:4]
    with box.runtime.store.session() as session:
        for item in items:
            box.world.alegra.update_item(str(item["id"]), name=f"{item['name']} (nuevo)")
            body = {"subject": "edit-item", "message": {"item": {"id": item["id"]}}}
            assert (
                record_delivery(
                    session, box.account.id, json.dumps(body).encode(), None, box.clock.now()
                )
                == "recorded"
            )
    synced: list[str] = []
    real = webhook_sync.sync_one

    def counted(*args: Any) -> str:
        synced.append(args[2])
        return real(*args)

    monkeypatch.setattr(webhook_sync, "sync_one", counted)
    stopped = webhook_sync.process(box.runtime, box.account, StopWhen(lambda: len(synced) >= 2))
    assert_closed_as_stopped(box, stopped)
    pending = WebhookEvent.processed_at.is_(None)
    assert count(box, WebhookEvent, pending) == 2  # the two synced are marked, the rest wait
    finished = webhook_sync.process(box.runtime, box.account)
    assert finished.outcome == RunOutcome.OK
    assert count(box, WebhookEvent, pending) == 0
    assert synced == [str(i["id"]) for i in items]
    described = {p["code"]: p["description"] for p in ours(box, "product")}
    for item in items:
        if item["reference"] in described:
            assert described[item["reference"]].endswith("(nuevo)")


# --- the scheduler: a crash alerts and shows; a stop does neither and is queued again --------


def sales_job(box: Sandbox, *, should_stop: Callable[[], bool] = lambda: False) -> jobs.Outcome:
    with box.runtime.store.session() as session:
        assert slots.request_now(session, box.account.id, SALES, box.clock.now())
        slot_id = session.scalars(
            select(Slot.id).where(Slot.status == SlotStatus.QUEUED).order_by(Slot.id.desc())
        ).first()
    assert slot_id is not None
    return jobs.execute(box.runtime, slot_id, owner="worker-1", should_stop=should_stop)


def open_alerts(box: Sandbox) -> dict[str, str]:
    with box.runtime.store.session() as session:
        return {
            a.key: a.message
            for a in session.scalars(select(Alert).where(Alert.cleared_at.is_(None)))
        }


def health(box: Sandbox) -> str:
    with box.runtime.store.session() as session:
        account = accounts.load(session, box.runtime.vault, "acme")
        return str(account_status(session, account, box.clock.now())["health"])


@pytest.fixture
def crashing(monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """A bug in the sales cycle (every order it sends raises); call it to fix the bug."""

    def bug(*_: Any, **__: Any) -> None:
        raise KeyError("customer")

    monkeypatch.setattr(sales_orders.OrderHandler, "handle", bug)
    return monkeypatch.undo


def test_a_crashed_sales_cycle_opens_an_alert_and_the_account_is_unhealthy(
    box: Sandbox, crashing: Callable[[], None]
) -> None:
    synced_company(box)
    seed_orders(box.world, 3, since=box.clock.now())
    box.clock.advance(60)
    assert health(box) == "ok"
    outcome = sales_job(box)
    assert outcome.status == SlotStatus.FAILED
    (summary,) = outcome.summaries
    assert (summary.outcome, summary.message) == (RunOutcome.CRASHED, "KeyError: 'customer'")
    (run,) = runs(box, "sales")
    assert (run.outcome, run.finished_at is not None) == (RunOutcome.CRASHED, True)
    assert order_statuses(box) and OrderStatus.SENDING not in {
        s for s, _ in order_statuses(box).values()
    }
    # one crash is enough (alert_failed_runs is 3): a bug does not heal by waiting
    assert open_alerts(box) == {
        "runs:sales": "acme: la última ejecución de Ventas se cayó (un error de handy-alegra); "
        "KeyError: 'customer'"
    }
    assert health(box) == "bad"

    crashing()  # the bug is fixed
    box.clock.advance(600)
    outcome = sales_job(box)
    assert outcome.status == SlotStatus.DONE
    assert outcome.summaries[0].outcome in (RunOutcome.OK, RunOutcome.PARTIAL)
    assert "runs:sales" not in open_alerts(box)
    assert health(box) in ("ok", "warn")


def test_a_stopped_sales_job_opens_no_alert_and_is_queued_again(box: Sandbox) -> None:
    synced_company(box)
    seed_orders(box.world, 6, since=box.clock.now())
    box.clock.advance(60)
    outcome = sales_job(box, should_stop=StopWhen(lambda: len(box.world.alegra.remissions()) >= 2))
    assert outcome.status == SlotStatus.QUEUED  # not done: the next service runs it
    (summary,) = outcome.summaries
    assert summary.outcome == RunOutcome.STOPPED
    with box.runtime.store.session() as session:
        slot = session.get(Slot, outcome.slot_id)
        assert slot is not None
        assert (slot.status, slot.owner, slot.run_ids) == (
            SlotStatus.QUEUED,
            None,
            [summary.run_id],
        )
    assert open_alerts(box) == {}
    assert health(box) != "bad"
    again = jobs.execute(box.runtime, outcome.slot_id, owner="worker-2")
    assert again.status == SlotStatus.DONE
    assert again.summaries[0].outcome in (RunOutcome.OK, RunOutcome.PARTIAL)
    check_exactly_once(box.world, box.runtime)


class Killed(BaseException):
    """What a SIGKILL leaves: the process is gone part-way, nothing closes anything."""


def test_the_runs_of_a_killed_job_are_closed_when_its_slot_is_recovered(box: Sandbox) -> None:
    synced_company(box)
    judged_before = count(box, Verdict)
    asked = 0

    def killed_on_the_fourth_page() -> bool:
        nonlocal asked
        asked += 1
        if asked == 4:
            raise Killed
        return False

    now = box.clock.now()
    with box.runtime.store.session() as session:  # a worker took the slot, as jobs.execute does
        assert slots.request_now(session, box.account.id, DAILY, now)
        slot_id = session.scalars(select(Slot.id).where(Slot.kind == DAILY)).one()
        assert slots.take_lease(session, box.account.id, "worker-1", DAILY, now, now + jobs.LEASE)
        assert slots.claim(session, slot_id, "worker-1", now)
    with pytest.raises(Killed):  # and died in the middle of the daily run
        daily.run(box.runtime, box.account, should_stop=killed_on_the_fourth_page)
    left = [r.id for r in runs(box) if r.outcome == RunOutcome.RUNNING]
    assert left  # what the kill left: runs running, their scratch rows
    assert count(box, Snapshot) + count(box, Verdict, Verdict.run_id.in_(left)) > 0

    box.clock.advance((jobs.LEASE + slots.ABANDONED_AFTER).total_seconds() + 1)
    with box.runtime.store.session() as session:
        assert slots.recover_abandoned(session, box.clock.now()) == 1
    closed = {r.id: r for r in runs(box) if r.id in left}
    assert {(r.outcome, r.message, r.finished_at) for r in closed.values()} == {
        (RunOutcome.INTERRUPTED, state.ABANDONED_MESSAGE, box.clock.now())
    }
    assert count(box, Snapshot) == 0
    assert count(box, Verdict, Verdict.run_id.in_(left)) == 0  # the judging did not finish
    assert count(box, Verdict) == judged_before  # the previous run's verdicts stand

    again = jobs.execute(box.runtime, slot_id, owner="worker-2")
    assert again.status == SlotStatus.DONE
    assert {s.outcome for s in again.summaries} <= {RunOutcome.OK, RunOutcome.PARTIAL}
    assert count(box, Run, Run.outcome == RunOutcome.RUNNING) == 0


def test_stopped_runs_are_looked_past_by_alerts_and_health(box: Sandbox) -> None:
    """Outages, then stops: the stops neither count as failures nor clear the alert."""
    synced_company(box)
    box.world.handy.injector.script("GET", "^salesOrder$", "error_503", times=1000)
    for _ in range(3):
        box.clock.advance(600)
        assert sales_job(box).summaries[0].outcome == RunOutcome.INTERRUPTED
    assert set(open_alerts(box)) == {"runs:sales"}
    box.clock.advance(600)
    assert sales_job(box, should_stop=lambda: True).status == SlotStatus.QUEUED
    assert set(open_alerts(box)) == {"runs:sales"}
    assert health(box) == "bad"


# --- the command line says what a run that ended early means ------------------------------

runner = CliRunner()


def sync_sales(box: Sandbox, *args: str, **env: str) -> Any:
    return runner.invoke(
        app, ["sync", "sales", "--account", "acme", *args], obj=box.runtime, env=env
    )


def test_the_cli_says_in_one_line_what_a_crashed_run_means(
    box: Sandbox, crashing: Callable[[], None]
) -> None:
    synced_company(box)
    seed_orders(box.world, 2, since=box.clock.now())
    box.clock.advance(60)
    spanish = sync_sales(box)
    assert spanish.exit_code == 4, spanish.output
    assert "KeyError: 'customer'" in spanish.output
    line = spanish.stdout.strip().splitlines()[-1]  # after the summary (the log has the trace)
    assert line.startswith("Falló por un error del programa") and line.endswith("--debug.")
    english = sync_sales(box, "--json", HANDY_ALEGRA_LANG="en")
    assert english.exit_code == 4
    assert json.loads(english.stdout.strip().splitlines()[-1])["outcome"] == "crashed"
    plain = sync_sales(box, HANDY_ALEGRA_LANG="en")
    assert "Crashed: a bug in handy-alegra" in plain.output
    debug = runner.invoke(app, ["--debug", "sync", "sales", "--account", "acme"], obj=box.runtime)
    assert isinstance(debug.exception, KeyError)  # --debug: the traceback
    assert [r.outcome for r in runs(box, "sales")] == [RunOutcome.CRASHED] * 4


def test_ctrl_c_closes_the_run_as_stopped(box: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    created: list[str] = []
    real = catalog.ProductResource.create

    def create(self: catalog.ProductResource, code: str, fields: dict[str, Any]) -> Any:
        if len(created) == 7:
            raise KeyboardInterrupt
        created.append(code)
        return real(self, code, fields)

    monkeypatch.setattr(catalog.ProductResource, "create", create)
    box.runtime.concurrency = 1
    result = runner.invoke(app, ["sync", "catalog", "--account", "acme"], obj=box.runtime)
    assert result.exit_code == 130
    assert result.output.strip() == reasons.outcome_meaning(RunOutcome.STOPPED, "es")
    (run,) = runs(box, "catalog")
    assert run.outcome == RunOutcome.STOPPED and run.finished_at is not None
    assert count(box, Snapshot) == 0


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("es", "Detenida por un apagado (o Ctrl-C) en un punto seguro"),
        ("en", "Stopped for a shutdown (or Ctrl-C) at a safe point"),
    ],
)
def test_the_cli_says_in_one_line_what_a_stopped_run_means(
    box: Sandbox, monkeypatch: pytest.MonkeyPatch, lang: str, expected: str
) -> None:
    monkeypatch.setenv("HANDY_ALEGRA_LANG", lang)
    finished = sync_sales(box)
    assert finished.exit_code == 0
    assert expected not in finished.output  # a run that finished needs no explaining
    summary = RunSummary("sales", "acme", outcome=RunOutcome.STOPPED, message="stopped for a …")
    with console.capture() as captured:
        print_summary(summary, as_json=False)
    assert captured.get().strip().splitlines()[-1].startswith(expected)
