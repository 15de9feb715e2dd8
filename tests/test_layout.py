"""Layout tripwires: containers are never packages, `platform` stays the standard library,
the kernel never imports a plugin, and pyproject lists what exists."""

from __future__ import annotations

import ast
import platform
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KERNEL = ROOT / "platform" / "marcus"


def test_platform_is_the_standard_library():
    assert Path(platform.__file__).resolve().is_relative_to(Path(sys.base_prefix).resolve())
    assert callable(platform.python_version)
    import uuid

    assert uuid.uuid4()


def test_containers_are_not_packages():
    containers = [ROOT / "platform", ROOT / "plugins", ROOT / "tests", *(ROOT / "plugins").glob("*/")]
    containers += [p for p in ROOT.glob("plugins/*/tests") if p.is_dir()]
    offenders = [str(c.relative_to(ROOT)) for c in containers if (c / "__init__.py").exists()]
    assert offenders == [], f"remove __init__.py from {offenders}: top-level folders are containers, not packages"


def test_tests_are_not_packages():
    offenders = [str(p.relative_to(ROOT)) for p in ROOT.glob("**/tests/**/__init__.py") if ".venv" not in p.parts]
    assert offenders == []


def test_pytest_uses_importlib_mode():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "--import-mode=importlib" in config["tool"]["pytest"]["ini_options"]["addopts"]


def test_every_plugin_package_is_packaged_and_registered():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = set(config["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"])
    entry_points = config["project"].get("entry-points", {}).get("marcus.plugins", {})
    assert "platform/marcus" in packages
    for package in ROOT.glob("plugins/*/marcus_*"):
        relative = str(package.relative_to(ROOT))
        name = package.name.removeprefix("marcus_")
        assert relative in packages, f"add {relative} to [tool.hatch.build.targets.wheel] packages"
        assert entry_points.get(name) == f"{package.name}.plugin", f"declare {name} under marcus.plugins"
        assert (package / "plugin.py").is_file()


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_kernel_never_imports_a_plugin():
    offenders = {
        str(path.relative_to(ROOT)): sorted(name for name in _imports(path) if name.split(".")[0].startswith("marcus_"))
        for path in KERNEL.rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_kernel_ships_type_information():
    assert (KERNEL / "py.typed").is_file()


def test_plugins_import_the_kernel_only_through_marcus():
    """A plugin uses `marcus` (and `marcus.testing` in its tests), never kernel internals."""
    offenders = {}
    for path in ROOT.glob("plugins/*/**/*.py"):
        in_tests = "tests" in path.relative_to(ROOT).parts
        allowed = {"marcus", "marcus.testing"} if in_tests else {"marcus"}
        bad = sorted(n for n in _imports(path) if n.split(".")[0] == "marcus" and n not in allowed)
        if bad:
            offenders[str(path.relative_to(ROOT))] = bad
    assert offenders == {}, "import these names from `marcus` (add them to its public API if missing)"


def test_plugins_import_only_the_plugins_they_depend_on():
    import importlib

    for package in ROOT.glob("plugins/*/marcus_*"):
        manifest = importlib.import_module(f"{package.name}.plugin").manifest
        allowed = {package.name, *(f"marcus_{d}" for d in manifest.depends_on)}
        used = {
            name.split(".")[0]
            for path in package.rglob("*.py")
            for name in _imports(path)
            if name.split(".")[0].startswith("marcus_")
        }
        assert used <= allowed, f"{package.name} imports {sorted(used - allowed)}: add them to depends_on"
