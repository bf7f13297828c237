"""Where a green thread comes from: the line that spawned it, and the notebook cell it belongs to.

Spawn sites are noted by greenthread (while something listens, or on request); the cell is
found by a finder that the Jupyter layer installs, since nothing here may import IPython.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

_cell_finder: Callable[[Any], str] | None = None
_file_namer: Callable[[str], str | None] | None = None


def set_finders(cell_of: Callable[[Any], str] | None,
                file_name: Callable[[str], str | None] | None) -> None:
    """Install (or with None, remove) how to name a thread's cell (`In[5]`) and a file that is
    really a cell (`/tmp/ipykernel_1/2.py` -> `In[5]`)."""
    global _cell_finder, _file_namer
    _cell_finder, _file_namer = cell_of, file_name


def cell_of(gt: Any) -> str:
    """The notebook cell that spawned `gt` (`In[5]`), or "" outside a notebook."""
    if _cell_finder is None:
        return ""
    try:
        return _cell_finder(gt)
    except Exception:  # a finder must never break what asked it
        return ""


def format_site(site: tuple[str, int] | None) -> str:
    """(filename, line) as `In[5]:3` or `dir/file.py:12`; "" for none."""
    return "" if site is None else f"{short_file(site[0])}:{site[1]}"


def short_file(filename: str) -> str:
    """A cell's name for a cell's file, else the file's last two path parts."""
    if _file_namer is not None:
        try:
            named = _file_namer(filename)
        except Exception:
            named = None
        if named:
            return named
    parts = filename.replace(os.sep, "/").rsplit("/", 2)
    return "/".join(parts[-2:])
