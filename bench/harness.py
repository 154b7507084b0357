"""Shared helpers of the benchmarks: both simulators served on loopback IN this process (so that
every API call and every 429 can be counted), the real CLI run as a subprocess against them
(wall time, peak RSS and CPU of that process), the minimum number of calls the APIs allow
(computed from the seeded world, independently of the product), the rate-limit floor, and the
one-line-per-figure report.

Run a benchmark as ``.venv/bin/python bench/<name>.py``; ``bench/README.md`` explains every
figure.
"""

from __future__ import annotations

import contextlib
import functools
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet

from handy_alegra.domain.clock import ScaledClock
from handy_alegra.simulators import alegra_routes, handy_catalog
from handy_alegra.simulators.asgi import RunningServer, SimulatorApp, serve_in_thread
from handy_alegra.simulators.faults import Faults
from handy_alegra.simulators.ratewindow import FixedWindows
from handy_alegra.simulators.routing import SimRequest, Simulator
from handy_alegra.simulators.seed import World, build_world

LATENCY = 0.08  # seconds added by the simulators to every request (a realistic round trip)
ALEGRA_LIMIT = 150  # requests per 60-second window per user
HANDY_LIMIT = 500  # requests per 60-second window per token
ALEGRA_PAGE = 30  # records per page, the APIs' maxima
HANDY_PAGE = 100
WINDOW = 60.0

TARGET_CALLS = 1.02  # calls ≤ 1.02 × the minimum
TARGET_WALL = 1.15  # wall time ≤ 1.15 × the rate-limit floor
TARGET_RSS_MB = 250.0  # at 100,000 items
TARGET_PLAN_US = 50.0  # pure planning per record

ACCOUNT = "bench"
DEFAULT_CONCURRENCY = 32  # HANDY_ALEGRA_CONCURRENCY given to the CLI (see README)
BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"


# --- figures ---------------------------------------------------------------------------------


class Report:
    """Prints one line per figure (flushed at once) and keeps them."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.missed: list[str] = []

    def line(self, text: str) -> None:
        self.lines.append(text)
        print(text, flush=True)

    def figure(
        self,
        name: str,
        what: str,
        value: str,
        compared: str = "",
        target: str = "",
        ok: bool | None = None,
    ) -> None:
        verdict = "" if ok is None else ("PASS" if ok else "MISS")
        text = f"{name:<28} {what:<13} {value:>10}  {compared:<34} {target:<14} {verdict}"
        self.line(text.rstrip())
        if ok is False:
            self.missed.append(f"{name} {what}")

    def note(self, name: str, text: str) -> None:
        self.line(f"{name:<28} {text}")


def ratio_text(ratio: float) -> str:
    return f"ratio {ratio:.3f}" if math.isfinite(ratio) else "ratio inf"


# --- the machine -----------------------------------------------------------------------------


def machine() -> dict[str, str]:
    model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    ram = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cores": str(os.cpu_count()),
        "cpu": model,
        "ram": ram,
        "python": platform.python_version(),
        "os": platform.platform(terse=True),
        "load": "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg()),
    }


def machine_line() -> str:
    m = machine()
    return (
        f"machine: {m['cores']} cores, {m['cpu']}, {m['ram']} RAM, Python {m['python']}, "
        f"{m['os']}, {m['date']}, load average {m['load']}"
    )


# --- the simulators --------------------------------------------------------------------------


class TimedRequests(list):  # type: ignore[type-arg]
    """``Simulator.requests`` that also notes when each answer was logged (perf_counter)."""

    def __init__(self) -> None:
        super().__init__()
        self.times: list[float] = []
        self._lock = threading.Lock()

    def append(self, item: Any) -> None:
        with self._lock:
            self.times.append(time.perf_counter())
            super().append(item)


class BenchClock(ScaledClock):
    """Real time, shifted by an offset the bench moves forward between jobs (a day passes
    between two daily runs, as in production). The simulators run on it; the CLI gets the
    same clock through ``HANDY_ALEGRA_CLOCK``. Rate-limit windows are unaffected: they are
    divided by the time scale, not by this clock."""

    def __init__(self) -> None:
        anchor = time.time()
        super().__init__(anchor, datetime.fromtimestamp(anchor, UTC), 1.0)

    def jump(self, **delta: float) -> None:
        self.anchor_virtual += timedelta(**delta)

    def env(self) -> str:
        return f"scaled:{self.anchor_real!r}:{self.anchor_virtual.isoformat()}:1"


def set_time_scale(world: World, scale: float) -> None:
    """Change both simulators' rate windows to 60 s / ``scale`` (new, empty windows)."""
    for sim, limit in ((world.alegra, ALEGRA_LIMIT), (world.handy, HANDY_LIMIT)):
        sim.faults.time_scale = scale
        sim.windows = FixedWindows(sim.faults.rate_limit or limit, WINDOW / scale)


