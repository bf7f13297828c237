"""Output routing in a real kernel: what a green thread displays, plots with `plt.show()`, changes
in a widget or writes to stderr lands in the cell that spawned it, also after that cell finished
and later cells ran. (stdout and tracebacks: test_kernel_driver.py.) Each green thread waits on an
Event that a later cell sets, so "later" is certain, not a matter of timing."""

import pytest
from kernel_helpers import running_kernel

SETUP = """
from notebook_coop import spawn, sleep, Event
from IPython.display import display, Markdown, HTML
"""


@pytest.fixture(scope="module")
def k():
    with running_kernel() as kernel:
        kernel.run(SETUP)
        yield kernel


def spawn_waiting(k, body: str) -> str:
    """Run a cell that spawns a green thread running `body` once `go` is set; its msg_id."""
    code = "go = Event()\ndef later():\n    go.wait()\n" + "".join(
        f"    {line}\n" for line in body.splitlines()) + "gt = spawn(later)"
    return k.run(code)


def release(k) -> str:
    """A later cell that lets the waiting green thread go and waits for it; its msg_id."""
    return k.run("go.send()\ngt.wait()")


def data_of(k, msg_id: str, msg_type: str, mime: str) -> list:
    return [m["content"] for m in k.messages(msg_id, msg_type) if mime in m["content"]["data"]]


def test_display_from_a_green_thread_lands_in_the_spawning_cell(k):
    spawning = spawn_waiting(k, "display(Markdown('**green markdown**'))\n"
                                "display(HTML('<b>green html</b>'))")
    later = release(k)
    k.wait_for(spawning, lambda msgs: data_of(k, spawning, "display_data", "text/html"))
    assert data_of(k, spawning, "display_data", "text/markdown")[0]["data"]["text/markdown"] \
        == "**green markdown**"
    assert data_of(k, spawning, "display_data", "text/html")[0]["data"]["text/html"] \
        == "<b>green html</b>"
    assert k.messages(later, "display_data") == []


def test_display_handle_update_from_a_green_thread_lands_in_the_spawning_cell(k):
    spawning = k.run("handle = display(Markdown('first'), display_id=True)\n"
                     "go = Event()\n"
                     "def update():\n    go.wait()\n    handle.update(Markdown('second'))\n"
                     "gt = spawn(update)")
    later = release(k)
    updates = k.wait_for(spawning, lambda msgs: any(
        m["msg_type"] == "update_display_data" for m in msgs))
    shown = k.messages(spawning, "display_data")[0]["content"]
    update = next(m["content"] for m in updates if m["msg_type"] == "update_display_data")
    assert update["data"]["text/markdown"] == "second"
    assert update["transient"]["display_id"] == shown["transient"]["display_id"]
    assert k.messages(later, "update_display_data") == []


@pytest.fixture(scope="module")
def inline(k):
    k.run("%matplotlib inline\nimport matplotlib.pyplot as plt")
    return k


def test_plt_show_after_later_cells_ran_lands_in_the_spawning_cell(inline):
    k = inline
    spawning = spawn_waiting(k, "plt.plot([3, 1, 2])\nplt.show()")
    k.run("print('an unrelated cell')")
    later = release(k)
    k.wait_for(spawning, lambda msgs: data_of(k, spawning, "display_data", "image/png"))
    assert data_of(k, later, "display_data", "image/png") == []


@pytest.fixture(scope="module")
def with_widgets(k):
    k.run("import ipywidgets as widgets")
    return k


@pytest.fixture(scope="module")
def slider(with_widgets):
    """An IntSlider shown by its own cell; its comm id."""
    with_widgets.run("slider = widgets.IntSlider()\ndisplay(slider)")
    return with_widgets.evaluate("slider.model_id").strip("'")


def comm_updates(k, msg_id: str, comm_id: str) -> list[dict]:
    """The `update` comm messages of widget `comm_id` sent with request `msg_id` as parent."""
    return [m["content"]["data"] for m in k.messages(msg_id, "comm_msg")
            if m["content"]["comm_id"] == comm_id and m["content"]["data"]["method"] == "update"]


def test_widget_update_from_a_green_thread_lands_in_the_spawning_cell(k, slider):
    spawning = spawn_waiting(k, "slider.value = 7")
    later = release(k)
    k.wait_for(spawning, lambda msgs: comm_updates(k, spawning, slider))
    assert comm_updates(k, spawning, slider)[0]["state"] == {"value": 7}
    assert comm_updates(k, later, slider) == []


def test_widget_created_in_a_green_thread_is_displayed_in_the_spawning_cell(with_widgets):
    k = with_widgets
    spawning = spawn_waiting(
        k, "global label\nlabel = widgets.Label('made in a green thread')\ndisplay(label)")
    later = release(k)
    comm_id = k.evaluate("label.model_id").strip("'")
    k.wait_for(spawning, lambda msgs: any(m["msg_type"] == "display_data" for m in msgs))
    view = k.messages(spawning, "display_data")[0]["content"]["data"]
    assert view["application/vnd.jupyter.widget-view+json"]["model_id"] == comm_id
    assert comm_id in [m["content"]["comm_id"] for m in k.messages(spawning, "comm_open")]
    assert k.messages(later, "display_data") == []


def test_stderr_of_a_green_thread_lands_in_the_spawning_cell(k):
    spawning = spawn_waiting(k, "import sys\nprint('to stderr', file=sys.stderr)")
    k.run("print('an unrelated cell')")
    later = release(k)
    k.wait_for(spawning, lambda msgs: any(
        m["msg_type"] == "stream" and m["content"]["name"] == "stderr" for m in msgs))
    assert [m["content"]["text"] for m in k.messages(spawning, "stream")] == ["to stderr\n"]
    assert k.messages(later, "stream") == []


def test_output_arrives_while_the_cell_waits_on_busy_green_threads(k):
    """The kernel's IOPub thread needs the GIL to send a green thread's print: it gets it while
    yielding green threads keep the hub busy and the cell waits, not only when the cell ends."""
    k.run("import time\n"
          "def busy(seconds, say=None):\n"
          "    if say:\n        print(say, flush=True)\n"
          "    end = time.monotonic() + seconds\n"
          "    while time.monotonic() < end:\n        sleep(0)\n"
          "bystanders = [spawn(busy, 2.5) for _ in range(25)]")
    cell = k.send("busy_one = spawn(busy, 2, 'started')\nbusy_one.wait()")
    k.wait_for_text(cell, "started")
    [started] = [m["received"] for m in k.messages(cell, "stream")]
    k.reply(cell)
    k.idle(cell)
    [idle] = [m["received"] for m in k.by_parent[cell]
              if m["msg_type"] == "status" and m["content"]["execution_state"] == "idle"]
    assert idle - started > 1.0  # it came within the cell's two seconds, not at their end
