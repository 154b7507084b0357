"""``GET /metrics`` for Prometheus.

Two sources: this process's counters (API calls by API and status, rate-limit waits and 429s
— from the process that makes the calls: ``serve --with-service``, ``run --metrics-port``,
or a worker) and the store, read at scrape time (runs by kind and outcome, records by outcome
and reason, open alerts, the age of the oldest unsent order), which is right whichever process
answers.
"""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from starlette.concurrency import run_in_threadpool

from handy_alegra.domain.statuses import UNSENT
from handy_alegra.runtime import Runtime
from handy_alegra.store.tables import Account, Alert, OrderRecord, Run, Verdict

router = APIRouter()
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class StoreCollector(Collector):
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def collect(self) -> Iterator[Metric]:
        runs = CounterMetricFamily(
            "handy_alegra_runs", "Runs, by kind and outcome", labels=["kind", "outcome"]
        )
        records = GaugeMetricFamily(
            "handy_alegra_records",
            "Records by what became of them, and why",
            labels=["kind", "outcome", "reason"],
        )
        oldest = GaugeMetricFamily(
            "handy_alegra_oldest_unsent_order_age_seconds",
            "Age of the oldest order not yet in Alegra",
            labels=["account"],
        )
        alerts = GaugeMetricFamily("handy_alegra_alerts_open", "Open alerts", labels=["account"])
        now = self.runtime.clock.now()
        with self.runtime.store.session() as session:
            for kind, outcome, count in session.execute(
                select(Run.kind, Run.outcome, func.count())
                .where(Run.dry_run.is_(False))
                .group_by(Run.kind, Run.outcome)
            ):
                runs.add_metric([kind, outcome], count)
            for status, reason, count in session.execute(
                select(OrderRecord.status, OrderRecord.reason, func.count()).group_by(
                    OrderRecord.status, OrderRecord.reason
                )
            ):
                records.add_metric(["order", status, reason or ""], count)
            for kind, synced, reason, count in session.execute(
                select(Verdict.kind, Verdict.sync, Verdict.reason, func.count()).group_by(
                    Verdict.kind, Verdict.sync, Verdict.reason
                )
            ):
                records.add_metric([kind, "synced" if synced else "skipped", reason or ""], count)
            names = dict(session.execute(select(Account.id, Account.name)).all())
            for account_id, first in session.execute(
                select(OrderRecord.account_id, func.min(OrderRecord.ordered_at))
                .where(OrderRecord.status.in_(UNSENT))
                .group_by(OrderRecord.account_id)
            ):
                oldest.add_metric(
                    [names.get(account_id, str(account_id))],
                    max(0.0, (now - first).total_seconds()),
                )
            for account_id, count in session.execute(
                select(Alert.account_id, func.count())
                .where(Alert.cleared_at.is_(None))
                .group_by(Alert.account_id)
            ):
                alerts.add_metric([names.get(account_id, str(account_id))], count)
        yield from (runs, records, oldest, alerts)


class _ThisProcess(Collector):
    """The process's own series (API calls, rate-limit waits, Python's runtime)."""

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()


def registry(runtime: Runtime) -> CollectorRegistry:
    combined = CollectorRegistry(auto_describe=False)
    combined.register(_ThisProcess())
    combined.register(StoreCollector(runtime))
    return combined


def exposition(runtime: Runtime) -> bytes:
    return generate_latest(registry(runtime))


def serve_metrics(runtime: Runtime, port: int, host: str = "127.0.0.1") -> None:
    """/metrics on its own port (for ``run`` and ``worker``, which have no web app)."""
    start_http_server(port, addr=host, registry=registry(runtime))


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    runtime = request.app.state.runtime
    assert isinstance(runtime, Runtime)
    body = await run_in_threadpool(exposition, runtime)
    return Response(body, media_type=CONTENT_TYPE)
