"""Timeout, with_timeout and is_timeout, with eventlet's semantics."""

import pytest

from notebook_coop.greenthread import sleep, spawn
from notebook_coop.timeout import Timeout, is_timeout, with_timeout

pytestmark = pytest.mark.usefixtures("clean_hub")


def test_a_timeout_raises_in_the_green_thread_blocked_past_it():
    def waiter():
        with Timeout(0.01) as timeout:
            try:
                sleep(10)
            except Timeout as exc:
                return exc is timeout

    assert spawn(waiter).wait() is True


def test_a_timeout_raises_in_the_blocked_root():
    with pytest.raises(Timeout):
        with Timeout(0.01):
            sleep(10)


def test_a_timeout_interrupts_a_wait_for_another_green_thread():
    sleeper = spawn(sleep, 10)
    with pytest.raises(Timeout):
        with Timeout(0.01):
            sleeper.wait()
    sleeper.kill()


def test_exception_false_makes_the_with_block_swallow_it():
    log = []
    with Timeout(0.01, False):
        sleep(10)
        log.append("not reached")
    assert log == []


def test_a_custom_exception_class_is_raised_instead():
    with pytest.raises(ValueError):
        with Timeout(0.01, ValueError):
            sleep(10)


def test_a_custom_exception_instance_is_raised_as_is():
    late = ValueError("late")
    with pytest.raises(ValueError) as info:
        with Timeout(0.01, late):
            sleep(10)
    assert info.value is late


def test_an_exception_that_cannot_be_raised_is_a_type_error_at_creation():
    with pytest.raises(TypeError, match="exception class or instance"):
        Timeout(0.01, 42)


def test_a_timeout_is_pending_from_creation_until_cancelled():
    timeout = Timeout(10)
    assert timeout.pending
    timeout.cancel()
    assert not timeout.pending


def test_a_timeout_is_no_longer_pending_once_it_fired():
    timeout = Timeout(0.01)
    with pytest.raises(Timeout):
        sleep(10)
    assert not timeout.pending


def test_a_cancelled_timeout_never_fires():
    Timeout(0.01).cancel()
    sleep(0.05)


def test_a_cancelled_timeout_can_be_armed_again():
    timeout = Timeout(10)
    timeout.cancel()
    timeout.start()
    assert timeout.pending
    with pytest.raises(RuntimeError, match="already armed"):
        timeout.start()
    timeout.cancel()


def test_timeout_none_never_fires():
    with Timeout(None) as timeout:
        sleep(0.02)
    assert not timeout.pending


def test_nested_timeouts_the_inner_shorter_one_fires_and_the_outer_stays_pending():
    with Timeout(10) as outer:
        with pytest.raises(Timeout) as info:
            with Timeout(0.01) as inner:
                sleep(5)
        assert info.value is inner
        assert outer.pending
    assert not outer.pending


def test_timeout_is_a_base_exception_that_except_exception_does_not_catch():
    with pytest.raises(Timeout):
        with Timeout(0.01):
            try:
                sleep(10)
            except Exception:
                pass


def test_with_timeout_returns_the_functions_value():
    assert with_timeout(10, pow, 2, 5) == 32


def test_with_timeout_raises_timeout_when_the_function_is_too_slow():
    with pytest.raises(Timeout):
        with_timeout(0.01, sleep, 10)


def test_with_timeout_returns_timeout_value_when_given():
    assert with_timeout(0.01, sleep, 10, timeout_value="late") == "late"


@pytest.mark.parametrize("exc", [Timeout(None), TimeoutError(), OSError(110, "x")],
                         ids=["Timeout", "TimeoutError", "ETIMEDOUT"])
def test_is_timeout_recognises_timeouts(exc):
    assert is_timeout(exc)


def test_is_timeout_rejects_other_exceptions():
    assert not is_timeout(ValueError())


def test_a_timeout_left_by_a_finished_thread_never_fires_into_the_next_on_its_worker():
    def arm_and_leave():
        Timeout(0.01)

    def sleep_past_it():
        sleep(0.05)
        return "undisturbed"

    first = spawn(arm_and_leave)
    first.wait()
    second = spawn(sleep_past_it)
    assert second.wait() == "undisturbed"
    assert second.greenlet is first.greenlet
