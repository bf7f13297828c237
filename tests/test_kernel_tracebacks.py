"""Green threads' errors in a real kernel look like any failing cell's: an `error` output with
ename, evalue and IPython's traceback (`Cell In[n]`), without notebook_coop's own frames."""

import time

import pytest
from kernel_helpers import plain, running_kernel

SETUP = "from notebook_coop import spawn, sleep\nimport time"


@pytest.fixture(scope="module")
def k():
    with running_kernel() as kernel:
        kernel.run(SETUP)
        yield kernel


def error_outputs(k, cell, count=1):
    """The `error` messages of a cell, once `count` of them arrived."""
    k.wait_for(cell, lambda msgs: sum(m["msg_type"] == "error" for m in msgs) >= count)
    return [m["content"] for m in k.messages(cell, "error")]


def traceback_text(error):
    return plain("\n".join(error["traceback"]))


def reads_like_a_cell(text):
    return "Cell In[" in text and "notebook_coop/" not in text


def test_a_greenspawn_threads_error_is_an_error_output_in_its_cell(k):
    cell = k.run("%%greenspawn --name broken\nx = 1\nraise ValueError('bad input')")
    [error] = error_outputs(k, cell)
    text = traceback_text(error)
    assert (error["ename"], error["evalue"]) == ("ValueError", "bad input")
    assert reads_like_a_cell(text)
    assert "----> 2 raise ValueError('bad input')" in text
    assert text.startswith("Exception in green thread broken:")
    assert "failed with" not in k.text(cell)


def test_an_error_nobody_waits_for_lands_in_the_spawning_cell_later(k):
    spawning = k.run("def late():\n    sleep(0.2)\n    raise KeyError('late')\nspawn(late)")
    other = k.run("sleep(0.5)")
    [error] = error_outputs(k, spawning)
    assert error["ename"] == "KeyError"
    assert reads_like_a_cell(traceback_text(error))
    assert k.messages(other, "error") == []


def test_wait_reraises_in_the_cell_with_the_threads_frames_and_none_of_ours(k):
    cell = k.run("def inner():\n    return 1 / 0\ngt = spawn(inner)\ngt.wait()", allow_error=True)
    reply = k.replies[cell]["content"]
    text = plain("\n".join(reply["traceback"]))
    assert reply["ename"] == "ZeroDivisionError"
    assert reads_like_a_cell(text)
    assert "----> 4 gt.wait()" in text and "----> 2     return 1 / 0" in text
    assert k.messages(cell, "error")[0]["content"]["ename"] == "ZeroDivisionError"


def test_greenspawn_wait_raises_the_first_failure_and_shows_the_others(k):
    cell = k.run("%%greenspawn -n 2 --wait\nraise ValueError(f'copy {index}')", allow_error=True)
    reply = k.replies[cell]["content"]
    errors = error_outputs(k, cell, count=2)
    assert reply["evalue"] == "copy 0"
    assert sorted(e["evalue"] for e in errors) == ["copy 0", "copy 1"]
    assert all(reads_like_a_cell(traceback_text(e)) for e in errors)


def test_a_cell_interrupted_in_a_green_wait_shows_its_own_line_only(k):
    cell = k.send("print('waiting', flush=True)\nsleep(30)")
    k.wait_for_text(cell, "waiting")
    time.sleep(0.2)  # past the print, into the green wait
    k.km.interrupt_kernel()
    reply = k.reply(cell)["content"]
    k.idle(cell)
    text = plain("\n".join(reply["traceback"]))
    assert reply["ename"] == "KeyboardInterrupt"
    assert reads_like_a_cell(text)
    assert "----> 2 sleep(30)" in text


def test_an_error_raised_inside_notebook_coop_keeps_its_frames(k):
    cell = k.run("spawn(42)", allow_error=True)
    text = plain("\n".join(k.replies[cell]["content"]["traceback"]))
    assert "Cell In[" in text and "notebook_coop/greenthread.py" in text
    assert "spawn() needs a callable" in text