def _fast_item_listing(sim: Simulator) -> None:
    """The plain ``GET items?start&limit&order_field=id`` (what a sync asks) served from a list
    sorted once instead of sorting every item on every page: the same answers, but the
    simulator's own CPU (it shares the machine with the CLI) no longer grows with the catalog.
    Anything else goes to the simulator's own handler."""
    plain = {"start", "limit", "order_field", "metadata"}
    cache: dict[str, Any] = {}
    for index, (method, pattern, original) in enumerate(sim.router.routes):
        if method != "GET" or not pattern.match("items"):
            continue

        def handler(req: SimRequest, original: Callable[[SimRequest], Any] = original) -> Any:
            params = req.params
            if set(params) - plain or params.get("order_field") != "id":
                return original(req)
            start = req.int_param("start", 0)
            limit = req.int_param("limit", ALEGRA_PAGE)
            if start < 0 or not 1 <= limit <= ALEGRA_PAGE:
                return original(req)
            items = sim.store.items  # type: ignore[attr-defined]
            key = (id(items), len(items))
            if cache.get("key") != key:
                cache["sorted"] = sorted(items.values(), key=alegra_routes.id_key)
                cache["key"] = key
            chosen = cache["sorted"][start : start + limit]
            if req.bool_param("metadata"):
                return alegra_routes.ok({"metadata": {"total": len(items)}, "data": chosen})
            return alegra_routes.ok(chosen)

        sim.router.routes[index] = (method, pattern, handler)
        return


def speed_up_simulators(world: World) -> None:
    """Bench-only shortcuts with identical answers (see README, "Simulator shortcuts")."""
    _fast_item_listing(world.alegra)
    if not hasattr(handy_catalog.parse_iso, "cache_info"):
        handy_catalog.parse_iso = functools.lru_cache(maxsize=65536)(handy_catalog.parse_iso)  # type: ignore[assignment]


def new_world(
    *,
    items: int,
    contacts: int | None = None,
    customers: int | None = None,
    seed: int = 7,
    scale: float = 1.0,
) -> World:
    world = build_world(
        seed=seed,
        country="MX",
        items=items,
        contacts=contacts,
        customers=customers,
        clock=BenchClock(),
        alegra_faults=Faults(latency=LATENCY, time_scale=scale),
        handy_faults=Faults(latency=LATENCY, time_scale=scale),
    )
    for sim in (world.alegra, world.handy):
        sim.requests = TimedRequests()
    speed_up_simulators(world)
    return world


# --- calls -----------------------------------------------------------------------------------


def path_group(path: str) -> str:
    """``product/ABR-00001`` → ``product/{id}``; ``remissions/12/void`` → ``…/{id}/void``."""
    parts = path.split("/")
    return "/".join([parts[0], *("{id}" if i == 1 else p for i, p in enumerate(parts) if i)])


@dataclass
class Calls:
    """What the simulators answered between two marks."""

    methods: dict[str, Counter[str]]  # api → method → calls
    paths: dict[str, Counter[str]]  # api → "GET items" → calls
    limited: dict[str, int]  # api → 429s
    failed: dict[str, Counter[str]]  # api → "POST product 500" → answers neither 2xx nor 429
    first: dict[str, float | None]  # api → perf_counter of the first answer
    last: dict[str, float | None]
    windows: dict[str, Counter[int]]  # api → server rate window index → calls answered in it
    window: float  # seconds per window while these calls were made

    def total(self, api: str) -> int:
        return sum(self.methods[api].values())

    def text(self, api: str) -> str:
        parts = [f"{k} {v}" for k, v in sorted(self.paths[api].items(), key=lambda kv: -kv[1])]
        return f"{api}: " + (", ".join(parts) or "none")

    def use(self, api: str, limit: int, *, bounding: bool) -> str:
        """How full the rate windows were. A sync at the floor fills every window of the API
        that bounds it (``bounding``) between its first and last one."""
        counts = self.windows[api]
        if not counts:
            return f"{api} windows: none"
        first, last = min(counts), max(counts)
        inner = [counts.get(i, 0) for i in range(first + 1, last)]
        text = f"{api} windows of {self.window:.2f} s: {last - first + 1} touched, limit {limit}"
        if not bounding:
            return text + " (not the API that bounds this job)"
        if inner:
            lost = sum(limit - c for c in inner) / limit
            text += (
                f"; between the first and the last: mean {sum(inner) / len(inner):.0f}, "
                f"min {min(inner)}, unused {lost:.2f} windows ({lost * self.window:.1f} s)"
            )
        return text


