"""The IPython extension: `%load_ext notebook_coop` (or a kernelspec with `--ext notebook_coop`).

Loading attaches the kernel driver (see notebook_coop.jupyter.driver) and registers the magics;
unloading detaches both. Loading twice, or `%reload_ext`, never leaves a second driver.
"""

from __future__ import annotations

from typing import Any

from . import driver, magics, patch_magics


def load_ipython_extension(ip: Any) -> None:
    """Attach the hub to this shell's kernel loop and register %%greenspawn and friends."""
    driver.install(ip)
    magics.register(ip)
    patch_magics.register(ip)


def unload_ipython_extension(ip: Any) -> None:
    """Detach from the loop and remove the magics; green threads and the hub live on."""
    magics.unregister(ip)
    driver.uninstall()
