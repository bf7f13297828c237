"""The `%greenpatch` line magic: see, apply and undo monkey patches from a notebook.

    %greenpatch                    # a table: each flag, its modules, patched or not
    %greenpatch on                 # everything (as monkey_patch())
    %greenpatch on time thread     # flags or module names: time, thread, threading, socket...
    %greenpatch off                # undo everything; `off time` undoes one
"""

from __future__ import annotations

from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring

from .. import patcher


def _modules_for(names: list[str]) -> list[str]:
    """Flag and module names as the stdlib modules they stand for; UsageError on unknown ones."""
    modules: list[str] = []
    for name in names:
        if name in patcher.PATCHES:
            found = list(patcher.PATCHES[name])
        elif any(name in mods for mods in patcher.PATCHES.values()):
            found = [name]
        else:
            known = ", ".join(patcher.PATCHES)
            raise UsageError(f"%greenpatch: unknown module {name!r}; use one of: {known} "
                             "(or a module they patch, such as threading or selectors)")
        modules += [m for m in found if m not in modules]
    return modules


def status_table() -> str:
    """One line per flag: its modules, whether each is patched, and what is replaced."""
    rows = [("flag", "module", "patched", "replaced")]
    for flag, modules in patcher.PATCHES.items():
        for module in modules:
            attrs = patcher.patched_attributes(module)
            state = "yes" if patcher.is_monkey_patched(module) else "no"
            if state == "no" and not patcher.has_green(module):
                state = "n/a"
            rows.append((flag, module, state, ", ".join(attrs)))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return "\n".join(f"{a:<{widths[0]}}  {b:<{widths[1]}}  {c:<{widths[2]}}  {d}".rstrip()
                     for a, b, c, d in rows)


@magic_arguments()
@argument("action", nargs="?", choices=["on", "off"],
          help="on: patch, off: restore the originals; none: print the status table")
@argument("modules", nargs="*", metavar="MODULE",
          help="flags (time, thread, socket, select, os, subprocess) or module names; "
               "default: all")
def greenpatch(line: str) -> None:
    """Monkey-patch the standard library for green threads, reversibly."""
    args = parse_argstring(greenpatch, line)
    if args.action is None:
        if args.modules:
            raise UsageError("%greenpatch: say `on` or `off` before the module names")
        print(status_table())
        return
    modules = _modules_for(args.modules)
    if args.action == "on":
        try:
            changed = patcher.patch_modules(modules) if modules else patcher.monkey_patch()
        except ImportError as exc:
            raise UsageError(f"%greenpatch: {exc}") from None
        verb = "patched"
    else:
        changed = patcher.unpatch_modules(modules) if modules else patcher.unpatch()
        verb = "restored"
    print(f"{verb}: {', '.join(changed)}" if changed else f"nothing to change ({verb} already)")


def register(ip: Any) -> None:
    """Register %greenpatch with an IPython shell (called by the extension's loader)."""
    ip.register_magic_function(greenpatch, "line", "greenpatch")