Mark = tuple[int, int]
EPOCH_OFFSET = time.time() - time.perf_counter()  # perf_counter → Unix seconds


@dataclass
class Sandbox:
    """A seeded world on loopback, a private store, and the CLI pointed at both."""

    world: World
    server: RunningServer
    home: Path
    env: dict[str, str]
    concurrency: int
    _tmp: tempfile.TemporaryDirectory[str] | None = None

    @classmethod
    def start(cls, world: World, *, concurrency: int = DEFAULT_CONCURRENCY) -> Sandbox:
        server = serve_in_thread(SimulatorApp({"alegra": world.alegra, "handy": world.handy}))
        tmp = tempfile.TemporaryDirectory(prefix="handy-alegra-bench-")
        home = Path(tmp.name)
        c = world.credentials
        env = {
            **os.environ,
            "HANDY_ALEGRA_HOME": str(home),
            "HANDY_ALEGRA_DATABASE_URL": f"sqlite:///{home / 'bench.sqlite3'}",
            "HANDY_ALEGRA_SECRET_KEY": Fernet.generate_key().decode(),
            "HANDY_ALEGRA_ALEGRA_TOKEN": c.alegra_token,
            "HANDY_ALEGRA_HANDY_TOKEN": c.handy_token,
            "HANDY_ALEGRA_CONCURRENCY": str(concurrency),
            "HANDY_ALEGRA_LOG_LEVEL": "WARNING",
        }
        env.pop("HANDY_ALEGRA_CLOCK", None)
        return cls(world, server, home, env, concurrency, tmp)

    @property
    def alegra_url(self) -> str:
        return f"{self.server.base_url}/alegra/api/v1"

    @property
    def handy_url(self) -> str:
        return f"{self.server.base_url}/handy/api/v2"

    def close(self) -> None:
        self.server.stop()
        if self._tmp is not None:
            self._tmp.cleanup()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the CLI -------------------------------------------------------------------------
    def cli(self, *args: str, scale: float = 1.0, timeout: float = 900) -> CliRun:
        env = {**self.env, "HANDY_ALEGRA_RATE_WINDOW_SCALE": str(scale)}
        if isinstance(self.world.clock, BenchClock):
            env["HANDY_ALEGRA_CLOCK"] = self.world.clock.env()
        return run_cli(["-m", "handy_alegra", *args], env, timeout)

    def activate(self, *extra: str, scale: float = 1.0) -> CliRun:
        c = self.world.credentials
        run = self.cli(
            "accounts", "add", ACCOUNT,
            "--country", self.world.country,
            "--alegra-email", c.alegra_email,
            "--price-list", self.world.price_list["name"],
            "--alegra-url", self.alegra_url,
            "--handy-url", self.handy_url,
            "--no-initial-sync",
            *extra,
            scale=scale,
        )  # fmt: skip
        run.check()
        return run

    def sync(self, kind: str, *extra: str, scale: float, timeout: float = 900) -> CliRun:
        return self.cli("sync", kind, "--account", ACCOUNT, "--json", *extra, scale=scale,
                        timeout=timeout)  # fmt: skip

    # --- counting ------------------------------------------------------------------------
    def mark(self) -> Mark:
        return len(self.world.alegra.requests), len(self.world.handy.requests)

    def calls(self, since: Mark, until: Mark | None = None) -> Calls:
        until = until or self.mark()
        methods: dict[str, Counter[str]] = {}
        paths: dict[str, Counter[str]] = {}
        limited: dict[str, int] = {}
        failed: dict[str, Counter[str]] = {}
        first: dict[str, float | None] = {}
        last: dict[str, float | None] = {}
        windows: dict[str, Counter[int]] = {}
        clock = self.world.clock
        shift = (
            clock.anchor_virtual.timestamp() - clock.anchor_real
            if isinstance(clock, BenchClock)
            else 0.0
        )
        span = WINDOW / self.world.alegra.faults.time_scale
        for api, sim, a, b in (
            ("alegra", self.world.alegra, since[0], until[0]),
            ("handy", self.world.handy, since[1], until[1]),
        ):
            log = sim.requests[a:b]
            times = getattr(sim.requests, "times", [])[a:b]
            methods[api] = Counter(m for m, _, _ in log)
            paths[api] = Counter(f"{m} {path_group(p)}" for m, p, _ in log)
            limited[api] = sum(1 for _, _, s in log if s == 429)
            failed[api] = Counter(
                f"{m} {path_group(p)} {s}" for m, p, s in log if s != 429 and not 200 <= s < 300
            )
            first[api] = times[0] if times else None
            last[api] = times[-1] if times else None
            windows[api] = Counter(
                math.floor((t + EPOCH_OFFSET + shift) / span)
                for t, (_, _, status) in zip(times, log, strict=True)
                if status != 429
            )
        return Calls(methods, paths, limited, failed, first, last, windows, span)


