"""%greenpatch: status table, on/off by flag or module name, usage errors on bad input."""

from __future__ import annotations

import time

import pytest
from IPython.core.error import UsageError

from notebook_coop import patcher
from notebook_coop.jupyter.patch_magics import greenpatch


@pytest.fixture(autouse=True)
def _restore():
    yield
    patcher.unpatch()


def test_status_table_lists_every_flag_and_module(capsys):
    greenpatch("")
    table = capsys.readouterr().out
    assert table.splitlines()[0].split() == ["flag", "module", "patched", "replaced"]
    assert {line.split()[1] for line in table.splitlines()[1:]} >= {"time", "threading", "socket"}


def test_on_by_flag_patches_and_the_table_shows_it(capsys):
    greenpatch("on time")
    assert capsys.readouterr().out == "patched: time\n"
    assert time.sleep is not patcher.original("time").sleep
    greenpatch("")
    row = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("time"))
    assert row.split() == ["time", "time", "yes", "sleep"]


def test_off_restores_the_original(capsys):
    original_sleep = time.sleep
    greenpatch("on time")
    greenpatch("off time")
    assert time.sleep is original_sleep
    assert capsys.readouterr().out.splitlines()[-1] == "restored: time"


def test_on_accepts_a_module_name(capsys):
    greenpatch("on threading")
    assert patcher.is_monkey_patched("threading") and not patcher.is_monkey_patched("_thread")


@pytest.mark.parametrize("line, message", [
    ("on foo", "unknown module 'foo'"),
    ("bogus", "invalid choice"),
    ("time", "invalid choice"),
])
def test_bad_arguments_are_usage_errors(line, message):
    with pytest.raises(UsageError, match=message):
        greenpatch(line)
