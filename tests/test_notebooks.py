"""The tutorial notebooks run top to bottom in a real kernel, and show what they teach.

Each notebook is executed once for this module (nbclient, a real kernel). Its kernel stays up
until the module ends, so tests can also press the notebook's buttons the way a browser does.
Timing figures are checked with generous ratios: other work shares this machine.
"""

from __future__ import annotations

import contextlib
import json
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import nbformat
import pytest
from jupyter_client import KernelManager
from jupyter_client.kernelspec import KernelSpecManager
from kernel_helpers import Kernel
from nbclient import NotebookClient

NOTEBOOK_DIR = Path(__file__).parent.parent / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))


def _this_python_kernel(tmp_path: Path) -> KernelSpecManager:
    """A kernelspec named python3 that runs this interpreter (the venv with the package)."""
    spec_dir = tmp_path / "kernels" / "python3"
    spec_dir.mkdir(parents=True)
    spec = {"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "Python 3", "language": "python"}
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    return KernelSpecManager(kernel_dirs=[str(tmp_path / "kernels")])


class Executed:
    """A notebook as nbclient left it, and the kernel that ran it (still running)."""

    def __init__(self, nb: nbformat.NotebookNode, kernel: Kernel) -> None:
        self.nb, self.kernel = nb, kernel

    def outputs(self) -> Iterator[dict]:
        for cell in self.nb.cells:
            if cell.cell_type == "code":
                yield from cell.get("outputs", [])

    def text(self, stream: str | None = None) -> str:
        """The text the cells printed (only `stream`, stdout or stderr, when given)."""
        return "".join(out.get("text", "") for out in self.outputs()
                         if stream is None or out.get("name") == stream)

    def pictures(self, code: str) -> int:
        """How many PNG images the code cell containing `code` shows."""
        [cell] = [c for c in self.nb.cells if c.cell_type == "code" and code in c.source]
        return sum("image/png" in out.get("data", {}) for out in cell.get("outputs", []))

    def figure(self, pattern: str) -> tuple[str, ...]:
        """The groups of the first match of `pattern` in the printed text; fails if none."""
        found = re.search(pattern, self.text())
        assert found, f"no output matches {pattern!r}:\n{self.text()}"
        return found.groups()


@contextlib.contextmanager
def executed(path: Path, tmp_path: Path) -> Iterator[Executed]:
    """Run the notebook top to bottom with nbclient; shut its kernel down afterwards."""
    nb = nbformat.read(path, as_version=4)
    km = KernelManager(kernel_name="python3", kernel_spec_manager=_this_python_kernel(tmp_path))
    client = NotebookClient(nb, km=km, timeout=120,
                            resources={"metadata": {"path": str(tmp_path)}})
    try:
        client.execute(cleanup_kc=False)
        yield Executed(nb, Kernel(km, client.kc))
    finally:
        if client.kc is not None:
            client.kc.stop_channels()
        if km.has_kernel:
            km.shutdown_kernel(now=True)


@pytest.fixture(scope="module")
def notebook(tmp_path_factory) -> Iterator[Callable[[str], Executed]]:
    """notebook("01-green-threads") runs it the first time it is asked for, then remembers."""
    runs: dict[str, Executed] = {}
    with contextlib.ExitStack() as stack:
        def run(name: str) -> Executed:
            if name not in runs:
                path = NOTEBOOK_DIR / f"{name}.ipynb"
                runs[name] = stack.enter_context(executed(path, tmp_path_factory.mktemp(name)))
            return runs[name]
        yield run


def _send_comm(kernel: Kernel, comm_id: str, data: dict) -> str:
    msg = kernel.kc.session.msg("comm_msg", {"comm_id": comm_id, "data": data})
    kernel.kc.shell_channel.send(msg)
    return msg["header"]["msg_id"]


def press(kernel: Kernel, function: str, **states: dict) -> str:
    """Set the controls of `interact_manual(function, ...)` and press its button, as a browser
    does: comm messages with each control's new state ({"value": 3}; a Dropdown syncs its
    {"index": 2}). Returns the click's msg_id, the parent of what the function prints."""
    form = f"{function}.widget"
    for name, state in states.items():
        control = kernel.evaluate(f"[w.model_id for w in {form}.kwargs_widgets "
                                  f"if w.description == {name!r}][0]").strip("'")
        _send_comm(kernel, control, {"method": "update", "state": state, "buffer_paths": []})
    button = kernel.evaluate(f"{form}.manual_button.model_id").strip("'")
    return _send_comm(kernel, button, {"method": "custom", "content": {"event": "click"}})


def pressed_output(kernel: Kernel, function: str, expected: str, **states: dict) -> str:
    """Press the button of `function`'s form and wait for `expected` in what it prints."""
    return kernel.wait_for_text(press(kernel, function, **states), expected, timeout=60)


def pressed_picture(kernel: Kernel, function: str, **states: dict) -> list[dict]:
    """Press the button of `function`'s form; the PNG images it shows (waits for one)."""
    click = press(kernel, function, **states)

    def pictures(msgs: list[dict]) -> list[dict]:
        return [m for m in msgs if "image/png" in m["content"].get("data", {})]

    kernel.wait_for(click, pictures, timeout=60)
    return pictures(kernel.by_parent[click])


def segments(kernel: Kernel, recording: str, state: str) -> list[tuple[int, int, int]]:
    """(thread id, start, end) of every segment in `state` of a recording in the kernel."""
    found = kernel.evaluate(f"[(t.tid, s.start, s.end) for t in {recording}.timeline().threads() "
                            f"for s in t.segments if s.state == {state!r}]")
    return [tuple(x) for x in json.loads(found.replace("(", "[").replace(")", "]"))]


def overlaps(spans: list[tuple[int, int, int]]) -> int:
    """Pairs of spans of different threads that overlap in time."""
    return sum(1 for i, (a, s1, e1) in enumerate(spans) for b, s2, e2 in spans[i + 1:]
               if a != b and s1 < e2 and s2 < e1)


GREEN_THREAD_ERRORS = {"01-green-threads": ["TimeoutError", "ZeroDivisionError"]}
"""The errors of green threads nobody waited for, which a notebook shows on purpose."""


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_top_to_bottom_without_errors(path, notebook):
    run = notebook(path.stem)
    errors = [out for out in run.outputs() if out.get("output_type") == "error"]
    green = [out for out in errors if out["traceback"][0].startswith("Exception in green thread")]
    assert [out for out in errors if out not in green] == []
    assert sorted(out["ename"] for out in green) == GREEN_THREAD_ERRORS.get(path.stem, [])


def test_notebooks_are_committed_without_big_outputs():
    for path in NOTEBOOKS:
        assert path.stat().st_size < 50_000, path.name


# -- 01-green-threads -----------------------------------------------------------------------------


def test_green_threads_notebook_keeps_ten_thousand_alive_in_a_few_kib_each(notebook):
    alive, kib = notebook("01-green-threads").figure(
        r"(\d+) green threads alive at once: [\d.]+ µs and ([\d.]+) KiB per thread")
    assert int(alive) == 10_000
    assert 0 < float(kib) < 64


def test_green_threads_notebook_measures_os_threads_reserving_megabytes(notebook):
    (mib,) = notebook("01-green-threads").figure(
        r"OS threads: [\d.]+ µs to start, [\d.]+ KiB in use and ([\d.]+) MiB of address space")
    assert float(mib) >= 1


def test_green_threads_notebook_sleeps_overlap(notebook):
    (seconds,) = notebook("01-green-threads").figure(
        r"10 green threads sleeping 0.1 s each took ([\d.]+) s")
    assert float(seconds) < 0.5


def test_green_threads_notebook_shows_polite_and_greedy_turns(notebook):
    text = notebook("01-green-threads").text()
    assert "polite: a0 b0 a1 b1 a2 b2" in text
    assert "greedy: a0 a1 a2 b0 b1 b2" in text


def test_green_threads_notebook_draws_polite_turns_interleaved_and_greedy_ones_not(notebook):
    run = notebook("01-green-threads")
    assert run.pictures("coop.compare(polite, greedy") == 1
    polite = sorted(segments(run.kernel, "polite", "run"), key=lambda s: s[1])
    greedy = sorted(segments(run.kernel, "greedy", "run"), key=lambda s: s[1])
    switches = [a[0] != b[0] for a, b in zip(polite, polite[1:], strict=False)]
    assert sum(switches) >= 4  # a, b, a, b, a, b
    assert sum(a[0] != b[0] for a, b in zip(greedy, greedy[1:], strict=False)) == 1


def test_green_threads_notebook_button_draws_the_turns(notebook):
    assert pressed_picture(notebook("01-green-threads").kernel, "show_turns",
                           polite={"value": False})


def test_green_threads_notebook_cancelled_alarm_never_rings(notebook):
    text = notebook("01-green-threads").text()
    assert "alarm A rings" in text
    assert "alarm B rings" not in text
    assert "alarm B cancelled, never rang: True" in text


def test_green_threads_notebook_kill_runs_finally_and_wait_raises(notebook):
    text = notebook("01-green-threads").text()
    assert "worker: killed while sleeping\nworker: cleaning up\ndead: True" in text
    assert "wait() raised GreenletExit" in text
    assert "wait() raised TimeoutError('took too long')" in text


def test_green_threads_notebook_reports_exceptions_nobody_waits_for(notebook):
    run = notebook("01-green-threads")
    assert "wait() raised ZeroDivisionError" in run.text("stdout")
    assert "the other one carried on: 0.25" in run.text("stdout")
    shown = [out["traceback"][0] for out in run.outputs()
             if out.get("output_type") == "error" and out["ename"] == "ZeroDivisionError"]
    assert [line.split("#")[0] for line in shown] == ["Exception in green thread divide"]


def test_green_threads_notebook_queue_and_timeout(notebook):
    text = notebook("01-green-threads").text()
    assert "received: [0, 1, 2]" in text
    assert "nothing came within 50 ms" in text


def test_green_threads_notebook_button_reruns_the_measurement(notebook):
    kernel = notebook("01-green-threads").kernel
    assert "2000 green threads alive at once" in pressed_output(
        kernel, "cost_of_green_threads", "alive at once", n={"value": 2000})


# -- 02-pools-and-piles ---------------------------------------------------------------------------


def test_pools_notebook_pool_caps_concurrency(notebook):
    at_most, total = notebook("02-pools-and-piles").figure(
        r"pool of 5: 20 jobs of 0.05 s, at most (\d+) at once, .* all done in ([\d.]+) s")
    assert int(at_most) == 5
    assert 0.19 < float(total) < 20 * 0.05  # 4 rounds of 0.05 s; one at a time takes 1 s


def test_pools_notebook_bounded_pool_needs_less_memory(notebook):
    (times,) = notebook("02-pools-and-piles").figure(
        r"the pool of 100 needed (\d+) times less memory")
    assert int(times) >= 5


def test_pools_notebook_imap_keeps_input_order(notebook):
    text = notebook("02-pools-and-piles").text()
    assert "[0, 1, 4, 9, 16, 25, 36, 49, 64, 81]" in text


def test_pools_notebook_resize_changes_free_slots(notebook):
    text = notebook("02-pools-and-piles").text()
    assert "size 4: running 3, free 1" in text
    assert "size 2: running 3, free -1" in text
    assert "after waitall: running 0, free 2" in text


def test_pools_notebook_growing_a_busy_pool_speeds_it_up(notebook):
    (total,) = notebook("02-pools-and-piles").figure(r"12 jobs done in ([\d.]+) s")
    assert float(total) < 12 * 0.05  # about 0.3 s; a pool of one cannot take less than 0.6 s


def test_pools_notebook_pile_collects_in_spawn_order(notebook):
    text = notebook("02-pools-and-piles").text()
    assert "collected: ['ONE', 'TWO', 'THREE']" in text
    assert "finished:  ['TWO', 'THREE', 'ONE']" in text


def test_pools_notebook_client_pattern_gets_every_body(notebook):
    text = notebook("02-pools-and-piles").text()
    assert [f"got body {1000 + 100 * i}" for i in range(8)] == re.findall(r"got body \d+", text)


@pytest.mark.parametrize("lock", ["coop.Semaphore(1)", "patched threading.Lock()"])
def test_pools_notebook_lock_serialises_the_jobs(notebook, lock):
    total, overlapping = notebook("02-pools-and-piles").figure(
        re.escape(lock) + r": 20 jobs in ([\d.]+) s, (\d+) overlapping pairs")
    assert int(overlapping) == 0
    assert float(total) >= 0.95 * 20 * 0.02


def test_pools_notebook_jobs_overlap_without_a_lock(notebook):
    (overlapping,) = notebook("02-pools-and-piles").figure(
        r"no lock: 20 jobs in [\d.]+ s, (\d+) overlapping pairs")
    assert int(overlapping) > 0


def test_pools_notebook_timelines_show_the_lock_serialising_the_jobs(notebook):
    run = notebook("02-pools-and-piles")
    assert run.pictures("coop.compare(unlocked, locked") == 1
    assert overlaps(segments(run.kernel, "locked", "sleep")) == 0
    assert overlaps(segments(run.kernel, "unlocked", "sleep")) > 0
    assert segments(run.kernel, "locked", "lock")  # the others waited for it


def test_pools_notebook_lock_menu_draws_the_workers(notebook):
    assert pressed_picture(notebook("02-pools-and-piles").kernel, "try_workers",
                           jobs={"value": 2})


def test_pools_notebook_lock_menu_reruns_the_workers(notebook):
    kernel = notebook("02-pools-and-piles").kernel
    text = pressed_output(kernel, "try_workers", "overlapping pairs",
                          lock={"index": 2}, jobs={"value": 3})
    assert "coop.Lock(): 12 jobs in" in text
    assert ", 0 overlapping pairs" in text


# -- 03-monkey-patching ---------------------------------------------------------------------------


def _experiment_total(run: Executed, label: str) -> float:
    (total,) = run.figure(re.escape(label) + r": 4 workers x 5 jobs of time.sleep\(0.05\) "
                          r"took ([\d.]+) s")
    return float(total)


def test_patching_notebook_unpatched_time_sleep_serialises_the_workers(notebook):
    assert _experiment_total(notebook("03-monkey-patching"), "unpatched") >= 0.95 * 20 * 0.05


@pytest.mark.parametrize("label", ["monkey_patch()", "monkey_patch(time=True)"])
def test_patching_notebook_patched_time_sleep_overlaps_the_workers(notebook, label):
    run = notebook("03-monkey-patching")
    assert _experiment_total(run, "unpatched") > 2 * _experiment_total(run, label)


def _identities(run: Executed, label: str) -> tuple[str, int, int]:
    """What who_am_i printed under `label`: the workers' lines, the distinct get_ident values
    and the distinct native thread ids."""
    workers, idents, natives = run.figure(
        re.escape(label) + r":\n((?:  worker .*\n)+)  (\d+) distinct get_ident values, "
        r"(\d+) distinct native ids")
    return workers, int(idents), int(natives)


def test_patching_notebook_without_thread_patch_workers_share_the_main_thread(notebook):
    workers, idents, natives = _identities(notebook("03-monkey-patching"), "time patched")
    assert (idents, natives) == (1, 1)
    assert workers.count("current_thread MainThread") == 4


def test_patching_notebook_thread_patch_gives_each_green_thread_an_identity(notebook):
    workers, idents, natives = _identities(notebook("03-monkey-patching"),
                                           "everything patched (thread included)")
    assert (idents, natives) == (4, 1)
    assert "MainThread" not in workers


def test_patching_notebook_thread_patch_gives_each_green_thread_its_local(notebook):
    text = notebook("03-monkey-patching").text()
    assert "time patched: each worker reads back [3, 3, 3, 3]" in text
    assert "everything patched: each worker reads back [0, 1, 2, 3]" in text


def test_patching_notebook_greenpatch_off_restores_the_original_sleep(notebook):
    text = notebook("03-monkey-patching").text()
    assert "patched:  time.sleep is original_sleep -> False" in text
    assert "restored: time.sleep is original_sleep -> True" in text
    assert "still patched? False" in text


def test_patching_notebook_other_os_threads_keep_the_original_sleep(notebook):
    run = notebook("03-monkey-patching")
    slept, ident, main = run.figure(r"the OS thread slept ([\d.]+) s, with get_ident (\d+) "
                                    r"\(the main thread's is (\d+)\)")
    assert float(slept) >= 0.19
    assert ident != main
    assert "meanwhile the green ticker ticked 10 times" in run.text()


def test_patching_notebook_timelines_show_sleeps_side_by_side_only_when_patched(notebook):
    run = notebook("03-monkey-patching")
    assert run.pictures("coop.compare(unpatched_rec, patched_rec") == 1
    assert segments(run.kernel, "unpatched_rec", "sleep") == []
    assert overlaps(segments(run.kernel, "unpatched_rec", "run")) == 0
    assert overlaps(segments(run.kernel, "patched_rec", "sleep")) >= 3 * 5


def test_patching_notebook_toggle_draws_the_timeline(notebook):
    assert pressed_picture(notebook("03-monkey-patching").kernel, "try_it",
                           jobs={"value": 2}, seconds={"value": 0.01})


def test_patching_notebook_toggle_reruns_patched_and_unpatched(notebook):
    kernel = notebook("03-monkey-patching").kernel
    totals = {}
    for patched in (True, False):
        text = pressed_output(kernel, "try_it", " s (one after another",
                              patched={"value": patched}, workers={"value": 3},
                              jobs={"value": 4}, seconds={"value": 0.03})
        (totals[patched],) = re.findall(r"3 workers x 4 jobs of time.sleep\(0.03\) took ([\d.]+)",
                                        text)
    assert float(totals[False]) >= 0.95 * 12 * 0.03
    assert float(totals[False]) > 2 * float(totals[True])


# -- 04-threads-and-tpool -------------------------------------------------------------------------


def _ticker_gap(run: Executed, label: str) -> float:
    (gap,) = run.figure(re.escape(label) + r": 4 jobs took [\d.]+ s; the ticker's longest gap "
                        r"was (\d+) ms")
    return float(gap)


def test_tpool_notebook_keeps_the_ticker_ticking_only_through_tpool(notebook):
    run = notebook("04-threads-and-tpool")
    direct = _ticker_gap(run, "called directly")
    assert direct > 150 and _ticker_gap(run, "through tpool.execute") < direct / 3


def test_tpool_notebook_blocking_detector_names_the_job_in_its_cell(notebook):
    run = notebook("04-threads-and-tpool")
    [cell] = [c for c in run.nb.cells if "blocked = run_jobs(" in c.source]
    reports = [out["data"]["text/plain"] for out in cell.outputs
               if "held the hub" in out.get("data", {}).get("text/plain", "")]
    assert reports and "green thread derive#" in reports[0] and "pbkdf2_hmac" in reports[0]


def test_tpool_notebook_draws_both_runs(notebook):
    assert notebook("04-threads-and-tpool").pictures("coop.compare(blocked, freed") == 1


def test_tpool_notebook_proxy_waits_in_threads_at_once(notebook):
    run = notebook("04-threads-and-tpool")
    (plain,) = run.figure(r"plain object: 5 gets in ([\d.]+) s")
    (proxied,) = run.figure(r"tpool.Proxy: 5 gets in ([\d.]+) s")
    assert float(plain) >= 0.95 * 5 * 0.05 and float(proxied) < float(plain) / 2


def test_tpool_notebook_process_pool_keys_match_while_the_ticker_ticks(notebook):
    run = notebook("04-threads-and-tpool")
    assert "they match the direct ones: True" in run.text()
    (ticks,) = run.figure(r"meanwhile the ticker ticked (\d+) times")
    assert int(ticks) >= 5


def test_tpool_notebook_form_draws_the_jobs(notebook):
    assert pressed_picture(notebook("04-threads-and-tpool").kernel, "try_jobs", jobs={"value": 2})


# -- 05-network -----------------------------------------------------------------------------------


def test_network_notebook_echo_server_answers_every_client_at_once(notebook):
    clients, answered, open_at_once = notebook("05-network").figure(
        r"(\d+) clients: (\d+) got their echo, with (\d+) connections open at once")
    assert int(clients) >= 100
    assert answered == clients
    assert open_at_once == clients


def test_network_notebook_crawler_fetches_concurrently_faster(notebook):
    run = notebook("05-network")
    (sequential,) = run.figure(r"one after another: 30 pages in ([\d.]+) s")
    (pooled,) = run.figure(r"pool of 10: 30 pages \(\d+ bytes\) in ([\d.]+) s")
    assert float(sequential) >= 0.95 * 30 * 0.03
    assert float(sequential) > 2 * float(pooled)


def test_network_notebook_pile_gives_titles_in_order(notebook):
    titles = [f"'Page {n}'" for n in range(8)]
    assert f"[{', '.join(titles)}]" in notebook("05-network").text()


def test_network_notebook_crawler_finds_every_page(notebook):
    (pages,) = notebook("05-network").figure(r"the crawler found (\d+) pages")
    assert int(pages) == 30


def test_network_notebook_stops_its_servers(notebook):
    assert "echo server stopped: True" in notebook("05-network").text()


def test_network_notebook_slider_reruns_the_clients(notebook):
    kernel = notebook("05-network").kernel
    kernel.run("server = coop.listen(('127.0.0.1', 0), backlog=4096)\n"  # the last cell closed it
               "address = server.getsockname()\n"
               "acceptor = coop.spawn(accept_forever)")
    assert "50 clients: 50 got their echo, with 50 connections open at once" in pressed_output(
        kernel, "many_clients", "got their echo", n={"value": 50})


# -- 06-background-cells --------------------------------------------------------------------------

BACKGROUND = "06-background-cells"


def _cell_texts(run: Executed, source: str) -> list[str]:
    """The texts (streams and plain displays) of the one code cell whose source is `source`."""
    [cell] = [c for c in run.nb.cells if c.cell_type == "code" and c.source == source]
    return [out.get("text") or out.get("data", {}).get("text/plain", "") for out in cell.outputs]


def test_background_notebook_copies_of_a_cell_take_turns(notebook):
    lines = [line for line in notebook(BACKGROUND).text().splitlines()
             if line.startswith("greeter ")]
    assert sorted(lines) == sorted(f"greeter {i}: step {s}" for i in range(3) for s in range(3))
    assert lines.index("greeter 2: step 0") < lines.index("greeter 0: step 1")


def test_background_notebook_ticker_ticks_while_a_cell_waits(notebook):
    (ticks,) = notebook(BACKGROUND).figure(r"the ticker ticked (\d+) times")
    assert int(ticks) >= 3


def test_background_notebook_tree_shows_the_nappers_and_kill_ends_them(notebook):
    run = notebook(BACKGROUND)
    [tree] = _cell_texts(run, "%greenthreads --tree --stacks")
    assert tree.count("napper[") == 4 and tree.count("coop.sleep(60)") == 4
    assert "ticker: blocked on sleep" in tree
    assert _cell_texts(run, "%greenkill napper") == ["killed 4 green thread(s)\n"]
    [listing] = _cell_texts(run, "%greenthreads")
    assert "ticker" in listing and "napper" not in listing


def test_background_notebook_greentrace_draws_the_workers(notebook):
    run = notebook(BACKGROUND)
    assert run.pictures("%%greentrace --summary") == 1
    [trace] = [c.source for c in run.nb.cells if c.source.startswith("%%greentrace")]
    summary = "".join(_cell_texts(run, trace))
    assert summary.count("worker#") == 3 and "detector" not in summary


def test_background_notebook_detector_names_the_unpatched_sleep_and_not_the_patched(notebook):
    run = notebook(BACKGROUND)
    unpatched, patched = [c for c in run.nb.cells
                          if "%greenspawn --name sleepy --wait time.sleep(0.5)" in c.source]
    reports = [t for t in _cell_texts(run, unpatched.source) if "held the hub" in t]
    assert reports and "green thread sleepy" in reports[0] and "time.sleep(0.5)" in reports[0]
    assert not [t for t in _cell_texts(run, patched.source) if "held the hub" in t]
    (blocked,), (free,) = (re.findall(r"longest gap between the ticker's beats: ([\d.]+) s",
                                      "".join(_cell_texts(run, c.source)))
                           for c in (unpatched, patched))
    assert float(blocked) >= 0.4 and float(free) < float(blocked) / 2


@pytest.mark.parametrize(("patched", "named"), [(False, "sleep#"), (True, "nobody")])
def test_background_notebook_form_runs_the_sleeper_patched_or_not(notebook, patched, named):
    kernel = notebook(BACKGROUND).kernel
    said = pressed_output(kernel, "try_sleep", "the detector named", seconds={"value": 0.4},
                          patched={"value": patched})
    assert f"the detector named {named}" in said


def test_background_notebook_dashboard_lists_the_ticker_sleeping(notebook):
    [table] = _cell_texts(notebook(BACKGROUND), "%greentop")
    assert re.search(r"^\d+\s+ticker\s+sleeping\s+sleep\s", table, re.MULTILINE), table