@dataclass
class CliRun:
    args: list[str]
    returncode: int
    wall: float  # seconds, perf_counter around the process
    started: float  # perf_counter at launch
    ended: float
    rss_mb: float  # peak resident set of the CLI process (VmHWM)
    cpu: float  # user + system seconds of the CLI process
    stdout: str
    stderr: str

    def check(self) -> CliRun:
        if self.returncode not in (0, 1):
            raise RuntimeError(
                f"{' '.join(self.args)} exited {self.returncode}\n{self.stdout[-3000:]}\n"
                f"{self.stderr[-3000:]}"
            )
        return self

    def summaries(self) -> list[dict[str, Any]]:
        """Every JSON summary the run printed (``sync daily`` prints one per sync)."""
        found = [
            dict(json.loads(line))
            for line in self.stdout.strip().splitlines()
            if line.startswith("{")
        ]
        if not found:
            raise RuntimeError(f"no JSON summary in the output:\n{self.stdout[-2000:]}")
        return found

    def summary(self) -> dict[str, Any]:
        return self.summaries()[-1]


def _peak_rss_kb(pid: int) -> int:
    """``VmHWM`` of a live process (0 once it has exited)."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def run_cli(args: list[str], env: dict[str, str], timeout: float) -> CliRun:
    """Run ``python <args>``; peak RSS is the process's ``VmHWM`` polled every 20 ms until it
    exits (exec gives it a fresh high-water mark; ``ru_maxrss`` from ``wait4`` is NOT used: on
    Linux it also counts the memory of the parent it was forked from, this bench process with
    its simulated world). CPU comes from ``wait4``."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen([sys.executable, *args], env=env, stdout=out, stderr=err)
        # Popen returns once the child has exec'd: every sample below is of the CLI itself.
        peak = [0]
        done = threading.Event()

        def poll() -> None:
            while not done.is_set():
                peak[0] = max(peak[0], _peak_rss_kb(proc.pid))
                done.wait(0.02)

        sampler = threading.Thread(target=poll, daemon=True)
        sampler.start()
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
            done.set()
            sampler.join()
        ended = time.perf_counter()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return CliRun(
            args=args,
            returncode=proc.returncode,
            wall=ended - started,
            started=started,
            ended=ended,
            rss_mb=peak[0] / 1024,
            cpu=usage.ru_utime + usage.ru_stime,
            stdout=out.read().decode(errors="replace"),
            stderr=err.read().decode(errors="replace"),
        )


# --- the minimum -----------------------------------------------------------------------------


def pages(records: int, size: int) -> int:
    """Calls to list ``records`` with pages of ``size``: the first page tells how many there
    are (Alegra ``metadata=true``, Handy ``totalPages``), so no call past the end; an empty
    listing still takes one call."""
    return max(1, math.ceil(records / size))


@dataclass
class Minimum:
    """The calls the APIs require, by what they are for."""

    alegra: dict[str, int] = field(default_factory=dict)
    handy: dict[str, int] = field(default_factory=dict)

    def total(self, api: str) -> int:
        return sum(getattr(self, api).values())

    def __add__(self, other: Minimum) -> Minimum:
        out = Minimum(dict(self.alegra), dict(self.handy))
        for api in ("alegra", "handy"):
            mine = getattr(out, api)
            for k, v in getattr(other, api).items():
                mine[k] = mine.get(k, 0) + v
        return out

    def text(self, api: str) -> str:
        parts = [f"{k} {v}" for k, v in getattr(self, api).items() if v]
        return f"{api}: " + (", ".join(parts) or "none")


