"""One worker as the server sees it: `Seat`, the bookkeeping the pool keeps for any worker
(its runs, which play, why it died, its memory), and `WorkerProc`, a worker process and the
one connection to it (`request`: a command and its answer, pipelined across threads).
`WorkerLost` is what a call on a dead worker raises.

A worker is a fresh interpreter (`python -m lab.pool FD ...`), never a fork: forking a
process whose torch already runs threads is unsafe (the child inherits locks held by threads
that do not exist in it). Not multiprocessing's "spawn" either: spawn re-imports the parent's
main script in the child (the `streamlit` command, pytest, or a user's script without a
`__main__` guard, which then starts workers itself). The two ends of a socket pair carry
multiprocessing Connection messages (pickles of commands and plain answers).
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Callable

from lab.pool.worker import send_plain


def _env(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default



class WorkerLost(RuntimeError):
    """The worker process that held a run stopped (killed, crashed). The run's handle can restart
    from its last saved state on another worker."""

    def __init__(self, message: str, step: int = 0):
        super().__init__(message)
        self.step = step


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "stopped answering"
    if code < 0:
        import signal
        try:
            return f"stopped ({signal.Signals(-code).name})"
        except ValueError:
            return f"stopped (signal {-code})"
    return f"stopped (exit code {code})"


ROOT = Path(__file__).resolve().parents[2]


def _spawn(idle_s: float, drop_s: float) -> tuple[subprocess.Popen, Connection]:
    ours, theirs = socket.socketpair()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    proc = subprocess.Popen([sys.executable, "-m", "lab.pool", str(theirs.fileno()), str(idle_s), str(drop_s)],
                            pass_fds=[theirs.fileno()], cwd=ROOT, env=env, stdin=subprocess.DEVNULL)
    theirs.close()                      # our copy: the worker's death then reads as EOF here
    return proc, Connection(ours.detach())


class Later:
    """An answer read later (`Seat.ask_ahead`): `get()` waits for it (raising as `request` does);
    `forget()` says nobody will read it (it is dropped when it comes). Safe from a finalizer:
    `forget` takes no lock."""

    def __init__(self, get: Callable[[], Any], forget: Callable[[], None] = lambda: None):
        self.get, self.forget = get, forget


class Seat:
    """What the pool keeps about one worker, whatever carries its messages (a process here, a
    Ray actor in lab.pool.ray_worker): its runs, which of them play, why it died, its memory."""

    def __init__(self) -> None:
        self.lock = threading.Lock()        # sending a command (a Ray actor: a command and its answer)
        self.runs: dict[int, str] = {}     # run id -> session
        self.playing: dict[int, float] = {}   # run id -> when its handle last heard it playing
        self.dead = ""                     # why, once it died
        self.rss, self.rss_at = 0, 0.0     # resident bytes, and when measured

    def request(self, op: str, rid: int = 0, *args, **kwargs):
        raise NotImplementedError

    def ask_ahead(self, op: str, rid: int = 0, *args, **kwargs) -> Later:
        """A command whose answer is read later. Here it goes when the answer is asked for (a Ray
        actor answers a call at once anyway); WorkerProc sends it now."""
        return Later(lambda: self.request(op, rid, *args, **kwargs))


class WorkerProc(Seat):
    """One worker process and the connection to it. `request` sends a command and waits for its
    answer; commands from several Streamlit threads are pipelined (see `request`)."""

    def __init__(self, idle_s: float, drop_s: float, spawn=None):
        super().__init__()
        self.proc, self.conn = (spawn or _spawn)(idle_s, drop_s)   # spawn: a test's stand-in worker
        self._sent = 0                     # commands sent: a command's ticket is its number
        self._answers: dict[int, tuple] = {}   # answers read, not yet taken by whoever asked
        self._dropped: set[int] = set()        # tickets whose answers nobody will read (Later.forget)
        self._answered = threading.Condition()
        threading.Thread(target=self._read_answers, name="genlab-pool-answers", daemon=True).start()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def request(self, op: str, rid: int = 0, *args, **kwargs):
        """Send one command and return its answer (raise the worker's error, or WorkerLost).
        Pipelined: a command goes out at once (under `lock`, so messages never interleave) and
        the worker, which answers in order, is never left idle between two threads' round trips.
        Holding the lock for a whole round trip, as before, made every command wait for the
        previous thread to wake up and read its answer under a GIL shared with 20 sessions'
        drawing: at 20 sessions a thread dump showed 14 of 20 ticks queued on two workers' locks."""
        return self._result(self._send(op, rid, args, kwargs))

    def ask_ahead(self, op: str, rid: int = 0, *args, **kwargs) -> Later:
        """Send a command now and read its answer later (a live page's next snapshot: the worker
        answers it between slices while the page waits for its next tick)."""
        ticket = self._send(op, rid, args, kwargs)
        return Later(lambda: self._result(ticket), lambda: self._forget(ticket))

    def _send(self, op: str, rid: int, args: tuple, kwargs: dict) -> int:
        with self.lock:
            if self.dead:
                raise WorkerLost(self.dead)
            try:
                send_plain(self.conn, (op, rid, args, kwargs))      # a Build may carry a tensor
            except (EOFError, OSError):
                self._died()
            ticket, self._sent = self._sent, self._sent + 1
        return ticket

    def _result(self, ticket: int):
        with self._answered:
            while ticket not in self._answers:
                if self.dead:
                    raise WorkerLost(self.dead)
                self._answered.wait()
            status, value = self._answers.pop(ticket)
        if status == "err":
            raise value
        return value

    def _forget(self, ticket: int) -> None:
        """Nobody will read `ticket`'s answer: drop it, whether it came already or comes later
        (the reader checks `_dropped` after storing; set and dict operations are atomic, so no
        lock, and a finalizer may call this from any thread)."""
        self._dropped.add(ticket)
        if self._answers.pop(ticket, None) is not None:
            self._dropped.discard(ticket)

    def _read_answers(self) -> None:
        """The connection's reader thread: every answer is read as soon as it comes, so a worker
        never waits to send one. An answer asked ahead is taken a whole tick later, and when
        the thread that asked was the only one reading, a VAE snapshot (larger than the socket's
        buffer) held its worker at `send` until then: it trained 4 steps/s instead of 20."""
        read = 0
        try:
            while True:
                got = self.conn.recv()
                with self._answered:
                    self._answers[read] = got
                    if read in self._dropped:              # forgotten: nobody waits for it
                        self._answers.pop(read, None)
                        self._dropped.discard(read)
                    read += 1
                    self._answered.notify_all()
        except (EOFError, OSError):
            try:
                self._died()
            except WorkerLost:
                pass

    def _died(self) -> None:
        """The connection broke: say why (its exit), wake every waiting thread, raise WorkerLost."""
        if not self.dead:
            try:
                code = self.proc.wait(2.0)
            except subprocess.TimeoutExpired:
                code = None
            self.dead = f"The training process for this run {_describe_exit(code)}"
        with self._answered:
            self._answered.notify_all()
        raise WorkerLost(self.dead) from None

    def stop(self, timeout: float = 5.0) -> None:
        if not self.dead and self.proc.poll() is None:
            try:
                self.request("exit")
            except Exception:
                pass
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout)
        self.dead = self.dead or "stopped"
        self.conn.close()
