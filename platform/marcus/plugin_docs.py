"""The hook reference of docs/plugins.md, generated from ``marcus/hookspecs.py``.

``marcus plugins hooks`` prints it; a test keeps the guide's copy identical, so the reference
can never drift from the code.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from marcus import hookspecs

START, END = "<!-- hooks:start -->", "<!-- hooks:end -->"
GROUPS: dict[str, tuple[str, ...]] = {
    "Registration hooks (pure, called once at startup)": ("register_",),
    "Lifecycle hooks": ("plugin_", "provision_", "purge_"),
    "Command hooks (run by a `marcus` command)": ("demo_",),
}


def hook_names() -> list[str]:
    """Every hook of the plugin API, in the order they are declared."""
    functions = [f for _, f in inspect.getmembers(hookspecs, inspect.isfunction) if _is_spec(f)]
    return [f.__name__ for f in sorted(functions, key=lambda f: f.__code__.co_firstlineno)]


def _is_spec(function: Callable[..., Any]) -> bool:
    return hasattr(function, f"{hookspecs.PROJECT}_spec")


def _section(name: str) -> str:
    function = getattr(hookspecs, name)
    signature = str(inspect.signature(function)).replace("'", "")
    prefix = "async def" if inspect.iscoroutinefunction(function) else "def"
    doc = inspect.getdoc(function) or ""
    return f"### `{name}`\n\n```python\n@marcus.hookimpl\n{prefix} {name}{signature}: ...\n```\n\n{doc}\n"


def hooks_reference() -> str:
    """Markdown: one section per hook, grouped by lifecycle, with signature and documentation."""
    names = hook_names()
    parts = [f"Plugin API version **{hookspecs.PLUGIN_API_VERSION}**. Implement only the hooks you need.\n"]
    for title, prefix in GROUPS.items():
        parts.append(f"## {title}\n")
        parts += [_section(n) for n in names if n.startswith(prefix)]
    return "\n".join(parts).rstrip() + "\n"