def floor_seconds(alegra_calls: int, handy_calls: int, scale: float) -> float:
    """The rate-limit floor: the larger of Alegra calls ÷ 150/min and Handy calls ÷ 500/min,
    with minutes shrunk by the time scale."""
    minutes = max(alegra_calls / ALEGRA_LIMIT, handy_calls / HANDY_LIMIT)
    return minutes * WINDOW / scale


def window_floor_seconds(alegra_calls: int, handy_calls: int, scale: float) -> float:
    """What fixed windows allow a job that starts as a window opens: whole windows for all but
    the last burst, ``⌈calls / limit⌉ − 1`` windows of the API that needs the most."""
    windows = max(
        math.ceil(alegra_calls / ALEGRA_LIMIT) - 1, math.ceil(handy_calls / HANDY_LIMIT) - 1, 0
    )
    return windows * WINDOW / scale


def align_to_window(world: World, scale: float) -> None:
    """Sleep until the simulators' next rate window opens (windows are aligned on the epoch of
    the world's clock), so that where a job starts within a window does not change its time."""
    clock = world.clock
    now = clock.now().timestamp()
    span = WINDOW / scale
    time.sleep(math.ceil(now / span) * span - now)


def scale_for(minimum: Minimum, floor_target: float) -> float:
    """The time scale at which ``minimum`` has a floor of about ``floor_target`` seconds."""
    at_one = floor_seconds(minimum.total("alegra"), minimum.total("handy"), 1.0)
    return max(1.0, round(at_one / floor_target, 1))


# --- what must change: independent oracles of the catalog and customer rules ------------------


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _reference(item: dict[str, Any]) -> str:
    ref = item.get("reference")
    if isinstance(ref, dict):
        ref = ref.get("reference")
    return ref.strip() if isinstance(ref, str) else ""


def wanted_products(world: World) -> dict[str, dict[str, Any]]:
    """Handy product code → the fields the catalog rules want (docs/mapping-rules.md), from the
    Alegra simulator's records; references named by two qualifying items are left out."""
    chosen = str(world.price_list["id"])
    by_code: dict[str, list[dict[str, Any]]] = {}
    for item in world.alegra.store.items.values():  # read-only: no copy of 100k records
        ref = _reference(item)
        if not ref or "/" in ref or item.get("status") != "active" or "inventory" not in item:
            continue
        entries = [p for p in item.get("price") or [] if str(p.get("idPriceList")) == chosen]
        price = _decimal(entries[0]["price"]) if entries else None
        if price is None or price < 0:
            continue
        ivas = [
            _decimal(t["percentage"])
            for t in item.get("tax") or []
            if t.get("name") == "IVA" and t.get("status") == "active"
        ]
        if len(ivas) > 1:
            continue
        if ivas and ivas[0] is not None:
            price = (price * (100 + ivas[0]) / 100).quantize(Decimal("0.01"), ROUND_HALF_UP)
        inventory = item["inventory"]
        warehouses = inventory.get("warehouses") or []
        quantities = (
            [w.get("availableQuantity") for w in warehouses]
            if warehouses
            else [inventory.get("availableQuantity")]
        )
        stock = sum((_decimal(q) or Decimal(0) for q in quantities), Decimal(0))
        category = (item.get("itemCategory") or {}).get("name") or ""
        by_code.setdefault(ref, []).append(
            {
                "description": (item.get("name") or "").strip() or ref,
                "price": price,
                "quantity": max(stock, Decimal(0)),
                "family": category.strip() or "General",
                "externalId": str(item["id"]),
            }
        )
    return {code: found[0] for code, found in by_code.items() if len(found) == 1}


def wanted_customers(world: World) -> dict[str, dict[str, Any]]:
    """Handy customer code → fields the customer rules want, for active client contacts. Only
    the fields compared here: name, RFC, e-mail, phone and zone (address lines are not)."""
    sellers = {s["id"]: s["name"] for s in world.alegra.store.sellers.values()}
    wanted = {}
    for contact in world.alegra.store.contacts.values():
        types = contact.get("type")
        types = types if isinstance(types, list) else [types]
        name = (contact.get("name") or "").strip()
        if "client" not in types or contact.get("status") != "active" or not name:
            continue
        seller = contact.get("seller")
        wanted[f"ALG-{contact['id']}"] = {
            "description": name,
            "rfc": contact.get("identification"),
            "email": contact.get("email"),
            "phoneNumber": contact.get("phonePrimary") or contact.get("mobile"),
            "zone": (sellers.get(seller["id"]) or seller.get("name")) if seller else "Sin vendedor",
        }
    return wanted


