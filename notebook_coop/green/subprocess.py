"""Green `subprocess`: `Popen` whose `wait()` and `communicate()` suspend only the calling
green thread, and `run`, `call`, `check_call`, `check_output`, `getoutput` built on it.

    proc = Popen(["sort"], stdin=PIPE, stdout=PIPE)
    out, _ = proc.communicate(b"b\\na\\n", timeout=5)   # other green threads run meanwhile

These are the stdlib's own code, looking up green `os`, `time` and `selectors` (a subclass of
the stdlib's Popen, so isinstance checks still hold).
"""

from __future__ import annotations

import subprocess as _subprocess
from types import FunctionType

from . import os as _green_os
from . import rebind, reexport
from . import selectors as _green_selectors
from . import time as _green_time

reexport(_subprocess, globals())

os = _green_os
time = _green_time
selectors = _green_selectors
_PopenSelector = _green_selectors.PollSelector


def _green_subclass(cls: type) -> type:
    """A subclass of `cls` whose methods written in subprocess.py run on green names (methods
    decorated from elsewhere, like contextmanagers, are inherited untouched)."""
    own = vars(_subprocess)
    methods = {name: rebind(value, globals()) for name, value in vars(cls).items()
               if isinstance(value, FunctionType) and value.__globals__ is own}
    return type(cls.__name__, (cls,), dict(methods, __doc__=cls.__doc__))


Popen = _green_subclass(_subprocess.Popen)
call = rebind(_subprocess.call, globals())
check_call = rebind(_subprocess.check_call, globals())
check_output = rebind(_subprocess.check_output, globals())
run = rebind(_subprocess.run, globals())
getstatusoutput = rebind(_subprocess.getstatusoutput, globals())
getoutput = rebind(_subprocess.getoutput, globals())


def patched_attributes() -> dict[str, object]:
    return {"Popen": Popen, "call": call, "check_call": check_call,
            "check_output": check_output, "run": run, "getstatusoutput": getstatusoutput,
            "getoutput": getoutput}
