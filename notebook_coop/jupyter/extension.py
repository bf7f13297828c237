"""The IPython extension: `%load_ext notebook_coop` (or a kernelspec with `--ext notebook_coop`).

Loading attaches the kernel driver (see notebook_coop.jupyter.driver), which starts the blocking
detector and shows green threads' errors IPython's way, and registers the magics; unloading
undoes both. Loading twice, or `%reload_ext`, never leaves a second driver.
"""

from __future__ import annotations

from typing import Any

from ..watch import origin
from . import dashboard, driver, magics, monitor_magic, patch_magics, trace_magics


def load_ipython_extension(ip: Any) -> None:
    """Attach the hub to this shell's kernel loop and register %%greenspawn and friends."""
    driver.install(ip)
    magics.register(ip)
    patch_magics.register(ip)
    trace_magics.register(ip)
    origin.set_finders(lambda gt: magics.spawning_cell(ip, gt),
                       lambda filename: _cell_name(ip, filename))
    monitor_magic.register(ip)
    dashboard.register(ip)


def unload_ipython_extension(ip: Any) -> None:
    """Close the dashboards, detach from the loop and remove the magics; green threads and the
    hub live on."""
    dashboard.unregister(ip)
    monitor_magic.unregister(ip)
    origin.set_finders(None, None)
    magics.unregister(ip, trace_magics.TraceMagics)
    magics.unregister(ip)
    driver.uninstall()


def _cell_name(ip: Any, filename: str) -> str | None:
    """`In[5]` for the file IPython compiled a cell into, else None."""
    named = ip.compile.format_code_name(filename)
    return named[1] if named else None
