"""An echo server in notebook_coop, eventlet, gevent, asyncio and uvloop, side by side.

    python benchmarks/bench_echo.py              # 5 interleaved rounds, table into README.md
    python benchmarks/bench_echo.py --quick      # fewer messages, 2 rounds, prints only

Each round starts, per library, a fresh server process that spawns one client process (the
same uvloop client for every library): 100 connections, each sending 64-byte messages and
waiting for the echo before sending the next (ping-pong), 2000 messages per connection. The
client reports messages per second and round-trip percentiles; the server its CPU time (user +
system, getrusage) per message. Servers use their library's own idiom, without patching.
"""

from __future__ import annotations

import asyncio
import json
import resource
import subprocess
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from time import perf_counter

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

import _harness as harness  # noqa: E402
from _harness import Row, Target  # noqa: E402

README = HERE / "README.md"
CLIENTS = 100
MESSAGES = 2000
SIZE = 64
ROWS = [
    Row("echo, messages per second", "echo", "rate", "k msg/s", True, 1e-3),
    Row("echo, p50 round trip", "echo", "p50", "us", False),
    Row("echo, p99 round trip", "echo", "p99", "us", False),
    Row("echo, server CPU per message", "echo", "cpu", "us", False),
]
TARGETS = [Target("echo", "rate", "gevent", 1.0)]


# -- the servers: each returns once `clients` connections have come and gone ---------------------

def echo_handler(clients: int, finish: Callable[[], object]) -> Callable:
    """A green connection handler: echo until the peer closes; after the last client, finish()."""
    left = [clients]

    def handle(sock, addr):
        while True:
            data = sock.recv(4096)
            if not data:
                break
            sock.sendall(data)
        left[0] -= 1
        if not left[0]:
            finish()

    return handle


def serve_with(lib, clients: int, ready) -> None:
    """eventlet's idiom, which notebook_coop.net shares: serve until the last handler raises
    StopServe."""

    def stop() -> None:
        raise lib.StopServe

    server = lib.listen(("127.0.0.1", 0))
    ready(server.getsockname()[1])
    lib.serve(server, echo_handler(clients, stop), concurrency=10000)


def serve_notebook_coop(clients: int, ready) -> None:
    from notebook_coop import net

    serve_with(net, clients, ready)


def serve_eventlet(clients: int, ready) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # eventlet warns on import that it is deprecated
        import eventlet

    serve_with(eventlet, clients, ready)


def serve_gevent(clients: int, ready) -> None:
    from gevent.event import Event
    from gevent.server import StreamServer

    done = Event()
    server = StreamServer(("127.0.0.1", 0), echo_handler(clients, done.set))
    server.start()
    ready(server.server_port)
    done.wait()
    server.stop()


def serve_asyncio(clients: int, ready) -> None:
    async def main():
        done, left = asyncio.Event(), [clients]

        async def handle(reader, writer):
            while True:
                data = await reader.read(4096)
                if not data:
                    break
                writer.write(data)
                await writer.drain()
            writer.close()
            left[0] -= 1
            if not left[0]:
                done.set()

        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        ready(server.sockets[0].getsockname()[1])
        await done.wait()
        server.close()

    asyncio.run(main())


def serve_uvloop(clients: int, ready) -> None:
    import uvloop

    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    serve_asyncio(clients, ready)


def run_server(lib: str, messages: int) -> dict:
    """Serve one client process; its figures plus this process's CPU per message."""
    client: list[subprocess.Popen] = []

    def ready(port: int) -> None:
        cmd = [sys.executable, __file__, "--client", str(port), str(CLIENTS), str(messages)]
        client.append(subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True))

    before = resource.getrusage(resource.RUSAGE_SELF)
    globals()["serve_" + lib](CLIENTS, ready)
    after = resource.getrusage(resource.RUSAGE_SELF)
    out, _ = client[0].communicate(timeout=60)
    if client[0].returncode:
        raise RuntimeError(f"the client failed with exit code {client[0].returncode}")
    result = json.loads(out)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    result["cpu"] = cpu / (CLIENTS * messages) * 1e6
    return result


# -- the client: one process, uvloop, every connection ping-ponging ------------------------------

class Pinger(asyncio.Protocol):
    """One connection: send a message, wait for all of it to come back, time it, repeat."""

    def __init__(self, messages: int, start: asyncio.Event, done: asyncio.Future) -> None:
        self.left, self.start, self.done = messages, start, done
        self.rtts: list[float] = []
        self.received = 0
        self.sent_at = 0.0

    def connection_made(self, transport) -> None:
        self.transport = transport
        asyncio.ensure_future(self._begin())

    async def _begin(self) -> None:
        await self.start.wait()
        self._ping()

    def _ping(self) -> None:
        self.sent_at = perf_counter()
        self.transport.write(b"x" * SIZE)

    def data_received(self, data: bytes) -> None:
        self.received += len(data)
        if self.received < SIZE:
            return
        self.received = 0
        self.rtts.append(perf_counter() - self.sent_at)
        self.left -= 1
        if self.left:
            self._ping()
        else:
            self.transport.close()
            self.done.set_result(None)


async def client_main(port: int, clients: int, messages: int) -> dict:
    loop = asyncio.get_running_loop()
    start = asyncio.Event()
    pingers = []
    for _ in range(clients):
        done = loop.create_future()
        _, pinger = await loop.create_connection(lambda d=done: Pinger(messages, start, d),
                                                 "127.0.0.1", port)
        pingers.append(pinger)
    began = perf_counter()
    start.set()
    await asyncio.gather(*(p.done for p in pingers))
    elapsed = perf_counter() - began
    rtts = sorted(rtt for p in pingers for rtt in p.rtts)
    return {"rate": len(rtts) / elapsed, "p50": rtts[len(rtts) // 2] * 1e6,
            "p99": rtts[int(len(rtts) * 0.99)] * 1e6}


def run_client(port: int, clients: int, messages: int) -> None:
    try:
        import uvloop
        result = uvloop.run(client_main(port, clients, messages))
    except ImportError:
        result = asyncio.run(client_main(port, clients, messages))
    print(json.dumps(result))


# -- the comparison -----------------------------------------------------------------------------

def main() -> int:
    quick = "a smoke run: 200 messages per connection, 2 rounds, prints only"
    parser = harness.common_parser(__doc__.splitlines()[0], quick)
    args = parser.parse_args()
    harness.check_args(parser, args)
    libs, rounds = harness.chosen_libs(args), harness.round_count(args)
    messages = MESSAGES // 10 if args.quick else MESSAGES
    load_before = harness.load()
    samples = harness.run_rounds(Path(__file__), libs, {"echo": messages}, rounds, timeout=120)
    result_table = harness.table(samples, libs, ROWS, TARGETS)
    print(result_table)
    if not (args.quick or args.no_write):
        harness.write_section(README, "echo", f"""Command: `{harness.command(__file__)}` \
({rounds} rounds); {CLIENTS} connections x {messages} messages of {SIZE} bytes, ping-pong, \
client in a separate process.

{harness.conditions(load_before)}

{result_table}

Figures are medians over rounds; in brackets notebook_coop's figure divided by that library's,
per round, medianed (above 1 is better for rates, below 1 for times and CPU).""")
    return harness.exit_status(samples)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--client"]:
        run_client(*map(int, sys.argv[2:5]))
    elif sys.argv[1:2] and sys.argv[1] in harness.LIBS:
        print(json.dumps(run_server(sys.argv[1], int(sys.argv[3]))))
    else:
        sys.exit(main())
