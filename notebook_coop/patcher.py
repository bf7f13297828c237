"""Reversible, thread-aware monkey patching of the standard library.

    monkey_patch()                   # everything (eventlet's rule: any True -> only those,
    monkey_patch(time=True)          #   only False given -> all but those)
    with patched(time=True):         # patched inside, exactly the original objects after
        time.sleep(1)                # suspends only this green thread
    unpatch()                        # time.sleep is original("time").sleep again
    feedparser = import_patched("feedparser")   # a green copy; sys.modules keeps the real one

Patches replace a few attributes of the live modules (see green/__init__.py), and every green
replacement runs the original when called from an OS thread other than the hub's.
"""

from __future__ import annotations

import contextlib
import importlib
import sys
import warnings
from collections.abc import Iterator
from types import ModuleType
from typing import Any

__all__ = ["PATCHES", "import_patched", "is_monkey_patched", "monkey_patch", "original",
           "patched", "unpatch"]

PATCHES: dict[str, tuple[str, ...]] = {
    "os": ("os",),
    "select": ("select", "selectors"),
    "socket": ("socket", "ssl"),
    "thread": ("_thread", "threading", "queue"),
    "time": ("time",),
    "subprocess": ("subprocess",),
}
"""Each patch flag and the stdlib modules it patches, in the order they are patched."""

IMPORT_PATCHED_DEFAULTS = ("os", "select", "socket", "thread", "time")
"""The flags whose modules `import_patched` substitutes when not told otherwise (as eventlet)."""

IMPORT_PATCHED_ALONG: dict[str, tuple[str, ...]] = {"urllib.request": ("http.client",)}
"""Modules whose patched copy also needs patched copies of these: they reach the network only
through them, so a copy using the stdlib ones would still block."""

_MISSING = object()
_saved: dict[str, dict[str, Any]] = {}
"""Module name -> {attribute: the object it held before patching (or _MISSING)}."""


def _green_name(module: str) -> str:
    return "notebook_coop.green." + module.lstrip("_")


def _flag_of(module: str) -> str | None:
    return next((flag for flag, mods in PATCHES.items() if module in mods), None)


def _green_module(module: str) -> ModuleType | None:
    """The green stand-in for a stdlib module, or None if it is not part of this install."""
    name = _green_name(module)
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise
        return None


def has_green(module: str) -> bool:
    """Whether this install has a green stand-in for the stdlib module."""
    return _green_module(module) is not None


def select_flags(all: bool | None = None, **flags: bool | None) -> list[str]:
    """The flags a call means, by eventlet's rules: `all` (when given) is the default for
    flags not given; otherwise the default is on unless some flag is True."""
    default = all if all is not None else True not in flags.values()
    return [f for f in PATCHES if (default if flags.get(f) is None else flags[f])]


def _patch_module(module: str, explicit: bool) -> bool:
    if module in _saved:
        return False
    green = _green_module(module)
    if green is None:
        message = f"notebook_coop has no green {module!r} module yet; it stays unpatched"
        if explicit:
            raise ImportError(message)
        warnings.warn(message, RuntimeWarning, stacklevel=4)
        return False
    real = importlib.import_module(module)
    replacements = green.patched_attributes()
    _saved[module] = {attr: getattr(real, attr, _MISSING) for attr in replacements}
    for attr, value in replacements.items():
        setattr(real, attr, value)
    return True


def _unpatch_module(module: str) -> None:
    saved = _saved.pop(module, None)
    if saved is None:
        return
    real = sys.modules[module]
    for attr, value in saved.items():
        if value is _MISSING:
            delattr(real, attr)
        else:
            setattr(real, attr, value)


def monkey_patch(*, all: bool | None = None, os: bool | None = None,
                 select: bool | None = None, socket: bool | None = None,
                 thread: bool | None = None, time: bool | None = None,
                 subprocess: bool | None = None) -> list[str]:
    """Patch the stdlib modules of the selected flags in place; returns the modules patched
    now (already patched ones are left alone). Unknown flags are a TypeError."""
    flags = dict(os=os, select=select, socket=socket, thread=thread, time=time,
                 subprocess=subprocess)
    explicit = True in flags.values()
    return [m for f in select_flags(all, **flags) for m in PATCHES[f] if _patch_module(m, explicit)]


def unpatch(*, all: bool | None = None, os: bool | None = None,
            select: bool | None = None, socket: bool | None = None,
            thread: bool | None = None, time: bool | None = None,
            subprocess: bool | None = None) -> list[str]:
    """Undo patches (same flag rules as monkey_patch): every replaced attribute gets back the
    exact object it held before. Returns the modules restored."""
    flags = dict(os=os, select=select, socket=socket, thread=thread, time=time,
                 subprocess=subprocess)
    restored = [m for f in select_flags(all, **flags) for m in PATCHES[f] if m in _saved]
    for module in reversed(restored):
        _unpatch_module(module)
    return restored


@contextlib.contextmanager
def patched(**flags: bool | None) -> Iterator[list[str]]:
    """Patch for the duration of a with block (flags as monkey_patch); undo on exit only what
    this block patched, so blocks nest."""
    done = monkey_patch(**flags)
    try:
        yield done
    finally:
        for module in reversed(done):
            _unpatch_module(module)


def patch_modules(modules: list[str]) -> list[str]:
    """Patch the named stdlib modules (not flags); returns those patched now."""
    return [m for m in modules if _patch_module(m, explicit=True)]


def unpatch_modules(modules: list[str]) -> list[str]:
    """Undo the patches of the named stdlib modules; returns those restored."""
    restored = [m for m in modules if m in _saved]
    for module in reversed(restored):
        _unpatch_module(module)
    return restored


