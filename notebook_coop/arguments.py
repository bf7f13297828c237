"""Argument checks the public API shares, so bad input fails at the call with a clear message."""

from __future__ import annotations

import operator
from typing import Any


def whole_number(value: Any, what: str, minimum: int | None = None) -> int:
    """`value` as an int: an int, or a float with nothing after the point (`GreenPool(1e3)`), as
    eventlet takes them. Anything else, or less than `minimum`, fails here, naming `what`."""
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError(f"{what} must be a whole number, not {value!r}")
        number = int(value)
    else:
        try:
            number = operator.index(value)
        except TypeError:
            raise TypeError(f"{what} must be an int, not {type(value).__name__}: "
                            f"{value!r}") from None
    if minimum is not None and number < minimum:
        raise ValueError(f"{what} must be {minimum} or more, not {value!r}")
    return number
