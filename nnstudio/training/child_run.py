"""Training in a child process: ``run_in_child(trainer, ...)`` is ``trainer.run(...)`` with the update loop in a forked
process, so that the studio's drawing (Qt does not let go of Python's interpreter lock while it paints) no longer
takes time from training. Linux only (``available``); elsewhere callers use ``Trainer.run``. No Qt here.

How it goes:
  - the child is made with ``os.fork``: it inherits the Trainer as it stands, its data shared copy-on-write (nothing
    is pickled but what changes). It calls ``trainer.run`` with a ``should_stop`` that reads a shared byte (the parent
    sets it when its own ``should_stop()`` says so; it asks every POLL seconds while waiting) and an ``on_progress``
    that sends what changed since the last message through a pipe; at the end it sends the reason and the rest of
    the state, and always leaves with ``os._exit`` (no atexit handlers, no Qt, never back into the caller's stack);
  - the parent applies every message to ITS OWN Trainer, so that ``trainer.snapshot()`` is what the child's would
    be, and calls its ``on_progress`` with that snapshot. After the last message the parent's Trainer is what an
    in-process run leaves: weights (and the backup a rollback returns to) and optimizer state bit for bit, counters,
    random streams, data order, history, timeline. Two things are held differently, neither visible to anyone: the
    pre-activations of the last batch are kept only as far as a snapshot shows them (``MAX_Z_ROWS`` rows), and a
    big table's outputs still waiting in the epoch's order (``Trainer.last_outputs``) are already in their rows.

What a message holds: the counters, the rows each history series gained (a series thinned since is thinned the same
way by the parent: ``_series_delta``), the timeline's list of checkpoints (new checkpoints in full, the others by
reference), and at the end the optimizer's state, the random streams and the rollback's backup. Objects that stay the
same (checkpoints, data orders, the settings) are sent once and then by reference (``_Shared``). Every weight and
gradient (a snapshot shows them) is written to a block of shared memory (``_Block``), and so are the message's
arrays (a checkpoint is 0.4 MB for 784-128-10, a row of the training path as much); the pipe carries a pickle of a
few KB. The child never waits for the parent: it makes a message only when the parent has applied the last one, and
otherwise goes on training (the rows gained go in the next message).

Why: when the messages carried their arrays through the pipe (0.9 to 13 MB each, 20 a second, 32 MB/s), the child
pickled and copied them, and waited whenever the pipe was full for the parent to read, which the studio's drawing
delays (it holds the interpreter lock). Measured on 784-128-10 on MNIST without a window (bench/child_run_cost.py:
the same Trainer in process and in a child, 5 s each, taking turns): the child made 85-88% of the reference's
updates before, 95-98% after; with the window drawing every panel (bench/gui_responsiveness.py), 78-81% of headless
before, 88-99% after.

If the child raises, it first sends its state as the exception left it, then the error: the parent's Trainer ends
as an in-process run that raised would leave it, and ``ChildRunError`` carries the child's traceback. If the child
dies without a word (killed), or the parent's side fails (its ``on_progress`` raised), the parent's Trainer is put
back to how it stood before the run (``checkpoint.restore``; the history and timeline keep the thinning the run did,
and a big table's latest outputs are unknown again) and ``ChildRunError`` says what happened. No zombie is left:
the child is always waited for.
"""

from __future__ import annotations

import gc
import io
import mmap
import os
import pickle
import signal
import sys
import time
import traceback
from typing import Callable

import numpy as np
from threadpoolctl import threadpool_info  # (imported here, not in the child: an import a thread of the parent was
#   in the middle of when it forked would wait in the child forever, its lock never released)

from nnstudio.training import checkpoint
from nnstudio.training.history import Series
from nnstudio.training.trainer import MAX_OUTPUT_ROWS, MAX_Z_ROWS, Snapshot, Trainer

POLL = 0.004  # seconds between the parent's looks at should_stop() while it waits for a message
HEADER = 64  # bytes at the start of the shared block (_Block): the stop request
MAILBOX = 16 << 20  # bytes of the shared block for the arrays a message carries (rows of the history, checkpoints):
#   a page of it takes memory only once written; a message whose arrays do not fit goes whole through the pipe
STOP_GRACE = 20.0  # seconds a child may stay silent after being asked to stop before it is killed
SMALL_ROW = 8192  # bytes: series with rows up to this size resend their last row (it may have been replaced)
SERIES = ("update_loss", "weights", "errors", "epochs", "path")  # the History's, plus the followed weight's

