"""Plugin loading: entry points of group ``marcus.plugins``, manifests, dependency order,
hook validation, and the startup checks that refuse a broken plugin with a message naming it
and the fix.

``load_plugins`` returns a ``PluginRegistry`` holding every declaration the registration hooks
returned, already validated. Installed is not enabled: tenants enable plugins per workspace.
"""

from __future__ import annotations

import difflib
import importlib.metadata
import logging
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pluggy
from fastapi import APIRouter
from packaging.specifiers import InvalidSpecifier, SpecifierSet

from marcus import hookspecs
from marcus.db.base import Base
from marcus.declarations import (
    PERMISSION_NAME,
    PLUGIN_NAME,
    ROLE_TEMPLATES,
    DashboardWidget,
    EventHandler,
    Job,
    MigrationSource,
    PageSet,
    Permission,
    PluginManifest,
)
from marcus.events.model import EVENT_NAME, Event

log = logging.getLogger("marcus.plugins")
ENTRY_POINT_GROUP = "marcus.plugins"
HOOK_NAMES = sorted(n for n in dir(hookspecs) if hasattr(getattr(hookspecs, n), f"{hookspecs.PROJECT}_spec"))


class PluginError(RuntimeError):
    """A plugin cannot be loaded; the message names the plugin and how to fix it."""

    def __init__(self, plugin: str, problem: str, fix: str) -> None:
        super().__init__(f"plugin '{plugin}': {problem}. Fix: {fix}")
        self.plugin = plugin


@dataclass(frozen=True)
class LoadedPlugin:
    manifest: PluginManifest
    module: object

    @property
    def name(self) -> str:
        return self.manifest.name


