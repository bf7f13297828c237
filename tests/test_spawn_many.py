"""Scale: many green threads at once, on the one hub."""

import pytest

from notebook_coop.greenthread import sleep, spawn

pytestmark = [pytest.mark.usefixtures("clean_hub"), pytest.mark.timeout(60)]


def square(i):
    return i * i


def nap_then_return(parked, i):
    parked.append(i)
    sleep(0.2)
    return i


def test_100k_green_threads_are_spawned_and_joined_with_their_results():
    gts = [spawn(square, i) for i in range(100_000)]
    assert [gt.wait() for gt in gts] == [i * i for i in range(100_000)]


def test_10k_green_threads_park_on_sleep_and_all_wake():
    parked = []
    gts = [spawn(nap_then_return, parked, i) for i in range(10_000)]
    sleep(0)  # every one of them starts before the root runs again
    assert len(parked) == 10_000
    assert [gt.wait() for gt in gts] == list(range(10_000))
