"""The house rules as tests: formatted, linted, and type-checked (mypy strict on src)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PATHS = [p for p in ("src", "tests", "bench") if (ROOT / p).exists()]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, check=False)


def test_ruff_lint_and_format() -> None:
    lint = run(sys.executable, "-m", "ruff", "check", *PATHS)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    fmt = run(sys.executable, "-m", "ruff", "format", "--check", *PATHS)
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


def test_mypy_strict() -> None:
    result = run(sys.executable, "-m", "mypy")
    assert result.returncode == 0, result.stdout + result.stderr


def test_import_layers() -> None:
    """The layers of docs/architecture.md (contracts in pyproject.toml, [tool.importlinter])."""
    result = run(str(Path(sys.executable).with_name("lint-imports")))
    assert result.returncode == 0, result.stdout + result.stderr


def test_only_the_composition_root_sits_at_the_package_root() -> None:
    package = ROOT / "src" / "handy_alegra"
    at_root = sorted(p.name for p in package.glob("*.py"))
    assert at_root == ["__init__.py", "__main__.py", "runtime.py"]
    undocumented = [
        p.name
        for p in package.iterdir()
        if p.is_dir() and (p / "__init__.py").exists() and f"  {p.name}/" not in _layout()
    ]
    assert undocumented == [], "folders missing from docs/architecture.md's layout"


def _layout() -> str:
    return (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
