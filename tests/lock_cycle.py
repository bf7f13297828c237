"""A deadlock for the lints to name: two green threads running `hold(a, b)` and `hold(b, a)`."""

from notebook_coop import sleep


def hold(first, second):
    """Take `first`, give the other thread time to take its own, then wait for `second`."""
    with first:
        sleep(0.001)
        with second:
            pass