def _same(wanted: Any, current: Any) -> bool:
    if wanted in (None, "") and current in (None, ""):
        return True
    if isinstance(wanted, Decimal):
        return _decimal(current) == wanted
    return bool(wanted == current)


@dataclass
class Changes:
    create: int = 0
    update: int = 0  # including enable
    disable: int = 0
    groups: int = 0  # families or zones to create

    @property
    def writes(self) -> int:
        return self.create + self.update + self.disable + self.groups


def product_changes(world: World, wanted: dict[str, dict[str, Any]]) -> Changes:
    """Writes needed to bring Handy's products to ``wanted`` (read from the simulator)."""
    changes = Changes()
    products = world.handy.state.products
    for code, want in wanted.items():
        have = products.get(code)
        if have is None:
            changes.create += 1
            continue
        current = {
            "description": have.get("description"),
            "price": have.get("price"),
            "quantity": have.get("quantity"),
            "family": (have.get("family") or {}).get("description"),
            "externalId": have.get("externalId"),
        }
        if have.get("enabled") is not True or any(
            not _same(v, current[k]) for k, v in want.items()
        ):
            changes.update += 1
    for code, have in products.items():
        if code not in wanted and have.get("externalId") and have.get("enabled"):
            changes.disable += 1  # ours (it carries an Alegra id) and no longer qualifying
    families = {f["description"] for f in world.handy.state.families.values()}
    changes.groups = len({w["family"] for w in wanted.values()} - families)
    return changes


def customer_changes(world: World, wanted: dict[str, dict[str, Any]]) -> Changes:
    changes = Changes()
    customers = world.handy.state.customers
    for code, want in wanted.items():
        have = customers.get(code)
        if have is None:
            changes.create += 1
            continue
        current = {**have, "zone": (have.get("zone") or {}).get("description")}
        if have.get("enabled") is not True or any(
            not _same(v, current.get(k)) for k, v in want.items()
        ):
            changes.update += 1
    for code, have in customers.items():
        if code.startswith("ALG-") and code not in wanted and have.get("enabled"):
            changes.disable += 1
    zones = {z["description"] for z in world.handy.state.zones.values()}
    changes.groups = len({w["zone"] for w in wanted.values()} - zones)
    return changes


def _listing_pages(records: Iterable[dict[str, Any]], since: datetime | None) -> int:
    """Both Handy listings (enabled, disabled) of ``records``, whole or changed since."""
    enabled = disabled = 0
    for record in records:
        if since is not None:
            stamp = handy_catalog.parse_iso(record["lastUpdated"])
            if stamp < since.replace(microsecond=0):
                continue
        if record.get("enabled"):
            enabled += 1
        else:
            disabled += 1
    return pages(enabled, HANDY_PAGE) + pages(disabled, HANDY_PAGE)


def _named_pages(table: dict[int, dict[str, Any]]) -> int:
    return _listing_pages(table.values(), None)


def catalog_minimum(world: World, since: datetime | None) -> tuple[Minimum, Changes]:
    """Call it just before the run. ``since``: the previous catalog run's start (None on the
    first run: all of Handy is read once)."""
    changes = product_changes(world, wanted_products(world))
    state = world.handy.state
    minimum = Minimum(
        alegra={"GET items pages": pages(len(world.alegra.store.items), ALEGRA_PAGE)},
        handy={
            "GET product pages": _listing_pages(state.products.values(), since),
            "GET family pages": _named_pages(state.families),
            "POST family": changes.groups,
            "POST product": changes.create,
            "PUT product": changes.update + changes.disable,
        },
    )
    return minimum, changes


def customers_minimum(world: World, since: datetime | None) -> tuple[Minimum, Changes]:
    changes = customer_changes(world, wanted_customers(world))
    state = world.handy.state
    clients = sum(
        1
        for c in world.alegra.store.contacts.values()
        if "client" in (c["type"] if isinstance(c["type"], list) else [c["type"]])
    )
    minimum = Minimum(
        alegra={"GET sellers": 1, "GET contacts pages": pages(clients, ALEGRA_PAGE)},
        handy={
            "GET customer pages": _listing_pages(state.customers.values(), since),
            "GET zone pages": _named_pages(state.zones),
            "GET customerCategory pages": _named_pages(state.categories),
            "POST zone": changes.groups,
            "POST customer": changes.create,
            "PUT customer": changes.update + changes.disable,
        },
    )
    return minimum, changes


