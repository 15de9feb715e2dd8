#!/usr/bin/env python3
"""Bootstrap for a fresh machine with only Python 3.11+: `python3 dev.py run` / `python3 dev.py test`.

Creates `.venv`, installs Marcus (editable, with test tools) when pyproject.toml changed, then runs
`marcus serve`, or the checks and the test suite: ruff, mypy, import-linter, pytest.
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


def _ensure_env() -> None:
    if sys.version_info < (3, 11):
        sys.exit("Marcus needs Python 3.11 or newer")
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    if not (BIN / "python").exists():
        print("Creating .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print("Installing Marcus and its dependencies into .venv ...", flush=True)
    pip = [str(BIN / "python"), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "-e", f"{ROOT}[test]"], check=True, cwd=ROOT)
    STAMP.write_text(wanted)


def _run(*cmd: str) -> None:
    print(f"$ {' '.join(cmd)}", flush=True)
    result = subprocess.run([str(BIN / cmd[0]), *cmd[1:]], cwd=ROOT)
    if result.returncode != 0:
        sys.exit(result.returncode)


def main(argv: list[str]) -> None:
    what = argv[0] if argv else "help"
    if what not in ("run", "test", "lint"):
        sys.exit(__doc__)
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
