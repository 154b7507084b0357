"""Run every benchmark, one after another (never two at once: they share 2 cores), print all
their lines and write them to ``bench/results/latest.txt`` (git-ignored).

    .venv/bin/python bench/run_all.py [--only catalog,sales] [options passed to each script]
    .venv/bin/python bench/run_all.py --only fleet [--accounts 200]   # the fleet bench

The single-company benches run by default (~9 minutes); the fleet bench (``fleet.py``: up to
an hour and more at 1,000 accounts) runs when ``--only`` names it.
"""

from __future__ import annotations

import subprocess
import sys
import time

import harness as h

SCRIPTS = ("catalog", "catalog_100k", "sales", "fleet")
DEFAULT = ("catalog", "catalog_100k", "sales")


def main(argv: list[str]) -> int:
    only = next((a.split("=", 1)[1] for a in argv if a.startswith("--only=")), None)
    if "--only" in argv:
        only = argv[argv.index("--only") + 1]
    passed = [a for a in argv if not a.startswith("--only") and a != only]
    chosen = [s for s in SCRIPTS if (s in DEFAULT if only is None else s in only.split(","))]
    lines = [h.machine_line()]
    print(lines[0], flush=True)
    failed = []
    for script in chosen:
        started = time.perf_counter()
        header = f"== {script}.py"
        print(header, flush=True)
        lines.append(header)
        proc = subprocess.Popen(
            [sys.executable, str(h.BENCH_DIR / f"{script}.py"), *passed],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=h.BENCH_DIR,
        )
        assert proc.stdout is not None
        for line in proc.stdout:
            line = line.rstrip("\n")
            if line.startswith("machine:"):
                continue  # printed once, at the top
            print(line, flush=True)
            lines.append(line)
        if proc.wait() != 0:
            failed.append(script)
            lines.append(f"!! {script}.py exited {proc.returncode}")
        lines.append(f"== {script}.py took {time.perf_counter() - started:.0f} s")
        print(lines[-1], flush=True)
    missed = [line for line in lines if line.rstrip().endswith("MISS")]
    lines.append(
        f"== {sum(line.rstrip().endswith('PASS') for line in lines)} PASS, {len(missed)} MISS"
        + (f", failed: {', '.join(failed)}" if failed else "")
    )
    print(lines[-1], flush=True)
    path = h.write_results(lines)
    print(f"written to {path}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