# figures of the last run_in_child (for benches and tests): messages, their sizes, the child's memory
last_stats: dict = {}
_child_pid: int | None = None  # the child training now (see running_child)


def _aligned(n: int) -> int:
    """``n`` rounded up to a multiple of 64 (a cache line: where each array of the shared block starts)."""
    return -(-n // 64) * 64


class _Block:
    """Memory both processes see (an anonymous shared mapping made before the fork): at byte 0 the stop request (the
    parent sets it), then the weights and the gradients of the newest progress message (so that a message does not
    carry 0.8 MB of them through the pipe and pickle), then the mailbox for the message's other arrays.

    The child writes there only when the parent has applied every message sent so far (``idle``), and so never
    overwrites numbers the parent has not copied yet; meanwhile it makes no message at all (the parent is busy: the
    rows the history gains go in the next one). So at most one progress message waits in the pipe (the end of the
    run's message may follow it at once: the child waits for the parent only before its final state).

    The parent says it has applied a message by writing a byte to a pipe of its own (``ack``), which the child reads
    (``idle``). A count in the shared memory would be cheaper, but nothing would order it: a processor that reorders
    memory accesses (ARM's do) may let the child see the new count before the parent's last reads of the block are
    done, and the child would overwrite numbers being copied. A pipe's writer releases its lock after the byte is in,
    and its reader takes that lock before it reads the byte, so everything the parent did before the write happens
    before everything the child does after the read."""

    def __init__(self, n_parameters: int, dtype, mailbox: int | None = None):
        dtype, mailbox = np.dtype(dtype), MAILBOX if mailbox is None else mailbox
        size = n_parameters * dtype.itemsize
        start = _aligned(HEADER + 2 * size)
        self.map = mmap.mmap(-1, start + mailbox)
        self.weights = np.frombuffer(self.map, dtype, n_parameters, offset=HEADER)
        self.gradients = np.frombuffer(self.map, dtype, n_parameters, offset=HEADER + size)
        self.mailbox = memoryview(self.map)[start:]
        self.sent = 0  # (child side) messages sent
        self.acked = 0  # (child side) messages the parent has said it applied
        self.parent_gone = False  # (child side) the parent's end of the acknowledgements closed
        self._acks_read, self._acks_write = os.pipe()

    def child_side(self) -> None:
        """(in the child, right after the fork) Keep the reading end of the acknowledgements only."""
        os.close(self._acks_write)
        self._acks_write = None
        os.set_blocking(self._acks_read, False)

    def parent_side(self) -> None:
        """(in the parent, right after the fork) Keep the writing end of the acknowledgements only."""
        os.close(self._acks_read)
        self._acks_read = None

    def ack(self) -> None:
        """(parent side) Say that the last message is applied: the child may write the block again."""
        try:
            os.write(self._acks_write, b"a")
        except BrokenPipeError:  # the child is gone: the message pipe tells the parent loop so
            pass

    def post(self, buffers: list[memoryview]) -> list[tuple[int, int]] | None:
        """(child side, when ``idle``) Copy ``buffers`` into the mailbox; where each went (offset, bytes), or None
        when they do not fit."""
        places, at = [], 0
        for b in buffers:
            n = b.nbytes
            if at + n > len(self.mailbox):
                return None
            self.mailbox[at:at + n] = b
            places.append((at, n))
            at = _aligned(at + n)
        return places

    def fetch(self, places: list[tuple[int, int]]) -> list[bytearray]:
        """(parent side) Copies of what ``post`` put in the mailbox."""
        return [bytearray(self.mailbox[at:at + n]) for at, n in places]

    @property
    def stop_asked(self) -> bool:
        return self.map[0] != 0

    def ask_to_stop(self) -> None:
        self.map[0] = 1

    def idle(self) -> bool:
        """(child side) Whether the parent has applied every message sent."""
        while self.acked < self.sent:
            try:
                got = os.read(self._acks_read, 4096)
            except BlockingIOError:
                return False
            if not got:
                self.parent_gone = True
                return False
            self.acked += len(got)
        return True

    def close(self) -> None:
        for fd in (self._acks_read, self._acks_write):
            if fd is not None:
                os.close(fd)
        self._acks_read = self._acks_write = None
        self.mailbox.release()
        del self.weights, self.gradients  # (views of the map: it can't close while they exist)
        self.map.close()


class ChildRunError(RuntimeError):
    """Training in the child failed (``child_traceback``: its traceback, if it sent one) or the child died."""

    def __init__(self, message: str, child_traceback: str = ""):
        super().__init__(message + (f"\n\nThe training process's traceback:\n{child_traceback}"
                                    if child_traceback else ""))
        self.child_traceback = child_traceback


def running_child() -> int | None:
    """The process id of the child training now (None when none is)."""
    return _child_pid


def available() -> bool:
    """Whether training can run in a forked child here: on Linux (fork is cheap and safe for numpy-only code), with
    numpy's BLAS at one thread, as the studio sets it (nnstudio.qt.app.main). OpenBLAS's own fork handler stops its
    worker threads, and with two of them, while other threads multiplied matrices, fork() was seen to hang for good
    (in pthread_join, about once in 200 forks; with one thread, never in 800)."""
    return sys.platform.startswith("linux") and hasattr(os, "fork") and blas_threads() <= 1


def blas_threads() -> int:
    """The most threads any BLAS library loaded here may use (0.2 ms)."""
    return max((d.get("num_threads") or 1 for d in threadpool_info() if d.get("user_api") == "blas"), default=1)


# -- what is shared by reference ---------------------------------------------------------------------------------------
def _shared_objects(t: Trainer) -> list:
    """The objects a message refers to rather than copies: the settings, data orders, confusion counts and
    checkpoints, as the Trainer holds them now."""
    out = [t.experiment, t._order, t.confusion]
    if t._backup_place is not None:
        out.append(t._backup_place[2])
    tl = t.timeline
    if tl is not None:
        for cp in tl._points:
            out += [cp, cp.order, cp.confusion, cp.settings]
        if tl.future is not None:
            out.append(tl.future)
    return [o for o in out if o is not None]


_MISSING = object()


class _Shared:
    """Objects both processes hold, by the child's id() of them. The parent's table is the child's as it was when the
    last message was made (both start from the table made before the fork, which the child inherits)."""

    def __init__(self, objects):
        self.known = {id(o): o for o in objects}

    # child side
    def message(self, payload, trainer: Trainer) -> tuple[bytes, list[memoryview]]:
        """The pickle of ``payload`` and the new shared objects, and the numpy arrays' data it refers to (out of
        band, not copied: they must be written out before the Trainer changes)."""
        reach = {id(o): o for o in _shared_objects(trainer)}
        new = [(i, o) for i, o in reach.items() if self.known.get(i, _MISSING) is not o]
        dropped = [i for i in self.known if i not in reach]
        buf, buffers = io.BytesIO(), []
        p = pickle.Pickler(buf, protocol=5, buffer_callback=buffers.append)
        known = self.known
        p.persistent_id = lambda o: id(o) if known.get(id(o), _MISSING) is o else None
        p.dump((dropped, new, payload))
        self.known = reach
        return buf.getvalue(), [b.raw() for b in buffers]

    # parent side
    def load(self, header: bytes, buffers: list):
        u = pickle.Unpickler(io.BytesIO(header), buffers=buffers)
        u.persistent_load = self.known.__getitem__
        dropped, new, payload = u.load()
        for i in dropped:
            self.known.pop(i, None)
        self.known.update(new)
        return payload


# -- history series ----------------------------------------------------------------------------------------------------
def _series_of(t: Trainer, name: str) -> Series | None:
    return t._followed if name == "followed" else getattr(t.history, name)


class _SeriesSent:
    """(child side) What the parent holds of one series: its object, stride and x values at the last message."""

    def __init__(self, s: Series | None):
        self.obj, self.stride = s, (s.stride if s is not None else 0)
        self.x = s.x.copy() if s is not None else None


def _series_delta(s: Series | None, sent: _SeriesSent):
    """What the parent needs to make its copy of ``s`` equal to it: None (nothing changed), ("none",), or
    ("rows", stride, start, x, values): thin by ``stride`` as the series did, keep the first ``start`` rows, append."""
    if s is None:
        return None if sent.obj is None else ("none",)
    if s is not sent.obj:  # a series of its own (not the one the parent mirrors): sent whole
        return ("new", s.width, s.capacity, s._v.dtype.str, s.head, s.stride, s.x.copy(), s.values.copy())
    x, n = s.x, len(s)
    prev = sent.x
    if s.stride != sent.stride:
        prev = prev[(prev % s.stride == 0) | (prev < s.head)]
    m = min(len(prev), n)
    differ = np.flatnonzero(prev[:m] != x[:m])
    start = int(differ[0]) if len(differ) else m
    if start == len(prev) and start > 0 and s.width * s._v.itemsize <= SMALL_ROW:
        start -= 1  # an update retried after a rollback replaces its row (Series.append): the last row goes again
    if start == n == len(prev) and s.stride == sent.stride:
        return None
    return ("rows", s.stride, start, x[start:].copy(), s.values[start:].copy())


def _apply_series(s: Series | None, d) -> Series | None:
    """(parent side) ``_series_delta``'s answer applied to the parent's copy; returns the series to keep."""
    if d is None:
        return s
    if d[0] == "none":
        return None
    if d[0] == "new":
        width, capacity, dtype, head, stride, x, v = d[1:]
        s = Series(width, capacity, np.dtype(dtype), head)
        s.stride = stride
        n = len(x)
        s._x[:n], s._v[:n], s._n = x, v, n
        return s
    stride, start, x, v = d[1:]
    if stride != s.stride:  # thinned as the child's was (Series.append): the first rows kept, in the same order
        xs = s._x[: s._n]
        rows = np.flatnonzero((xs % stride == 0) | (xs < s.head))
        if len(rows) != s._n:
            s._own(0)  # rows lent to snapshots are never written (see Series.frozen)
            k = len(rows)
            s._x[:k] = s._x[rows]
            s._v[:k] = s._v[rows]
            s._n = k
        s.stride = stride
    s._n = min(s._n, start)
    k = len(x)
    if k:
        s._own(s._n)
        s._x[s._n:s._n + k] = x
        s._v[s._n:s._n + k] = v
        s._n += k
    s._frozen = None
    return s


# -- the child's messages ----------------------------------------------------------------------------------------------
class _ChildState:
    """(child side) Builds the messages: what changed since the last one."""

    def __init__(self, t: Trainer, shared: _Shared, block: _Block):
        self.t, self.shared, self.block = t, shared, block
        self.series = {name: _SeriesSent(_series_of(t, name)) for name in SERIES + ("followed",)}
        self.timeline = None  # what was last sent of it (see _timeline)

    def _timeline(self):
        tl = self.t.timeline
        if tl is None:
            return None
        future = tl.future
        key = (tuple(tl._steps), tl.stride, tl.end, tl.nbytes, frozenset(tl._pinned), id(future))
        if key == self.timeline:
            return None
        self.timeline = key
        return (list(tl._steps), list(tl._points), set(tl._pinned), tl.nbytes, tl.end, tl.stride, future)

    def progress(self, final: bool) -> bytes:
        """The next message (the parent must have applied the last one: ``_Block.idle``). What goes through the
        pipe is the pickle, and where in the block its arrays are (or the arrays, when they do not fit: _Block.post);
        the weights and gradients are always in the block."""
        t = self.t
        net = t.network
        self.block.weights[...] = net.flat_parameters
        self.block.gradients[...] = net.flat_gradients
        series = {}
        for name, sent in self.series.items():
            s = _series_of(t, name)
            d = _series_delta(s, sent)
            if d is not None:
                series[name] = d
                self.series[name] = _SeriesSent(s)
        state = {
            "step": t.step_count, "epoch": t.epoch, "position": t.position, "last_loss": t.last_loss,
            "diverged": t.diverged, "samples_per_second": t.samples_per_second, "elapsed": t.elapsed,
            "best": (t.best.epoch, t.best.loss), "confusion": t.confusion,
            "last_z": tuple(z[:MAX_Z_ROWS] for z in t._last_z), "series": series, "timeline": self._timeline(),
        }
        if final or t.n_train <= MAX_OUTPUT_ROWS:
            state["last_outputs"] = t.last_outputs  # (puts a big table's pending outputs in their rows first)
        if final:
            buffers = t._buffers
            state.update({
                "optimizer": (type(t.optimizer), t.optimizer.t, t.optimizer.state),
                "shuffle_rng": t._shuffle_rng.bit_generator.state,
                "dropout_rng": t._dropout_rng.bit_generator.state,
                "order": t._order, "order_rng_state": t._order_rng_state, "order_drawn_at": t._order_drawn_at,
                "dropout_state_before": t._dropout_state_before,
                "in_use": next(i for i, b in enumerate(buffers) if b is net.flat_parameters),
                "backup": (None if t._backup is None else
                           (next(i for i, b in enumerate(buffers) if b is t._backup), t._backup)),
                "backup_step": t._backup_step, "backup_place": t._backup_place,
            })
        header, buffers = self.shared.message(state, t)
        places = self.block.post(buffers)
        if places is not None:
            return pickle.dumps((header, places, None), protocol=5)
        # in the pipe as they are (a writable array's data is unpickled as a bytearray: the parent's copy is writable
        # as the child's was, as it is when it comes through the block; as bytes it would be read-only, and training
        # on after the run would fail on it: Adam's moments, the outputs)
        return pickle.dumps((header, None, [pickle.PickleBuffer(b) for b in buffers]), protocol=5)


def _child_info() -> dict:
    """The child's memory (peak resident, and private: what it holds beyond the pages it shares with the parent),
    its BLAS threads and whether it collects reference cycles."""
    info = {"pid": os.getpid(), "gc_enabled": gc.isenabled()}
    try:
        for line in open("/proc/self/status").read().splitlines():
            if line.startswith(("VmHWM:", "VmRSS:")):
                info[line.split(":")[0]] = int(line.split()[1]) * 1024
        for line in open("/proc/self/smaps_rollup").read().splitlines():
            if line.startswith(("Private_Clean:", "Private_Dirty:", "Pss:")):
                info[line.split(":")[0]] = int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        info["blas_threads"] = [d.get("num_threads") for d in threadpool_info() if d.get("user_api") == "blas"]
    except Exception:  # noqa: BLE001 - only a figure
        pass
    return info


def _child_main(t: Trainer, send, block: _Block, shared: _Shared, max_epochs, max_updates,
                progress_interval: float) -> None:
    state = _ChildState(t, shared, block)
    parent = os.getppid()

    def orphaned() -> bool:
        """Whether the parent is gone: its end of the acknowledgements closed, or this process handed to another
        parent (a process forked meanwhile may hold that end open)."""
        return block.parent_gone or os.getppid() != parent

    def sent(message: bytes) -> None:
        send(message)
        block.sent += 1

    left_out = [False]  # whether the last call of on_progress sent nothing

    def progress(_snapshot) -> None:
        left_out[0] = not block.idle()  # the parent still busy with the last message: this one is left out
        if not left_out[0]:
            sent(b"p" + state.progress(False))
        elif orphaned():  # the last message unread: nobody will ever read one
            os._exit(1)  # (a message sent would fail on the closed pipe; none is sent while one waits)

    def final() -> bytes:
        """The final message, once the parent has applied the others (see _Block)."""
        while not block.idle():
            if orphaned():  # nobody will read it
                os._exit(1)
            time.sleep(0.0005)
        return b"f" + state.progress(True)

    try:
        reason = t.run(max_epochs=max_epochs, should_stop=lambda: block.stop_asked, on_progress=progress,
                       progress_interval=progress_interval, max_updates=max_updates, snapshots=False)
        sent(b"e" + pickle.dumps((reason, _child_info(), left_out[0]), protocol=5))
        sent(final())
    except BaseException as e:  # noqa: BLE001 - everything goes to the parent
        text = traceback.format_exc()
        try:
            message = final()  # the state as the exception left it
        except BaseException:  # noqa: BLE001
            message = None
        sent(b"x" + pickle.dumps((type(e).__name__, str(e), text, message is not None), protocol=5))
        if message is not None:
            sent(message)


# -- the parent's side -------------------------------------------------------------------------------------------------
def _apply(t: Trainer, st: dict, block: _Block) -> None:
    """Make the parent's Trainer what the child's was when it made the message ``st`` (its weights and gradients
    are in ``block``)."""
    net = t.network
    t.step_count, t.epoch, t.position, t.last_loss = st["step"], st["epoch"], st["position"], st["last_loss"]
    t.diverged, t.samples_per_second, t.elapsed = st["diverged"], st["samples_per_second"], st["elapsed"]
    t.best.epoch, t.best.loss = st["best"]
    t.confusion = st["confusion"]
    if "in_use" in st:  # the final message: the weights go to the same one of the three arrays as in the child
        flat = t._buffers[st["in_use"]]
        flat[...] = block.weights
        if st["backup"] is None:
            t._backup = None
        else:
            t._backup = t._buffers[st["backup"][0]]
            t._backup[...] = st["backup"][1]
        net.use_parameters(flat)
        t._params = net.parameter_views(flat)
    else:
        net.flat_parameters[...] = block.weights
    net.flat_gradients[...] = block.gradients
    t._last_z = st["last_z"]
    if "last_outputs" in st:
        t.last_outputs = st["last_outputs"]
    h = t.history
    for name, d in st["series"].items():
        if name == "followed":
            t._followed = _apply_series(t._followed, d)
        else:
            setattr(h, name, _apply_series(getattr(h, name), d))
    if st["timeline"] is not None:
        tl = t.timeline
        tl._steps, tl._points, tl._pinned, tl.nbytes, tl.end, tl.stride, tl.future = st["timeline"]
    if "in_use" in st:
        kind, opt_t, opt_state = st["optimizer"]
        if type(t.optimizer) is not kind:
            raise ChildRunError(f"the child's optimizer is a {kind.__name__}, the parent's a "
                                f"{type(t.optimizer).__name__}")
        t.optimizer.t, t.optimizer.state = opt_t, opt_state
        t._shuffle_rng.bit_generator.state = st["shuffle_rng"]
        t._dropout_rng.bit_generator.state = st["dropout_rng"]
        t._order, t._order_rng_state, t._order_drawn_at = st["order"], st["order_rng_state"], st["order_drawn_at"]
        t._dropout_state_before = st["dropout_state_before"]
        t._backup_step, t._backup_place = st["backup_step"], st["backup_place"]


def _reap(pid: int, kill: bool) -> int | None:
    """Wait for the child (killing it first with ``kill``); its wait status, None if it was already reaped."""
    if kill:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    try:
        return os.waitpid(pid, 0)[1]
    except ChildProcessError:
        return None


def _ended(status: int | None) -> str:
    if status is None:
        return "it was already gone"
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = str(sig)
        return f"it was killed by signal {name}"
    return f"it exited with status {os.WEXITSTATUS(status)}"


def run_in_child(trainer: Trainer, should_stop: Callable[[], bool] | None = None,
                 on_progress: Callable[[Snapshot], None] | None = None, progress_interval: float = 0.05,
                 max_updates: int | None = None, max_epochs: int | None = None) -> str:
    """``trainer.run(max_epochs, should_stop, on_progress, progress_interval, max_updates)`` with the updates made in
    a forked child (see the module's docstring). Returns "finished", "stopped", "diverged" or "early-stopped"; raises
    ``ChildRunError`` if the child failed or died."""
    if not available():
        raise ChildRunError("training in a child process needs Linux and numpy's BLAS at one thread (use Trainer.run)")
    # to go back to if the child dies without its final message
    before = (checkpoint.take(trainer), trainer.network.flat_gradients.copy(), trainer._last_z,
              trainer.samples_per_second)
    shared = _Shared(_shared_objects(trainer))
    net = trainer.network
    block = _Block(net.n_parameters, net.flat_parameters.dtype)
    from multiprocessing import Pipe  # (here, not at the top: the studio imports this module at start-up)

    try:
        receive, send_end = Pipe(duplex=False)
    except BaseException:
        block.close()  # (its acknowledgement pipe is two bare descriptors: nothing else would ever close them)
        raise
    stats = {"messages": 0, "posted": 0, "largest_in_pipe": 0, "sizes": [], "started": time.perf_counter()}
    try:
        pid = os.fork()
    except BaseException:
        receive.close()
        send_end.close()
        block.close()
        raise
    if pid == 0:  # the child: never returns
        try:
            # its garbage collections leave the objects it inherited (and so their memory pages) alone. Frozen here,
            # not in the parent before the fork: the parent's gc.unfreeze() afterwards would also undo the studio's
            # own freeze of its window (nnstudio.qt.app.settle_heap), and its full collections would stall again
            gc.freeze()
            gc.enable()  # (the studio turns automatic collection off to collect on its GUI thread: qt.gui_gc)
            # Ctrl+C in a terminal reaches the whole process group: the parent decides when the run stops (an
            # interrupt between sending a message and counting it would let the child write the block too early)
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            receive.close()
            block.child_side()
            _child_main(trainer, send_end.send_bytes, block, shared, max_epochs, max_updates, progress_interval)
        finally:
            os._exit(0)
    send_end.close()
    block.parent_side()
    global _child_pid
    _child_pid = pid
    status, clean = None, False
    try:
        reason, error = _parent_loop(trainer, receive, block, shared, should_stop, on_progress, stats, pid)
        clean = True
    finally:
        receive.close()
        try:
            status = _reap(pid, kill=not clean)
        finally:  # (an interrupt while waiting still closes the block's descriptors)
            _child_pid = None
            block.close()
        if not clean:  # the parent's side failed (or was interrupted): back to before the run, then the error
            _restore(trainer, before)
        global last_stats  # noqa: PLW0603
        sizes, started = stats.pop("sizes"), stats.pop("started")
        last_stats = {**stats, "seconds": time.perf_counter() - started,
                      "first_bytes": sizes[0] if sizes else 0,
                      "max_bytes_after_first": max(sizes[1:], default=0),
                      "median_bytes_after_first": float(np.median(sizes[1:])) if len(sizes) > 1 else 0.0,
                      "total_bytes": sum(sizes), "exit_status": status}
    if error is not None:
        raise error
    return reason


def _load(shared: _Shared, block: _Block, body: bytes, stats: dict):
    """(parent side) A progress or final message's payload."""
    header, places, inline = pickle.loads(body)
    if places is not None:
        inline = block.fetch(places)
        stats["sizes"][-1] += sum(n for _, n in places)
        stats["posted"] += 1
    return shared.load(header, inline)


def _restore(trainer: Trainer, before) -> None:
    cp, gradients, last_z, speed = before
    checkpoint.restore(trainer, cp)
    trainer.network.flat_gradients[...] = gradients
    trainer._last_z, trainer.samples_per_second = last_z, speed
    if trainer.timeline is not None:
        trainer.timeline.drop_after(cp.step)


def _parent_loop(trainer, receive, block: _Block, shared, should_stop, on_progress, stats, pid):
    """Receive and apply the child's messages until its final one. Returns (reason, error to raise or None)."""
    stop_asked = None
    heard = time.perf_counter()  # when the child was last heard from
    reason = error = None
    expect_final = last_left_out = False
    while True:
        if stop_asked is None and should_stop is not None and should_stop():
            block.ask_to_stop()
            stop_asked = time.perf_counter()
        try:
            ready = receive.poll(POLL)
        except (EOFError, OSError):
            ready = True  # recv says what happened
        if not ready:
            if stop_asked is not None and time.perf_counter() - max(stop_asked, heard) > STOP_GRACE:
                raise ChildRunError(f"the training process did not stop within {STOP_GRACE:g} s of being asked "
                                    f"to; it was ended, and the Trainer is back where it stood before the run")
            continue
        heard = time.perf_counter()
        try:
            data = receive.recv_bytes()
        except (EOFError, OSError):
            status = _reap(pid, kill=False)
            raise ChildRunError(f"the training process ended without finishing its run ({_ended(status)}); the "
                                f"Trainer is back where it stood before the run") from None
        stats["messages"] += 1
        stats["sizes"].append(len(data))  # (the arrays posted in the block are added by _load)
        stats["largest_in_pipe"] = max(stats["largest_in_pipe"], len(data))
        kind, body = data[:1], data[1:]
        if kind == b"p":
            _apply(trainer, _load(shared, block, body, stats), block)
            block.ack()  # (after the copy out of the block: the child may write it again now)
            if on_progress is not None:
                on_progress(trainer.snapshot())
        elif kind == b"e":
            reason, stats["child"], last_left_out = pickle.loads(body)
            expect_final = True
            block.ack()
        elif kind == b"x":
            name, message, text, final_follows = pickle.loads(body)
            error = ChildRunError(f"training failed in the child process: {name}: {message}", text)
            if not final_follows:
                raise error  # the caller's finally puts the Trainer back to before the run
            expect_final = True
            block.ack()
        elif kind == b"f":
            if not expect_final:
                raise ChildRunError("the training process sent its final state out of turn")
            _apply(trainer, _load(shared, block, body, stats), block)
            if last_left_out and error is None and on_progress is not None:
                on_progress(trainer.snapshot())  # the run's last progress report, which the child left out
            return reason, error
        else:
            raise ChildRunError(f"the training process sent a message of unknown kind {kind!r}")