def is_monkey_patched(name: str | ModuleType) -> bool:
    """Whether a flag ("thread") or a module ("threading", or the module itself) is patched.
    A flag counts as patched when all of its modules that have a green stand-in are."""
    if isinstance(name, ModuleType):
        name = name.__name__
    if not isinstance(name, str):
        raise TypeError(f"is_monkey_patched() takes a flag or module name, not {name!r}")
    if name in PATCHES:
        modules = [m for m in PATCHES[name] if m in _saved or has_green(m)]
        return bool(modules) and all(m in _saved for m in modules)
    return name in _saved


def patched_attributes(module: str) -> list[str]:
    """The attributes of a stdlib module currently replaced by the patch (empty if none)."""
    return sorted(_saved.get(module, ()))


class OriginalModule:
    """A stdlib module as it was before patching: the saved originals of patched attributes,
    the live module for everything else."""

    def __init__(self, name: str) -> None:
        self._module = importlib.import_module(name)

    def __getattr__(self, attr: str) -> Any:
        value = _saved.get(self._module.__name__, {}).get(attr, _MISSING)
        if value is _MISSING:
            return getattr(self._module, attr)
        return value

    def __dir__(self) -> list[str]:
        return dir(self._module)

    def __repr__(self) -> str:
        return f"<original of module {self._module.__name__!r}>"


def original(name: str) -> Any:
    """The unpatched module ("time": its attributes are the originals even while patched) or
    one original attribute ("time.sleep")."""
    if not isinstance(name, str):
        raise TypeError(f"original() takes a module name, not {name!r}")
    try:
        return OriginalModule(name)
    except ModuleNotFoundError:
        if "." not in name:
            raise
    module, _, attr = name.rpartition(".")
    return getattr(OriginalModule(module), attr)


_patched_imports: dict[tuple, ModuleType] = {}


def _import_defaults() -> list[tuple[str, ModuleType]]:
    pairs = []
    for flag in IMPORT_PATCHED_DEFAULTS:
        for module in PATCHES[flag]:
            green = _green_module(module)
            if green is not None:
                pairs.append((module, green))
    return pairs


def import_patched(modulename: str, *additional_modules: tuple[str, ModuleType],
                   **kw_additional_modules: ModuleType) -> ModuleType:
    """A fresh copy of `modulename` imported while its dependencies (os, select, socket,
    thread, time, or the (name, module) pairs given) are the green modules. sys.modules keeps
    its entries for the module, its submodules and the dependencies; modules imported for the
    first time along the way stay loaded, as with eventlet."""
    if not isinstance(modulename, str):
        raise TypeError(f"import_patched() takes a module name, not {modulename!r}")
    deps = list(additional_modules) + list(kw_additional_modules.items())
    for pair in deps:
        if not (isinstance(pair, tuple) and len(pair) == 2 and isinstance(pair[1], ModuleType)):
            raise TypeError(f"additional modules are (name, module) pairs, not {pair!r}")
    deps = deps or _import_defaults()
    key = (modulename, tuple((name, id(mod)) for name, mod in deps))
    if key not in _patched_imports:
        given = {name for name, _ in deps}
        along = [(name, import_patched(name, *deps))
                 for name in IMPORT_PATCHED_ALONG.get(modulename, ()) if name not in given]
        _patched_imports[key] = _import_fresh(modulename, deps + along)
    return _patched_imports[key]


def _import_fresh(modulename: str, deps: list[tuple[str, ModuleType]]) -> ModuleType:
    own = [n for n in sys.modules if n == modulename or n.startswith(modulename + ".")]
    touched = {n: sys.modules.get(n, _MISSING) for n in own + [name for name, _ in deps]}
    parent_name, _, child = modulename.rpartition(".")
    parent = sys.modules.get(parent_name)
    parent_attr = getattr(parent, child, _MISSING)
    try:
        for name in own:
            del sys.modules[name]
        sys.modules.update(deps)
        importlib.import_module(modulename)
        return _with_package_standins(sys.modules[modulename], deps)
    finally:
        for name in list(sys.modules):
            if name == modulename or name.startswith(modulename + "."):
                del sys.modules[name]
        for name, value in touched.items():
            if value is _MISSING:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = value
        if parent is not None:
            if parent_attr is _MISSING:
                parent.__dict__.pop(child, None)
            else:
                setattr(parent, child, parent_attr)


def _with_package_standins(module: ModuleType, deps: list[tuple[str, ModuleType]]) -> ModuleType:
    """Point a fresh copy's globals that hold the parent package of a dotted dependency (`http`
    after `import http.client`) at a stand-in whose submodule is the substitute: the copy looks
    `http.client` up through the package at call time."""
    standins: dict[str, ModuleType] = {}
    for name, substitute in deps:
        parent_name, _, child = name.rpartition(".")
        parent = sys.modules.get(parent_name)
        if parent is not None:
            if parent_name not in standins:
                standins[parent_name] = _package_standin(parent)
            setattr(standins[parent_name], child, substitute)
    for attr, value in list(vars(module).items()):
        if isinstance(value, ModuleType) and value.__name__ in standins:
            if sys.modules.get(value.__name__) is value:
                setattr(module, attr, standins[value.__name__])
    return module


def _package_standin(package: ModuleType) -> ModuleType:
    """A module with the package's names now, and any it gains later."""
    standin = ModuleType(package.__name__, package.__doc__)
    vars(standin).update(vars(package))
    standin.__getattr__ = lambda name: getattr(package, name)  # type: ignore[method-assign]
    return standin
