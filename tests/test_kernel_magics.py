"""%%greenspawn, %greenspawn, %greenthreads, %greenkill and %greenwait in a real kernel."""

import pytest
from kernel_helpers import running_kernel


@pytest.fixture(scope="module")
def k():
    with running_kernel() as kernel:
        kernel.run("from notebook_coop import sleep")
        yield kernel


def test_cell_body_runs_as_n_green_threads_each_with_its_index(k):
    cell = k.run("%%greenspawn -n 3 -o copies\nsleep(0.01)\nprint('copy', index)\nindex * 10")
    k.wait_for_text(cell, "copy 2")
    assert sorted(k.stdout(cell).splitlines()) == ["copy 0", "copy 1", "copy 2"]
    assert k.evaluate("[gt.wait() for gt in copies]") == "[0, 10, 20]"


def test_body_variables_stay_local_and_globals_are_the_notebooks(k):
    k.run("shared = 'notebook value'")
    k.run("%%greenspawn --wait\nlocal_only = shared.upper()\nglobal published\n"
          "published = local_only")
    assert k.evaluate("published, 'local_only' in globals()") == "('NOTEBOOK VALUE', False)"


def test_without_wait_the_cell_returns_and_shows_a_live_status(k):
    cell = k.run("%%greenspawn --name napper\nsleep(0.1)")
    assert "napper: running" in k.text(cell)
    k.wait_for(cell, lambda msgs: any(m["msg_type"] == "update_display_data"
                                      and "done" in m["content"]["data"]["text/plain"]
                                      for m in msgs))


def test_status_shows_the_error_of_a_failed_green_thread(k):
    cell = k.run("%%greenspawn --name failing\nraise ValueError('bad input')")
    k.wait_for_text(cell, "failing: failed (ValueError: bad input)")
    k.wait_for_text(cell, "raise ValueError('bad input')")  # the traceback shows the cell's line


def test_wait_blocks_and_reraises_the_failure_with_the_cells_line(k):
    cell = k.run("%%greenspawn --wait\nprint('started')\n1/0", allow_error=True)
    reply = k.replies[cell]["content"]
    assert reply["ename"] == "ZeroDivisionError"
    assert "1/0" in "\n".join(reply["traceback"])
    assert k.stdout(cell) == "started\n"


def test_timeout_raises_timeout_inside_the_green_thread(k):
    cell = k.run("%%greenspawn --wait --timeout 0.05\nsleep(5)", allow_error=True)
    assert k.replies[cell]["content"]["ename"] == "Timeout"


def test_pool_limits_how_many_copies_run_at_once(k):
    k.run("running = peak = 0")
    k.run("%%greenspawn -n 6 --pool 2 --wait\nglobal running, peak\nrunning += 1\n"
          "peak = max(peak, running)\nsleep(0.01)\nrunning -= 1")
    assert k.evaluate("peak") == "2"


def test_after_delays_the_start(k):
    k.run("import time\nt0 = time.monotonic()")
    k.run("%%greenspawn --after 0.1 --wait\nglobal started_at\nstarted_at = time.monotonic()")
    assert k.evaluate("started_at - t0 >= 0.09") == "True"


def test_line_form_spawns_a_call_with_its_quotes_intact(k):
    cell = k.run("%greenspawn --wait -o said print('a  b', \"c\")")
    assert k.stdout(cell) == "a  b c\n"
    assert k.evaluate("said.dead") == "True"


def test_rerunning_a_cell_replaces_the_green_threads_it_started(k):
    body = "%%greenspawn -o looper\nwhile True:\n    sleep(0.01)"
    k.run(body, cell_id="cell-loop")
    k.run("first = looper")
    rerun = k.run(body, cell_id="cell-loop")
    assert "replaced 1 green thread" in k.stdout(rerun)
    assert k.evaluate("first.dead, looper.dead") == "(True, False)"
    k.run("%greenkill --all")


def test_spawning_an_existing_name_replaces_it(k):
    k.run("%greenspawn --name keeper sleep(30)")
    k.run("from notebook_coop.greenthread import live_threads\n"
          "old = [gt for gt in live_threads() if gt.name == 'keeper']")
    k.run("%greenspawn --name keeper sleep(30)")
    assert k.evaluate("old[0].dead") == "True"
    k.run("%greenkill keeper")