# --- measuring one job (one or more CLI runs) ------------------------------------------------


@dataclass
class Measured:
    name: str
    scale: float
    minimum: Minimum
    calls: Calls
    runs: list[CliRun]
    sim_cpu: float  # CPU seconds of this (the simulators') process meanwhile
    load: str
    concurrency: int

    @property
    def wall(self) -> float:
        return sum(r.wall for r in self.runs)


@contextlib.contextmanager
def measuring(sandbox: Sandbox) -> Iterator[dict[str, Any]]:
    """``with measuring(sb) as m: runs...`` → m["calls"], m["sim_cpu"], m["load"]."""
    box: dict[str, Any] = {}
    mark = sandbox.mark()
    cpu = time.process_time()
    yield box
    box["sim_cpu"] = time.process_time() - cpu
    box["calls"] = sandbox.calls(mark)
    box["load"] = f"{os.getloadavg()[0]:.2f}"


def report_job(
    report: Report, m: Measured, *, per_api_minimum: bool = True, verdicts: bool = True
) -> None:
    """The figures of one job: calls vs minimum per API, wall vs floor, 429s, peak RSS, and
    where the time went. ``verdicts=False`` for one step of a job: the steps of a job share
    rate windows, so only the whole job's figures are held to the targets."""
    name = m.name

    def judged(ok: bool) -> bool | None:
        return ok if verdicts else None

    for api in ("alegra", "handy"):
        actual, least = m.calls.total(api), m.minimum.total(api)
        ratio = actual / least if least else (1.0 if actual == 0 else math.inf)
        report.figure(
            name,
            f"{api}_calls",
            str(actual),
            f"min {least:<6} {ratio_text(ratio)}",
            f"target ≤{TARGET_CALLS}" if verdicts else "(step)",
            judged(ratio <= TARGET_CALLS),
        )
    floor = floor_seconds(m.minimum.total("alegra"), m.minimum.total("handy"), m.scale)
    floor_actual = floor_seconds(m.calls.total("alegra"), m.calls.total("handy"), m.scale)
    windowed = window_floor_seconds(m.minimum.total("alegra"), m.minimum.total("handy"), m.scale)
    ratio = m.wall / floor if floor else math.inf
    report.figure(
        name,
        "wall",
        f"{m.wall:.1f} s",
        f"floor {floor:.1f} s {ratio_text(ratio)}",
        f"target ≤{TARGET_WALL}" if verdicts else "(step)",
        judged(ratio <= TARGET_WALL),
    )
    report.note(
        name,
        f"  floor of the calls actually made {floor_actual:.1f} s "
        f"(wall/that {m.wall / floor_actual if floor_actual else math.inf:.3f}); "
        f"whole-window floor {windowed:.1f} s; "
        f"time scale S={m.scale:g} (windows of {WINDOW / m.scale:.2f} s); "
        f"HANDY_ALEGRA_CONCURRENCY={m.concurrency}",
    )
    limited = m.calls.limited["alegra"] + m.calls.limited["handy"]
    report.figure(
        name,
        "429s",
        str(limited),
        f"alegra {m.calls.limited['alegra']}, handy {m.calls.limited['handy']}",
        "target 0" if verdicts else "(step)",
        judged(limited == 0),
    )
    for api in ("alegra", "handy"):
        if m.calls.failed[api]:
            answers = ", ".join(f"{k} ×{v}" for k, v in m.calls.failed[api].most_common())
            report.note(name, f"  {api} answers that were not a success (nor 429): {answers}")
    for run in m.runs:
        for line in [x for x in run.stderr.splitlines() if "warning" in x or "error" in x][:5]:
            report.note(name, f"  the product logged: {line[:400]}")
    rss = max(r.rss_mb for r in m.runs)
    report.figure(name, "peak_rss", f"{rss:.0f} MB", "of the CLI process", "(info)")
    report.note(name, "  " + timeline(m))
    bound = (
        "alegra"
        if m.minimum.total("alegra") / ALEGRA_LIMIT >= m.minimum.total("handy") / HANDY_LIMIT
        else "handy"
    )
    for api, limit in (("alegra", ALEGRA_LIMIT), ("handy", HANDY_LIMIT)):
        report.note(name, "  " + m.calls.use(api, limit, bounding=api == bound))
    for api in ("alegra", "handy"):
        report.note(name, f"  calls {m.calls.text(api)}")
        if per_api_minimum:
            report.note(name, f"  min   {m.minimum.text(api)}")


