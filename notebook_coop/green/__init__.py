"""Green stand-ins for standard library modules: what `monkey_patch` installs.

Convention every module in this package follows (patcher.py relies on it):

- `notebook_coop.green.X` stands in for the stdlib module X (`thread` for `_thread`): it
  re-exports every name of X (`reexport(X, globals())` first, then its own definitions), so
  `import_patched` can put it in `sys.modules["X"]` while a module is imported.
- It defines `patched_attributes() -> dict[str, object]`: the attributes of the real module X
  that `monkey_patch` replaces (name -> green object). Patching sets exactly these on X and
  saves the originals; unpatching puts the saved objects back. Nothing else is touched.
- Every green callable is thread-aware: `hub.green_hub()` returns None when the caller cannot wait
  cooperatively (an OS thread other than the hub's, or the hub's own greenlet), and then the
  original stdlib behaviour runs, so the kernel's own threads never notice a patch.

The patch flags map to modules as follows (see patcher.PATCHES): time -> time; thread ->
_thread, threading, queue; socket -> socket, ssl; select -> select, selectors; os -> os;
subprocess -> subprocess.
"""

from __future__ import annotations

import sys
import threading as _threading
from types import CellType, FunctionType, ModuleType
from typing import Any

_real_get_ident = _threading.get_ident


def reexport(real: ModuleType, namespace: dict[str, Any]) -> None:
    """Copy every attribute of the real module into a green module's namespace (dunder names
    excepted), so the green module can stand in for it."""
    for name in dir(real):
        if not (name.startswith("__") and name.endswith("__")):
            namespace[name] = getattr(real, name)
    if hasattr(real, "__all__"):
        namespace["__all__"] = list(real.__all__)


def rebind(obj: Any, namespace: dict[str, Any], bases: tuple = ()) -> Any:
    """A copy of a stdlib function, or of a class and its methods, that looks up module globals
    in `namespace`: the stdlib's own code, running on green names. Methods that use `super()`
    get the copy as their `__class__`, so it finds the copy's bases."""
    if isinstance(obj, FunctionType):
        return _copy_function(obj, namespace)
    home = vars(sys.modules[obj.__module__])  # methods decorated elsewhere are kept as they are
    methods = {name: value for name, value in vars(obj).items()
               if isinstance(value, FunctionType) and value.__globals__ is home}
    attrs = {name: _copy_function(methods[name], namespace) if name in methods else value
             for name, value in vars(obj).items() if name not in ("__dict__", "__weakref__")}
    cls = type(obj.__name__, bases or obj.__bases__, attrs)
    for name, method in methods.items():
        if "__class__" in method.__code__.co_freevars:
            setattr(cls, name, _copy_function(method, namespace, cls))
    return cls


def _copy_function(fn: FunctionType, namespace: dict[str, Any],
                   owner: type | None = None) -> FunctionType:
    """`fn` with `namespace` as its globals (and `owner` in its `__class__` cell, if given)."""
    closure = fn.__closure__
    if owner is not None:
        closure = tuple(CellType(owner) if name == "__class__" else cell
                        for name, cell in zip(fn.__code__.co_freevars, closure, strict=True))
    copy = FunctionType(fn.__code__, namespace, fn.__name__, fn.__defaults__, closure)
    copy.__kwdefaults__, copy.__qualname__ = fn.__kwdefaults__, fn.__qualname__
    copy.__doc__ = fn.__doc__
    return copy