@dataclass
class PluginRegistry:
    """Loaded plugins in dependency order and their validated declarations."""

    pm: pluggy.PluginManager
    plugins: dict[str, LoadedPlugin]
    routers: list[tuple[str, APIRouter]] = field(default_factory=list)
    root_routers: list[tuple[str, APIRouter]] = field(default_factory=list)
    models: dict[str, list[type[Base]]] = field(default_factory=dict)
    migrations: list[MigrationSource] = field(default_factory=list)
    permissions: dict[str, Permission] = field(default_factory=dict)
    namespaces: list[tuple[str, Any]] = field(default_factory=list)
    event_types: dict[str, type[Event]] = field(default_factory=dict)
    event_handlers: list[tuple[str, EventHandler]] = field(default_factory=list)
    widgets: dict[str, DashboardWidget] = field(default_factory=dict)
    jobs: dict[str, Job] = field(default_factory=dict)
    pages: list[tuple[str, PageSet]] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        return list(self.plugins)

    def call(self, hook: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """Call ``hook`` on each plugin in dependency order; (plugin, result) for non-None results."""
        impls = {impl.plugin_name: impl for impl in getattr(self.pm.hook, hook).get_hookimpls()}
        results = []
        for name in self.plugins:
            if impl := impls.get(name):
                result = impl.function(**{arg: kwargs[arg] for arg in impl.argnames})
                if result is not None:
                    results.append((name, result))
        return results


def discover() -> list[tuple[str, ModuleType]]:
    """Installed plugins: (entry point name, loaded module) for the ``marcus.plugins`` group."""
    found = []
    for ep in sorted(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        try:
            module = ep.load()
        except Exception as exc:
            raise PluginError(
                ep.name,
                f"importing {ep.value} failed ({exc!r})",
                "fix the import error or uninstall the plugin",
            ) from exc
        found.append((ep.name, module))
    return found


def load_plugins(objects: Sequence[object] | None = None) -> PluginRegistry:
    """Load ``objects`` (modules with a ``manifest``), or every installed plugin when None."""
    candidates = discover() if objects is None else [(_manifest_of(o, "?").name, o) for o in objects]
    loaded = [_checked(name, obj) for name, obj in candidates]
    for plugin in loaded:
        _check_kernel_version(plugin)
    ordered = _dependency_order(loaded)
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    for plugin in ordered:
        _register(pm, plugin)
    _check_pending(pm, ordered)
    _warn_deprecated(ordered)
    registry = PluginRegistry(pm=pm, plugins={p.name: p for p in ordered})
    _collect(registry)
    return registry


def _manifest_of(obj: object, entry_name: str) -> PluginManifest:
    manifest = getattr(obj, "manifest", None)
    if not isinstance(manifest, PluginManifest):
        raise PluginError(
            entry_name,
            "its plugin module has no module-level `manifest`",
            "add `manifest = marcus.PluginManifest(name=..., version=...)` to its plugin.py",
        )
    return manifest


def _checked(entry_name: str, obj: object) -> LoadedPlugin:
    manifest = _manifest_of(obj, entry_name)
    if not PLUGIN_NAME.match(manifest.name):
        raise PluginError(
            manifest.name,
            "the name is not a lowercase identifier of 2-40 characters",
            "rename it, e.g. 'loyalty'",
        )
    if entry_name not in ("?", manifest.name):
        raise PluginError(
            entry_name,
            f"the entry point is named '{entry_name}' but the manifest says '{manifest.name}'",
            'use the same name in pyproject.toml [project.entry-points."marcus.plugins"] and the manifest',
        )
    return LoadedPlugin(manifest=manifest, module=obj)


class PluginDeprecationWarning(DeprecationWarning):
    """A plugin implements a hook that a coming major version of the kernel removes."""


def _check_kernel_version(plugin: LoadedPlugin) -> None:
    wanted = plugin.manifest.requires_kernel
    if wanted is None:
        return
    try:
        spec = SpecifierSet(wanted)
    except InvalidSpecifier as exc:
        raise PluginError(
            plugin.name, f"requires_kernel {wanted!r} is not a version specifier", "write e.g. '>=1.0,<2'"
        ) from exc
    if hookspecs.PLUGIN_API_VERSION not in spec:
        raise PluginError(
            plugin.name,
            f"it requires kernel plugin API {wanted} but this Marcus provides {hookspecs.PLUGIN_API_VERSION}",
            "install a version of the plugin made for this Marcus, or upgrade Marcus",
        )


def _warn_deprecated(plugins: list[LoadedPlugin]) -> None:
    for plugin in plugins:
        for hook, deprecation in hookspecs.DEPRECATED_HOOKS.items():
            if pluggy_impl(plugin.module, hook):
                message = (
                    f"plugin '{plugin.name}' implements '{hook}', deprecated since plugin API {deprecation.since} "
                    f"and removed in {deprecation.removal}: use {deprecation.use}"
                )
                log.warning(message)
                warnings.warn(message, PluginDeprecationWarning, stacklevel=2)


def pluggy_impl(module: object, hook: str) -> bool:
    """Whether ``module`` marks ``hook`` as a Marcus hook implementation."""
    function = getattr(module, hook, None)
    return function is not None and hasattr(function, f"{hookspecs.PROJECT}_impl")


def _dependency_order(plugins: Iterable[LoadedPlugin]) -> list[LoadedPlugin]:
    by_name: dict[str, LoadedPlugin] = {}
    for plugin in plugins:
        if plugin.name in by_name:
            raise PluginError(plugin.name, "two installed distributions provide it", "uninstall one of them")
        by_name[plugin.name] = plugin
    ordered: list[LoadedPlugin] = []
    visiting: list[str] = []

    def visit(name: str) -> None:
        if any(p.name == name for p in ordered):
            return
        if name in visiting:
            cycle = " -> ".join([*visiting[visiting.index(name) :], name])
            raise PluginError(name, f"its dependencies form a cycle ({cycle})", "remove one of the depends_on entries")
        visiting.append(name)
        for dep in by_name[name].manifest.depends_on:
            if dep not in by_name:
                raise PluginError(
                    name,
                    f"it depends on '{dep}', which is not installed",
                    f"install the '{dep}' plugin or drop it from depends_on",
                )
            visit(dep)
        visiting.pop()
        ordered.append(by_name[name])

    for name in sorted(by_name):
        visit(name)
    return ordered


def _register(pm: pluggy.PluginManager, plugin: LoadedPlugin) -> None:
    try:
        pm.register(plugin.module, name=plugin.name)
    except pluggy.PluginValidationError as exc:
        raise PluginError(
            plugin.name, str(exc), "match the hook's documented arguments in marcus/hookspecs.py"
        ) from exc


def _check_pending(pm: pluggy.PluginManager, plugins: list[LoadedPlugin]) -> None:
    for plugin in plugins:
        for attr in dir(plugin.module):
            function = getattr(plugin.module, attr)
            if (
                callable(function)
                and pm.parse_hookimpl_opts(plugin.module, attr) is not None
                and attr not in HOOK_NAMES
            ):
                hint = difflib.get_close_matches(attr, HOOK_NAMES, n=1)
                fix = f"rename it to '{hint[0]}'" if hint else f"use one of: {', '.join(HOOK_NAMES)}"
                raise PluginError(plugin.name, f"'{attr}' is marked @hookimpl but no such hook exists", fix)
    pm.check_pending()


def _collect(registry: PluginRegistry) -> None:
    for step in _COLLECTORS:
        step(registry)


def _listed(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def _claim(seen: dict[str, Any], name: str, plugin: str, what: str, owner: Callable[[Any], str]) -> None:
    if not name.startswith(plugin + ".") and not name.startswith(plugin + ":"):
        raise PluginError(plugin, f"{what} '{name}' is not namespaced", f"name it '{plugin}.<...>'")
    if name in seen:
        raise PluginError(
            plugin,
            f"{what} '{name}' is already declared by plugin '{owner(seen[name])}'",
            f"rename it, e.g. '{plugin}.{name.split('.', 1)[-1]}'",
        )


def _collect_routers(r: PluginRegistry) -> None:
    for plugin, result in r.call("register_routers"):
        for router in _listed(result):
            if not isinstance(router, APIRouter):
                raise PluginError(
                    plugin, f"register_routers returned {type(router).__name__}", "return a fastapi.APIRouter"
                )
            r.routers.append((plugin, router))


ROOT_RESERVED = ("/api", "/ws", "/static", "/socket.io", "/healthz", "/readyz", "/metrics", "/docs", "/openapi.json")


def _collect_root_routers(r: PluginRegistry) -> None:
    for plugin, result in r.call("register_root_routers"):
        for router in _listed(result):
            if not isinstance(router, APIRouter):
                raise PluginError(
                    plugin, f"register_root_routers returned {type(router).__name__}", "return a fastapi.APIRouter"
                )
            for route in router.routes:
                path = getattr(route, "path", "")  # includes the router's prefix
                if any(path == p or path.startswith(p + "/") for p in ROOT_RESERVED):
                    raise PluginError(plugin, f"root route {path!r} would take a kernel path", "serve it elsewhere")
            r.root_routers.append((plugin, router))


def _collect_models(r: PluginRegistry) -> None:
    for plugin, result in r.call("register_models"):
        for model in _listed(result):
            if not (isinstance(model, type) and issubclass(model, Base)):
                raise PluginError(plugin, f"register_models returned {model!r}", "return subclasses of marcus.Base")
            columns = getattr(model, "__table__").columns  # noqa: B009 - mapped class attribute
            if "organization_id" in columns and not getattr(model, "__tenant_scoped__", False):
                raise PluginError(
                    plugin,
                    f"model {model.__name__} has organization_id but is not TenantScoped",
                    "inherit marcus.TenantScoped",
                )
            r.models.setdefault(plugin, []).append(model)


def _collect_migrations(r: PluginRegistry) -> None:
    branches = {"kernel": "the kernel"}
    for plugin, source in r.call("register_migrations"):
        if not isinstance(source, MigrationSource) or not Path(source.path).is_dir():
            raise PluginError(
                plugin,
                f"register_migrations returned {source!r}",
                "return MigrationSource(path=<existing versions folder>, branch=...)",
            )
        if source.branch in branches:
            raise PluginError(
                plugin,
                f"migration branch '{source.branch}' is already used by {branches[source.branch]}",
                f"use the branch label '{plugin}'",
            )
        branches[source.branch] = f"plugin '{plugin}'"
        r.migrations.append(source)


def _collect_permissions(r: PluginRegistry) -> None:
    for plugin, result in r.call("register_permissions"):
        for perm in _listed(result):
            if not isinstance(perm, Permission) or not PERMISSION_NAME.match(perm.name):
                raise PluginError(
                    plugin,
                    f"invalid permission {perm!r}",
                    "declare Permission(name='<plugin>.<resource>:<action>', ...)",
                )
            _claim(r.permissions, perm.name, plugin, "permission", lambda p: p.plugin)
            unknown = set(perm.grants) - set(ROLE_TEMPLATES)
            if unknown:
                raise PluginError(
                    plugin,
                    f"permission '{perm.name}' grants unknown roles {sorted(unknown)}",
                    f"use {ROLE_TEMPLATES}",
                )
            r.permissions[perm.name] = perm


def _collect_namespaces(r: PluginRegistry) -> None:
    taken: dict[str, str] = {}
    for plugin, result in r.call("register_socketio_namespaces"):
        for ns in _listed(result):
            name = getattr(ns, "namespace", None)
            if not isinstance(name, str) or not (name == f"/{plugin}" or name.startswith(f"/{plugin}-")):
                raise PluginError(plugin, f"Socket.IO namespace {name!r} is not the plugin's", f"name it '/{plugin}'")
            if name in taken:
                raise PluginError(
                    plugin, f"namespace '{name}' is already registered by '{taken[name]}'", "use another name"
                )
            taken[name] = plugin
            r.namespaces.append((plugin, ns))


def _collect_events(r: PluginRegistry) -> None:
    for plugin, result in r.call("register_event_types"):
        for cls in _listed(result):
            name = getattr(cls, "name", None)
            if not (isinstance(cls, type) and issubclass(cls, Event) and isinstance(name, str)):
                raise PluginError(plugin, f"register_event_types returned {cls!r}", "return marcus.Event subclasses")
            if not EVENT_NAME.match(name):
                raise PluginError(plugin, f"event name '{name}' is not dotted", f"name it '{plugin}.<past_tense>'")
            _claim(r.event_types, name, plugin, "event type", lambda c: c.__module__)
            r.event_types[name] = cls
    for plugin, result in r.call("register_event_handlers"):
        for handler in _listed(result):
            if not isinstance(handler, EventHandler):
                raise PluginError(
                    plugin, f"register_event_handlers returned {handler!r}", "return marcus.EventHandler(...)"
                )
            r.event_handlers.append((plugin, handler))


def _collect_named(hook: str, kind: type[Any], attr: str, what: str) -> Callable[[PluginRegistry], None]:
    def collect(r: PluginRegistry) -> None:
        target: dict[str, Any] = getattr(r, attr)
        for plugin, result in r.call(hook):
            for item in _listed(result):
                if not isinstance(item, kind):
                    raise PluginError(plugin, f"{hook} returned {item!r}", f"return marcus.{kind.__name__}(...)")
                _claim(target, item.name, plugin, what, lambda _: "another plugin")
                target[item.name] = item

    return collect


def _collect_pages(r: PluginRegistry) -> None:
    for plugin, pageset in r.call("register_pages"):
        if not isinstance(pageset, PageSet):
            raise PluginError(plugin, f"register_pages returned {pageset!r}", "return marcus.PageSet(...)")
        r.pages.append((plugin, pageset))


_COLLECTORS: list[Callable[[PluginRegistry], None]] = [
    _collect_routers,
    _collect_root_routers,
    _collect_models,
    _collect_migrations,
    _collect_permissions,
    _collect_namespaces,
    _collect_events,
    _collect_named("register_dashboard_widgets", DashboardWidget, "widgets", "dashboard widget"),
    _collect_named("register_jobs", Job, "jobs", "job"),
    _collect_pages,
]
