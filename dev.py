#!/usr/bin/env python3
"""Bootstrap for a fresh machine with only Python 3.11+: `python3 dev.py run` / `python3 dev.py test`.

Creates `.venv`, installs Marcus (editable, with test tools, at the versions in constraints.txt) when
pyproject.toml or constraints.txt changed, then runs `marcus serve`, or the checks and the test
suite: ruff, mypy, import-linter, pytest. `python3 dev.py lint` runs the checks only;
`python3 dev.py lock` re-resolves the newest versions pyproject.toml allows into constraints.txt.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".marcus-installed"


CONSTRAINTS = ROOT / "constraints.txt"


def _ensure_env(*, pinned: bool = True) -> None:
    if sys.version_info < (3, 11):
        sys.exit("Marcus needs Python 3.11 or newer")
    inputs = [ROOT / "pyproject.toml", *([CONSTRAINTS] if pinned else [])]
    wanted = hashlib.sha256(b"".join(path.read_bytes() for path in inputs)).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    if not (BIN / "python").exists():
        print("Creating .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print("Installing Marcus and its dependencies into .venv ...", flush=True)
    pip = [str(BIN / "python"), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    pins = ["-c", str(CONSTRAINTS)] if pinned else ["--upgrade", "--upgrade-strategy", "eager"]
    subprocess.run([*pip, *pins, "-e", f"{ROOT}[test]"], check=True, cwd=ROOT)
    STAMP.write_text(wanted)


def _lock() -> None:
    """Install the newest versions pyproject.toml allows, then write them to constraints.txt."""
    STAMP.unlink(missing_ok=True)
    _ensure_env(pinned=False)
    STAMP.unlink(missing_ok=True)  # the venv no longer matches the old pins
    frozen = subprocess.run(
        [str(BIN / "python"), "-m", "pip", "freeze", "--exclude-editable", "--disable-pip-version-check"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    pins = sorted((line for line in frozen.splitlines() if line and not line.startswith("#")), key=str.lower)
    header = CONSTRAINTS.read_text().splitlines()[:2]
    CONSTRAINTS.write_text("\n".join([*header, *pins]) + "\n")
    print(f"wrote {len(pins)} pins to {CONSTRAINTS.name}; now run: python3 dev.py test", flush=True)


def _run(*cmd: str) -> None:
    print(f"$ {' '.join(cmd)}", flush=True)
    result = subprocess.run([str(BIN / cmd[0]), *cmd[1:]], cwd=ROOT)
    if result.returncode != 0:
        sys.exit(result.returncode)


def main(argv: list[str]) -> None:
    what = argv[0] if argv else "help"
    if what not in ("run", "test", "lint", "lock"):
        sys.exit(__doc__)
    if what == "lock":
        _lock()
        return
    _ensure_env()
    if what == "run":
        os.execv(BIN / "marcus", [str(BIN / "marcus"), "serve", *argv[1:]])
    _run("ruff", "check", ".")
    _run("ruff", "format", "--check", ".")
    _run("mypy")
    _run("lint-imports")
    if what == "test":
        _run("pytest", *argv[1:])


if __name__ == "__main__":
    main(sys.argv[1:])
