"""Object pools for reusing expensive things (connections, clients) among green threads.

    class ConnectionPool(Pool):
        def create(self):
            return connect(("127.0.0.1", 5432))

    conns = ConnectionPool(max_size=4)
    with conns.item() as conn:     # waits while all 4 are in use
        conn.sendall(b"ping")
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from .queue import Full, LightQueue

__all__ = ["Pool", "Token", "TokenPool"]


class Pool:
    """Up to `max_size` objects made by `create()`, lent out by get() and returned by put().
    `min_size` are made up front; `order_as_stack` lends the most recently returned first."""

    def __init__(self, min_size: int = 0, max_size: int = 4, order_as_stack: bool = False,
                 create: Callable[[], Any] | None = None) -> None:
        if min_size > max_size:
            raise ValueError(f"min_size {min_size} is above max_size {max_size}")
        self.min_size, self.max_size = min_size, max_size
        self.order_as_stack = order_as_stack
        if create is not None:
            self.create = create
        self.current_size = 0
        self.free_items: deque = deque()
        self.channel = LightQueue(0)
        for _ in range(min_size):
            self.current_size += 1
            self.free_items.append(self.create())

    def __repr__(self) -> str:
        return (f"<{type(self).__name__} size={self.current_size}/{self.max_size} "
                f"free={self.free()} waiting={self.waiting()}>")

    def get(self) -> Any:
        """A free object, a new one while below max_size, else wait for one to be put back."""
        if self.free_items:
            return self.free_items.popleft()
        if self.current_size < self.max_size:
            self.current_size += 1
            try:
                return self.create()
            except BaseException:
                self.current_size -= 1
                raise
        return self.channel.get()

    def put(self, item: Any) -> None:
        """Return an object: to a waiting get() first, else to the free list."""
        if self.current_size > self.max_size:
            self.current_size -= 1
            return
        if self.waiting():
            try:
                self.channel.put(item, block=False)
                return
            except Full:
                pass
        if self.order_as_stack:
            self.free_items.appendleft(item)
        else:
            self.free_items.append(item)

    @contextmanager
    def item(self) -> Iterator[Any]:
        """get() an object for the with-block and put() it back afterwards."""
        obj = self.get()
        try:
            yield obj
        finally:
            self.put(obj)

    def resize(self, new_size: int) -> None:
        """Change max_size; extra objects are dropped as they are put back."""
        self.max_size = new_size

    def free(self) -> int:
        """Objects get() could hand out now without waiting."""
        return len(self.free_items) + self.max_size - self.current_size

    def waiting(self) -> int:
        """Green threads waiting in get()."""
        return max(0, self.channel.getting() - self.channel.putting())

    def create(self) -> Any:
        """Make a new object: override it, or pass `create=` to the constructor."""
        raise NotImplementedError("subclass Pool and define create(), or pass create=")


class Token:
    """A plain token, as handed out by TokenPool."""


class TokenPool(Pool):
    """A Pool of tokens: a way to limit concurrency to max_size holders."""

    def create(self) -> Token:
        return Token()
