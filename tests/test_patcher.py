"""Monkey patching, each case in a fresh interpreter (tests/patch_cases/) printing one verdict."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from notebook_coop import patcher

REPO = Path(__file__).resolve().parent.parent
CASES = Path(__file__).resolve().parent / "patch_cases"


def verdict(case: str, *args: str) -> str:
    """Run tests/patch_cases/<case>.py with the venv's python; its last line of output."""
    env = dict(os.environ, PYTHONPATH=str(REPO), PYTHONWARNINGS="ignore::RuntimeWarning")
    proc = subprocess.run([sys.executable, str(CASES / f"{case}.py"), *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip().splitlines()[-1]


def test_unpatched_time_sleep_serialises_green_workers():
    assert verdict("workers_sleep").startswith("serialised")


def test_patched_time_sleep_overlaps_green_workers():
    assert verdict("workers_sleep", "patched").startswith("overlapped")


def test_without_thread_patch_green_threads_share_the_main_thread_identity():
    assert verdict("thread_identity", "time") == "idents=1 threads=1 locals=1"


def test_thread_patch_gives_each_green_thread_its_identity_and_locals():
    assert verdict("thread_identity", "time,thread") == "idents=4 threads=4 locals=4"


def test_unpatch_restores_the_exact_original_objects():
    assert verdict("unpatch_identity").startswith("restored")


def test_oslo_synchronized_serialises_green_workers_under_monkey_patch():
    assert verdict("oslo_synchronized", "locked") == "jobs=20 overlapping=0"


def test_green_workers_without_synchronized_overlap():
    jobs, overlapping = verdict("oslo_synchronized", "unlocked").split()
    assert jobs == "jobs=20"
    assert int(overlapping.removeprefix("overlapping=")) > 0


def test_patched_context_manager_patches_only_inside_and_nests():
    assert verdict("patched_context") == "ok"


def test_import_patched_greens_a_copy_and_leaves_sys_modules_alone():
    assert verdict("import_patched_case") == "ok"


def test_flag_rules_follow_eventlet():
    # time=True; all=False,time,thread; thread=False (all but thread); all=True,time=False
    assert verdict("flag_rules") == "time;time,threading;time;threading"


def test_bad_input_raises_clear_errors():
    assert verdict("bad_input") == ("TypeError TypeError TypeError TypeError "
                                    "ModuleNotFoundError TypeError")


def test_thread_started_under_the_patch_runs_as_a_green_thread():
    assert verdict("green_thread_start") == "green"


def test_exit_waits_for_non_daemon_threads_started_under_the_patch():
    assert verdict("exit_waits_for_threads") == "non-daemon finished"


def test_fork_in_a_patched_thread_leaves_the_child_only_the_forking_thread():
    assert verdict("fork_in_thread") == "ok"


def test_other_os_threads_keep_the_originals_while_patched():
    assert verdict("os_threads_unaffected") == "unaffected"


@pytest.mark.parametrize("flags, expected", [
    ({}, list(patcher.PATCHES)),
    ({"time": True}, ["time"]),
    ({"time": False}, [f for f in patcher.PATCHES if f != "time"]),
    ({"all": False, "socket": True}, ["socket"]),
    ({"all": True, "os": False}, [f for f in patcher.PATCHES if f != "os"]),
])
def test_select_flags(flags, expected):
    assert patcher.select_flags(**flags) == expected


def test_is_monkey_patched_answers_for_flags_and_modules():
    assert patcher.is_monkey_patched("time") is False
    assert patcher.is_monkey_patched("threading") is False
    assert patcher.is_monkey_patched("json") is False


def test_original_gives_a_module_view_or_one_attribute():
    import time

    assert patcher.original("time").sleep is time.sleep
    assert patcher.original("time.monotonic") is time.monotonic
