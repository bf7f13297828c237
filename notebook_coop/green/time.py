"""Green `time`: `sleep` suspends only the calling green thread."""

from __future__ import annotations

import time as _time

from ..greenthread import sleep as _green_sleep
from ..hub import green_hub
from . import reexport

reexport(_time, globals())

_original_sleep = _time.sleep


def sleep(seconds: float) -> None:
    """time.sleep that lets the other green threads run; the original on other OS threads."""
    if green_hub() is None:
        _original_sleep(seconds)
    elif seconds < 0:
        raise ValueError("sleep length must be non-negative")
    else:
        _green_sleep(seconds)


def patched_attributes() -> dict[str, object]:
    return {"sleep": sleep}
