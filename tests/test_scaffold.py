"""`marcus plugins new`: the scaffolded distribution passes its own tests right away."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

from typer.testing import CliRunner

from marcus.cli import app

ROOT = Path(__file__).resolve().parents[1]


def test_scaffolded_plugin_passes_its_own_tests(tmp_path):
    result = CliRunner().invoke(app, ["plugins", "new", "gadgets", "--path", str(tmp_path)])
    assert result.exit_code == 0, result.output
    dist = tmp_path / "marcus-gadgets"
    project = tomllib.loads((dist / "pyproject.toml").read_text())
    assert project["project"]["entry-points"]["marcus.plugins"] == {"gadgets": "marcus_gadgets.plugin"}
    env = {
        **os.environ,
        "PYTHONPATH": str(dist),
        "MARCUS_TEST_DATA_DIR": os.environ.get("MARCUS_TEST_DATA_DIR", str(ROOT / ".marcus" / "test")),
    }
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=dist,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "3 passed" in run.stdout


def test_scaffold_refuses_bad_names_and_existing_folders(tmp_path):
    bad = CliRunner().invoke(app, ["plugins", "new", "Bad-Name", "--path", str(tmp_path)])
    assert bad.exit_code == 1
    assert "not a plugin name" in bad.output
    assert CliRunner().invoke(app, ["plugins", "new", "twice", "--path", str(tmp_path)]).exit_code == 0
    again = CliRunner().invoke(app, ["plugins", "new", "twice", "--path", str(tmp_path)])
    assert again.exit_code == 1
    assert "already exists" in again.output
