"""Which frames of a traceback are the user's: notebook_coop's machinery is trimmed away."""

import sys
import traceback

import pytest

from notebook_coop import Timeout, sleep, spawn
from notebook_coop.frames import caller_site, is_library, site_line, trimmed

pytestmark = pytest.mark.usefixtures("clean_hub")


def names(tb):
    return [frame.name for frame in traceback.extract_tb(tb)]


def fails_inside():
    raise ValueError("mine")


def test_a_green_threads_error_keeps_only_the_users_frames():
    gt = spawn(lambda: fails_inside())
    with pytest.raises(ValueError) as info:
        gt.wait()
    assert names(trimmed(info.value.__traceback__)) == [
        "test_a_green_threads_error_keeps_only_the_users_frames", "<lambda>", "fails_inside"]


def test_an_exception_thrown_into_a_wait_ends_at_the_users_call():
    with pytest.raises(Timeout) as info, Timeout(0.01):
        sleep(1)
    frames = traceback.extract_tb(trimmed(info.value.__traceback__))
    assert [f.name for f in frames] == [
        "test_an_exception_thrown_into_a_wait_ends_at_the_users_call"]
    assert frames[-1].line == "sleep(1)"


def test_an_error_raised_inside_notebook_coop_keeps_its_frames_below_the_users():
    with pytest.raises(TypeError) as info:
        spawn(42)
    kept = traceback.extract_tb(trimmed(info.value.__traceback__))
    assert kept[0].name.startswith("test_an_error_raised_inside")
    assert kept[-1].name == "require_callable"


def test_a_traceback_of_library_frames_alone_is_kept_whole():
    from notebook_coop.greenthread import as_exception

    with pytest.raises(TypeError) as info:
        as_exception(())
    library_only = info.value.__traceback__.tb_next  # without this test's own frame
    assert trimmed(library_only) is library_only


def test_caller_site_skips_notebook_coop_frames_and_site_line_finds_its_line():
    line = sys._getframe().f_lineno + 1
    site = caller_site(1)
    assert site_line(*site) == (__file__, line)
    assert not is_library(sys._getframe().f_code)

