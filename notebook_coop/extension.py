"""The IPython extension: `%load_ext notebook_coop` (or a kernelspec with `--ext notebook_coop`).

Loading attaches the kernel driver (see notebook_coop.kernel) and registers the magics;
unloading detaches both. Loading twice, or `%reload_ext`, never leaves a second driver.
"""

from __future__ import annotations

from typing import Any

from . import kernel, magics


def load_ipython_extension(ip: Any) -> None:
    """Attach the hub to this shell's kernel loop and register %%greenspawn and friends."""
    kernel.install(ip)
    magics.register(ip)
    try:
        from . import patch_magics
    except ImportError:
        return
    patch_magics.register(ip)


def unload_ipython_extension(ip: Any) -> None:
    """Detach from the loop and remove the magics; green threads and the hub live on."""
    magics.unregister(ip)
    kernel.uninstall()
