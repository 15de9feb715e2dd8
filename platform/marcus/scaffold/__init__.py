"""``marcus plugins new NAME``: a new plugin as its own distribution, passing its tests at once.

The files under ``template/`` are copied with ``{{name}}`` (the plugin name) and ``{{Name}}``
(its CamelCase form) replaced; ``package/`` becomes ``marcus_<name>/``.
"""

from __future__ import annotations

from pathlib import Path

from marcus.declarations import PLUGIN_NAME

TEMPLATE = Path(__file__).parent / "template"


class ScaffoldError(ValueError):
    """The plugin cannot be created as asked (bad name, target exists)."""


def camel(name: str) -> str:
    return "".join(part.title() for part in name.split("_"))


def create(name: str, parent: Path) -> Path:
    """Write the plugin distribution ``marcus-<name>`` under ``parent``; returns its folder."""
    if not PLUGIN_NAME.match(name):
        raise ScaffoldError(f"'{name}' is not a plugin name: lowercase letters, digits and _, 2-40 long")
    target = parent / f"marcus-{name.replace('_', '-')}"
    if target.exists():
        raise ScaffoldError(f"{target} already exists")
    for source in sorted(TEMPLATE.rglob("*.tmpl")):
        relative = source.relative_to(TEMPLATE).with_suffix("")
        parts = [f"marcus_{name}" if p == "package" else p.replace("NAME", name) for p in relative.parts]
        destination = target.joinpath(*parts)
        destination.parent.mkdir(parents=True, exist_ok=True)
        text = source.read_text(encoding="utf-8").replace("{{name}}", name).replace("{{Name}}", camel(name))
        destination.write_text(text, encoding="utf-8")
    return target
