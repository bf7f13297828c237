"""The dashboard in a real kernel: updates while idle and none after close, kills by comm."""

import time

import pytest
from kernel_helpers import running_kernel

SETUP = """
import notebook_coop
from notebook_coop import sleep, spawn
from notebook_coop.jupyter import dashboard as dash
cleaned = []
def worker():
    try:
        while True:
            sleep(0.02)
    finally:
        cleaned.append(True)
"""


@pytest.fixture
def k():
    with running_kernel() as kernel:
        kernel.run(SETUP)
        yield kernel


def model_ids(k, expr="d"):
    """The comm ids of the dashboard `expr` and every widget it made."""
    ids = k.evaluate(f"sorted({{w.model_id for w in {expr}._make.made}} | {{{expr}.model_id}})")
    return set(eval(ids))


def comm_messages(k, ids, msg_type="comm_msg"):
    """Every comm message so far (any parent) to one of `ids`, oldest first."""
    found = [m for msgs in list(k.by_parent.values()) for m in msgs
             if m["msg_type"] == msg_type and m["content"].get("comm_id") in ids]
    return sorted(found, key=lambda m: m["received"])


def wait_for_comm(k, ids, check, timeout=10.0):
    """Drain IOPub until `check(comm messages)` holds."""
    deadline = time.monotonic() + timeout
    while not check(comm_messages(k, ids)):
        assert time.monotonic() < deadline, "no such comm message arrived"
        k.drain(0.05)


def click(k, model_id):
    """A click as the browser sends it: a comm message to the button's model."""
    content = {"comm_id": model_id, "data": {"method": "custom", "content": {"event": "click"}}}
    k.kc.shell_channel.send(k.kc.session.msg("comm_msg", content))


def test_updates_keep_arriving_while_the_kernel_idles_and_stop_after_close(k):
    k.run("gt = spawn(worker)\nd = notebook_coop.dashboard(interval=0.05)\nd")
    ids = model_ids(k)
    seen = len(comm_messages(k, ids))
    wait_for_comm(k, ids, lambda msgs: len(msgs) >= seen + 5)  # no request is running
    k.run("d.close()")
    k.drain(0.5)
    closed_at = time.time()
    k.drain(1.0)
    late = [m for m in comm_messages(k, ids) if m["received"] > closed_at]
    assert late == []
    assert {m["content"]["comm_id"] for m in comm_messages(k, ids, "comm_close")} == ids
    assert k.evaluate("dash.open_dashboards(), d._timer") == "([], None)"
    k.run("gt.kill()")


def test_a_kill_click_from_the_frontend_ends_the_thread_and_runs_its_finally(k):
    k.run("gt = spawn(worker)\nd = notebook_coop.dashboard(interval=0.05)\nd")
    button = k.evaluate("d.rows[0].kill.model_id").strip("'")
    assert k.evaluate("d.rows[0].kill.tooltip") == f"'kill {k.evaluate('gt.label')[1:-1]}'"
    click(k, button)
    k.drain(0.5)
    assert k.evaluate("gt.dead, gt.outcome, cleaned") == "(True, 'killed', [True])"
    assert 'coop-st-killed">killed</span>' in k.evaluate("d.finished.value")
    k.run("d.close()")


def test_a_plain_cell_shows_the_note_that_clicks_wait(k):
    k.run("d = notebook_coop.dashboard(interval=0.05)\nd")
    ids = model_ids(k)
    note = k.evaluate("d.note.model_id").strip("'")

    def note_values():
        return [m["content"]["data"]["state"].get("value") for m in comm_messages(k, {note})
                if "value" in m["content"]["data"].get("state", {})]

    k.run("import time\ntime.sleep(0.3)")
    k.drain(0.3)
    assert dash_busy(k) in note_values()
    assert note_values()[-1] == ""
    assert ids
    k.run("d.close()")


def dash_busy(k):
    return eval(k.evaluate("dash.BUSY"))


def test_the_detector_banner_names_a_thread_that_holds_the_hub(k):
    k.run("d = notebook_coop.dashboard(interval=0.05)\nd")
    banner = k.evaluate("d.banner.model_id").strip("'")
    k.run("from notebook_coop.patcher import original\n"
          "def hog():\n    original('time').sleep(0.5)\n"
          "hogger = spawn(hog)\nhogger.name = 'hogger'\nspawn(sleep, 0)")
    wait_for_comm(k, {banner}, lambda msgs: any(
        "green thread hogger has held the hub" in m["content"]["data"]["state"].get("value", "")
        for m in msgs))
    k.run("d.close()")


def test_greentop_shows_the_widget_with_a_text_rendering(k):
    k.run("gt = spawn(worker)\ngt.name = 'visible'")
    cell = k.run("%greentop --top 3")
    [data] = [m["content"]["data"] for m in k.messages(cell, "display_data")
              if "application/vnd.jupyter.widget-view+json" in m["content"]["data"]]
    assert "application/vnd.jupyter.widget-view+json" in data
    assert "visible" in data["text/plain"] and data["text/plain"].startswith("green threads:")
    assert k.evaluate("len(dash.open_dashboards())") == "1"
    k.run("gt.kill()")


def test_unload_closes_every_dashboard_and_leaves_no_timer(k):
    k.run("d1 = notebook_coop.dashboard(interval=0.05)\nd2 = notebook_coop.dashboard()")
    ids = model_ids(k, "d1") | model_ids(k, "d2")
    k.run("%unload_ext notebook_coop")
    k.drain(0.3)
    assert {m["content"]["comm_id"] for m in comm_messages(k, ids, "comm_close")} == ids
    assert k.evaluate("dash.open_dashboards(), d1.closed, d2.closed") == "([], True, True)"
    assert k.evaluate("str(notebook_coop.get_hub().next_deadline())") == "'None'"


def test_a_restart_with_a_dashboard_drawing_its_timeline_exits_cleanly(k):
    k.run("threads = [spawn(worker) for _ in range(100)]\n"
          "d = notebook_coop.dashboard(timeline=True)\nd")
    image = k.evaluate("d.timeline.image.model_id").strip("'")
    wait_for_comm(k, {image}, lambda msgs: any(m.get("buffers") for m in msgs))
    old = k.km.provisioner.process
    k.km.restart_kernel(now=False)
    assert old.wait(timeout=10) == 0  # not killed, not aborted by a thread left drawing
    k.kc.wait_for_ready(timeout=60)
    assert k.evaluate("1 + 1") == "2"


def test_greentop_refuses_a_bad_top_with_its_usage(k):
    cell = k.run("%greentop --top 0", allow_error=True)
    assert "--top must be from 1 to 200, not 0" in k.text(cell)
    assert k.evaluate("dash.open_dashboards()") == "[]"


def test_nbclient_keeps_the_text_rendering_of_a_dashboard(tmp_path):
    import nbformat
    from test_notebooks import executed

    cells = ["%load_ext notebook_coop",
             "import notebook_coop\nfrom notebook_coop import sleep, spawn\n"
             "gt = spawn(sleep, 30)\ngt.name = 'nb-thread'\nsleep(0)",
             "d = notebook_coop.dashboard()\nd",
             "d.close()\ngt.kill()"]
    path = tmp_path / "dashboard.ipynb"
    nbformat.write(nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(c) for c in cells]), path)
    with executed(path, tmp_path) as run:
        [shown] = run.nb.cells[2].outputs
    text = shown["data"]["text/plain"]
    assert "application/vnd.jupyter.widget-view+json" in shown["data"]
    assert text.startswith("green threads: live threads 1") and "nb-thread  sleeping" in text
