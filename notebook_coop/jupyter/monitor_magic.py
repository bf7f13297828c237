"""The `%greenmonitor` line magic: the blocking detector's reports on or off, and its threshold.

    %greenmonitor                      # on or off, and the threshold
    %greenmonitor off                  # no more reports in the notebook
    %greenmonitor on --threshold 0.5   # report only holds of the hub longer than 0.5 s

Off only silences the notebook's reports: the watchdog keeps timing the hub, since the stop
button relies on it to find a green thread that holds the hub, and code subscribed with
`monitor.subscribe(callback)` keeps hearing.
"""

from __future__ import annotations

from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring

from .driver import current_driver


@magic_arguments()
@argument("action", nargs="?", choices=["on", "off"],
          help="on: report in the culprit's cell, off: stop reporting; none: print the status")
@argument("--threshold", type=float, metavar="S",
          help="seconds without a switch, while green work is due, that count as a block")
def greenmonitor(line: str) -> None:
    """Report green threads (or cells) that hold the hub while other green work is due."""
    parser = greenmonitor.parser
    try:
        args = parse_argstring(greenmonitor, line)
        if args.threshold is not None and not args.threshold > 0:
            raise UsageError(f"--threshold must be a positive number of seconds, not "
                             f"{args.threshold}")
    except UsageError as exc:
        raise UsageError(f"{exc}\n{parser.format_usage().strip()}") from None
    driver = current_driver()
    if driver is None or driver.monitor is None:
        raise UsageError("%greenmonitor needs the notebook_coop extension loaded on the "
                         "kernel's main thread")
    monitor = driver.monitor
    if args.threshold is not None:
        monitor.threshold = args.threshold
    if args.action == "on" and not monitor.subscribed(driver.reports):
        driver.reports.after_block = monitor.blocks
        monitor.subscribe(driver.reports)
    if args.action == "on":
        monitor.start()
    elif args.action == "off":
        monitor.unsubscribe(driver.reports)
    print(status(driver))


def status(driver: Any) -> str:
    """`on: reports holds of the hub longer than 0.1 s in the culprit's cell`, or off."""
    monitor = driver.monitor
    if monitor.subscribed(driver.reports) and monitor.running:
        return (f"on: reports holds of the hub longer than {monitor.threshold:g} s "
                "in the culprit's cell")
    return f"off (threshold {monitor.threshold:g} s; the stop button still uses it)"


def register(ip: Any) -> None:
    """Register %greenmonitor with an IPython shell (called by the extension's loader)."""
    ip.register_magic_function(greenmonitor, "line", "greenmonitor")


def unregister(ip: Any) -> None:
    """Remove %greenmonitor again (at unload)."""
    ip.magics_manager.magics["line"].pop("greenmonitor", None)