def timeline(m: Measured) -> str:
    """Where the wall time went: process start to first answer, each API's span, the tail."""
    start, end = m.runs[0].started, m.runs[-1].ended
    spans = []
    for api in ("alegra", "handy"):
        first, last = m.calls.first[api], m.calls.last[api]
        if first is not None and last is not None:
            spans.append(f"{api} {first - start:.1f}–{last - start:.1f} s")
    answers = [t for t in (*m.calls.first.values(), *m.calls.last.values()) if t is not None]
    startup = (min(answers) - start) if answers else 0.0
    tail = (end - max(answers)) if answers else 0.0
    cpu = sum(r.cpu for r in m.runs)
    return (
        f"time: {len(m.runs)} process(es); before the first answer {startup:.1f} s; "
        + "; ".join(spans)
        + f"; after the last answer {tail:.1f} s; CLI CPU {cpu:.1f} s; "
        f"simulator CPU {m.sim_cpu:.1f} s; load {m.load}"
    )


def startup_cost(sandbox: Sandbox) -> float:
    """Wall seconds of a CLI command that makes no API call (interpreter, imports, store)."""
    return sandbox.cli("accounts", "list", "--json").check().wall


def write_results(lines: list[str], path: Path | None = None) -> Path:
    path = path or RESULTS_DIR / "latest.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path


def args_value(argv: list[str], flag: str, default: float) -> float:
    """``--flag VALUE`` from argv (the scripts take a few numeric options)."""
    for i, arg in enumerate(argv):
        if arg == flag and i + 1 < len(argv):
            return float(argv[i + 1])
        if arg.startswith(flag + "="):
            return float(arg.split("=", 1)[1])
    return default


@dataclass
class Step:
    """One CLI run of a job; ``minimum`` is called just before the run (the world as it is)."""

    label: str
    args: list[str]
    minimum: Callable[[], Minimum]
    allowed_exit: tuple[int, ...] = (0, 1)


def run_job(
    report: Report,
    sandbox: Sandbox,
    name: str,
    steps: list[Step],
    scale: float,
    *,
    timeout: float = 900,
) -> tuple[Measured, list[Measured], list[CliRun]]:
    """Run the steps one after another at time scale ``scale``; report each step and, when
    there are several, the whole job (minimum and calls summed, walls added, floor of the sum)."""
    set_time_scale(sandbox.world, scale)  # fresh windows: nothing before this job counts
    align_to_window(sandbox.world, scale)
    parts: list[Measured] = []
    runs: list[CliRun] = []
    whole_mark = sandbox.mark()
    whole_cpu = time.process_time()
    total = Minimum()
    for step in steps:
        minimum = step.minimum()
        total = total + minimum
        with measuring(sandbox) as box:
            run = sandbox.cli(*step.args, scale=scale, timeout=timeout)
        if run.returncode not in step.allowed_exit:
            report.note(f"{name}.{step.label}", f"FAILED: exit {run.returncode}")
            report.note(f"{name}.{step.label}", run.stdout[-1500:] + run.stderr[-1500:])
            raise SystemExit(2)
        runs.append(run)
        part = Measured(f"{name}.{step.label}", scale, minimum, box["calls"], [run],
                        box["sim_cpu"], box["load"], sandbox.concurrency)  # fmt: skip
        parts.append(part)
        report_job(report, part, verdicts=len(steps) == 1)
        with contextlib.suppress(RuntimeError):
            for said in run.summaries():
                report.note(part.name, "  product says: " + summary_text(said))
    whole = Measured(name, scale, total, sandbox.calls(whole_mark), runs,
                     time.process_time() - whole_cpu, f"{os.getloadavg()[0]:.2f}",
                     sandbox.concurrency)  # fmt: skip
    if len(steps) > 1:
        report_job(report, whole, per_api_minimum=False)
    return whole, parts, runs


def summary_text(summary: dict[str, Any]) -> str:
    keep = {k: v for k, v in summary.items() if isinstance(v, int) and k not in ("run_id",) and v}
    skipped = summary.get("skipped") or {}
    failed = summary.get("failed") or {}
    text = ", ".join(f"{k} {v}" for k, v in keep.items())
    if skipped:
        text += f"; skipped {sum(skipped.values())}"
    if failed:
        text += f"; failed {failed}"
    return f"outcome {summary.get('outcome')}; {text}"