def test_greenthreads_lists_name_state_reason_and_spawning_cell(k):
    spawning = k.run("%greenspawn --name lister sleep(30)")
    count = k.replies[spawning]["content"]["execution_count"]
    table = k.stdout(k.run("%greenthreads"))
    header, *rows = table.splitlines()
    assert header.split() == ["id", "name", "state", "waiting", "on", "run", "time",
                              "switches", "cell"]
    row = next(r for r in rows if " lister " in r)
    assert "blocked" in row and "sleep" in row and f"In[{count}]" in row
    k.run("%greenkill lister")


def test_greenkill_by_id_runs_finally_blocks(k):
    k.run("cleaned = []\ndef guarded():\n    try:\n        sleep(30)\n"
          "    finally:\n        cleaned.append('yes')\n"
          "from notebook_coop import spawn\nvictim = spawn(guarded)\nsleep(0)")
    assert "killed 1" in k.stdout(k.run("%greenkill {victim.id}"))
    assert k.evaluate("cleaned, victim.dead") == "(['yes'], True)"


def test_greenwait_with_timeout_reports_what_still_runs(k):
    k.run("%greenspawn --name quick sleep(0.01)")
    k.run("%greenspawn --name slowpoke sleep(30)")
    out = k.stdout(k.run("%greenwait quick slowpoke --timeout 0.1"))
    assert out.strip() == "1 done; still running: slowpoke"
    k.run("%greenkill slowpoke")


def test_help_shows_the_options(k):
    cell = k.run("%greenspawn?")
    help_text = k.replies[cell]["content"]["payload"][0]["data"]["text/plain"]
    for option in ("-n N", "--name", "--pool SIZE", "--after SECONDS", "--wait",
                   "--timeout S", "-o VAR"):
        assert option in help_text


def test_greenkill_of_threads_that_already_finished_says_when(k):
    k.run("%%greenspawn -n 3 --name finisher --wait\nsleep(0.01)")
    out = k.stdout(k.run("%greenkill finisher"))
    assert out.startswith("finisher: already finished, the last ")
    assert out.rstrip().endswith("3 done")
    assert "no green thread" not in out


def test_greenthreads_names_unnamed_threads_by_function_and_id(k):
    k.run("from notebook_coop import spawn\ndef fetch():\n    sleep(30)\nfetcher = spawn(fetch)")
    spawning = k.run("%%greenspawn -o celled\nsleep(30)")
    count = k.replies[spawning]["content"]["execution_count"]
    table = k.stdout(k.run("%greenthreads"))
    ids = k.evaluate("fetcher.id, celled.id")
    fetcher_id, celled_id = ids.strip("()").split(", ")
    assert f"fetch#{fetcher_id}" in table
    assert f"In[{count}]#{celled_id}" in table
    k.run("fetcher.kill(); celled.kill()")


def test_the_status_line_says_killed_for_threads_ended_by_greenkill(k):
    cell = k.run("%%greenspawn -n 3 --name victim\nsleep(30)")
    k.run("%greenkill victim")
    k.wait_for_text(cell, "victim: 3 killed [")
    assert "failed" not in k.text(cell)


def test_the_status_line_says_cancelled_for_a_thread_killed_before_it_started(k):
    cell = k.run("%%greenspawn --after 30 --name later\nprint('never')")
    k.run("%greenkill later")
    k.wait_for_text(cell, "later: cancelled [")


def test_greenwait_says_how_each_ended(k):
    k.run("%%greenspawn -n 2 --name mixed\nif index:\n    raise ValueError('second')\n")
    k.run("%greenspawn --name sleeper sleep(30)")
    k.run("%greenkill sleeper")
    out = k.stdout(k.run("%greenwait mixed sleeper"))
    assert out.strip() == "1 done; 1 killed; mixed[1] failed: ValueError: second"


def test_bare_greenkill_says_what_to_give(k):
    cell = k.run("%greenkill", allow_error=True)
    assert "give the names or ids of the green threads to kill" in k.text(cell)
    assert "not both" not in k.text(cell)


def test_greenspawn_help_shows_the_cell_form_in_its_usage_line(k):
    cell = k.run("%greenspawn?")
    help_text = k.replies[cell]["content"]["payload"][0]["data"]["text/plain"]
    assert "%%greenspawn [-n N]" in help_text
    assert "%greenspawn [options] CODE" in help_text


@pytest.mark.parametrize("line", [
    "%greenspawn -n x f()",
    "%greenspawn -n 0 f()",
    "%greenspawn --bogus f()",
    "%greenspawn",
    "%greenkill",
    "%greenkill nobody",
    "%greenwait --timeout -1",
])
def test_bad_arguments_print_usage_and_the_kernel_lives_on(k, line):
    cell = k.run(line, allow_error=True)
    assert "UsageError" in k.text(cell)
    assert k.evaluate("1+1") == "2"
