"""Training in a forked child (training.child_run): the parent's Trainer ends exactly as an in-process run leaves it."""

import dataclasses
import math
import os
import signal
import time
from pathlib import Path

import numpy as np
import pytest

from nnstudio.core.network import LayerSpec
from nnstudio.data.dataset import Dataset
from nnstudio.training import Experiment, Trainer, child_run, presets
from nnstudio.training.history import History
from nnstudio.training.trainer import Snapshot

from nnstudio.training.threads import use_blas_threads  # noqa: E402

use_blas_threads(1)  # as the studio does (nnstudio.qt.app.main): a child run needs it (see child_run.available)
pytestmark = pytest.mark.skipif(not child_run.available(), reason="training in a child process needs Linux and fork")


def _children() -> list[int]:
    """Processes whose parent is this one (a zombie included)."""
    me, out = os.getpid(), []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == me:
                out.append(int(d.name))
    return out


@pytest.fixture(autouse=True)
def no_child_left():
    before = set(_children())
    yield
    assert set(_children()) - before == set(), "a child process was left behind"


def _data(n=900, n_test=0, seed=0) -> Dataset:
    """Random rows (fewer than 1,000 in all: tests/qt/test_memory_views.py counts bigger tables alive)."""
    rng = np.random.default_rng(seed)
    X = rng.random((n + n_test, 784))
    y = rng.integers(0, 10, n + n_test)
    return Dataset(name="random-784", title="random 784-feature data", task="multiclass", X=X[:n], y=y[:n],
                   X_test=X[n:] if n_test else None, y_test=y[n:] if n_test else None,
                   feature_names=tuple(f"p{i}" for i in range(784)), class_names=tuple(str(i) for i in range(10)))


DATA = _data()
DATA_WITH_TEST = _data(600, 300, seed=1)


def _big(**kw) -> Experiment:
    """784-64-10 float32 ReLU on random data, minibatches in a shuffled order (50,890 parameters: a sample of them
    tracked and the full path recorded)."""
    settings = dict(name="child", title="child", dataset="random-784",
                    layers=[LayerSpec(64, "relu"), LayerSpec(10, "softmax")], loss="softmax_cross_entropy",
                    init="he", optimizer="sgd", learning_rate=0.05, batch_size=64, shuffle=True, epochs=1000,
                    dtype="float32", preprocessing="none")
    settings.update(kw)
    return Experiment(**settings)


def _tiny():
    """A small network (every weight tracked, each row's error recorded): minibatches, dropout and Adam."""
    return presets.get("gender-network").replace(
        dataset="xor", dataset_params={"size": 40}, batch_size=8, shuffle=True, optimizer="adam",
        learning_rate=0.01, layers=[LayerSpec(6, "relu", dropout=0.25), LayerSpec(1, "sigmoid")],
        loss="binary_cross_entropy", initial_weights=None, epochs=100000)


CASES = {
    "sgd shuffled minibatches": (lambda: _big(), DATA, dict(max_updates=90)),
    "momentum": (lambda: _big(optimizer="momentum", momentum=0.9), DATA, dict(max_updates=70)),
    "adam": (lambda: _big(optimizer="adam", learning_rate=0.001), DATA, dict(max_updates=70)),
    "dropout": (lambda: _big(layers=[LayerSpec(64, "relu", dropout=0.3), LayerSpec(10, "softmax")]), DATA,
                dict(max_updates=70)),
    "early stopping": (lambda: _big(early_stopping=1, learning_rate=0.5), DATA_WITH_TEST, {}),
    "epoch limit": (lambda: _big(epochs=3, batch_size=200), DATA, {}),
    "max epochs given": (lambda: _big(batch_size=300), DATA, dict(max_epochs=2)),
    "diverging": (lambda: _big(learning_rate=1e12, optimizer="momentum"), DATA, {}),
    "whole table, no shuffle": (lambda: _big(batch_size=0, shuffle=False, l2=0.001), DATA, dict(max_updates=12)),
    "tiny network, dropout, adam": (_tiny, None, dict(max_updates=700)),
}


def _trainer(case, timeline=False, budget=None) -> Trainer:
    make, ds, _ = CASES[case]
    t = Trainer(make(), ds)
    if timeline:
        t.start_timeline(budget)
    return t


def _same(a, b) -> bool:
    """Equal values (arrays bit for bit, NaN equal to NaN), through tuples, lists and dicts."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b


def _series_state(s):
    return None if s is None else (s.stride, s.x.copy(), s.values.copy())


def _state(t: Trainer, timing: bool = False) -> dict:
    """Everything an in-process run changes, and what a later update, rollback or rewind depends on."""
    net, buffers = t.network, t._buffers
    h: History = t.history
    state = {
        "weights": net.flat_parameters.copy(), "gradients": net.flat_gradients.copy(),
        "parameters": [p.copy() for p in net.parameters()],
        "in_use": [i for i, b in enumerate(buffers) if b is net.flat_parameters],
        "params_views": all(np.shares_memory(p, net.flat_parameters) for p in t._params),
        "backup": None if t._backup is None else ([i for i, b in enumerate(buffers) if b is t._backup],
                                                  t._backup.copy()),
        "backup_step": t._backup_step, "backup_place": t._backup_place,
        "optimizer": (type(t.optimizer).__name__, t.optimizer.t, t.optimizer.state),
        "shuffle_rng": t._shuffle_rng.bit_generator.state, "dropout_rng": t._dropout_rng.bit_generator.state,
        "dropout_layer_rng": [layer.rng.bit_generator.state for layer in net.layers if hasattr(layer, "rng")],
        "order": t._order, "order_rng_state": t._order_rng_state, "order_drawn_at": t._order_drawn_at,
        "dropout_state_before": t._dropout_state_before,
        "step": t.step_count, "epoch": t.epoch, "position": t.position, "last_loss": t.last_loss,
        "diverged": t.diverged, "best": (t.best.epoch, t.best.loss), "confusion": t.confusion,
        "last_outputs": t.last_outputs.copy(), "learning_rate": t.current_learning_rate(),
        "history": {name: _series_state(getattr(h, name)) for name in ("update_loss", "weights", "errors", "epochs",
                                                                       "path")},
        "followed": (t.followed_index, _series_state(t._followed)),
    }
    tl = t.timeline
    if tl is not None:
        state["timeline"] = (tl.steps, tl.stride, tl.end, sorted(tl._pinned), tl.nbytes, tl.future is None,
                             [(cp.step, cp.epoch, cp.position, cp.order, cp.weights, cp.optimizer_t,
                               cp.optimizer_state, cp.shuffle_rng, cp.dropout_rng, cp.last_loss, cp.outputs,
                               cp.confusion, cp.best, cp.settings is t.experiment) for cp in tl._points])
    if timing:
        state["timing"] = (t.elapsed, t.samples_per_second)
    return state


def _assert_same_state(a: Trainer, b: Trainer, timing: bool = False) -> None:
    sa, sb = _state(a, timing), _state(b, timing)
    differ = [k for k in sa if not _same(sa[k], sb[k])]
    assert differ == [], f"differ: {differ}"


def _assert_same_snapshot(a: Snapshot, b: Snapshot, timing: bool = True) -> None:
    skip = set() if timing else {"elapsed", "samples_per_second"}
    differ = [f.name for f in dataclasses.fields(Snapshot) if f.name not in skip
              and not _same(getattr(a, f.name), getattr(b, f.name))]
    assert differ == [], f"snapshots differ: {differ}"


def _both(case, timeline=False, budget=None, **extra):
    """(reason, trainer) of the case run in a child, and of the same run in process."""
    kw = {**CASES[case][2], **extra}
    child, here = _trainer(case, timeline, budget), _trainer(case, timeline, budget)
    snaps = []
    reason = child_run.run_in_child(child, on_progress=snaps.append, progress_interval=0.01, **kw)
    expected = here.run(**kw)
    return reason, child, expected, here, snaps


@pytest.mark.parametrize("case", list(CASES))
def test_a_run_in_a_child_leaves_the_trainer_as_a_run_in_process(case):
    reason, child, expected, here, snaps = _both(case)
    assert reason == expected
    _assert_same_state(child, here)
    _assert_same_snapshot(child.snapshot(), here.snapshot(), timing=False)
    assert snaps, "no progress was reported"
    steps = [s.step for s in snaps]
    rising = steps[:-1] if reason == "diverged" else steps  # a run that diverged ends set back an update
    assert rising == sorted(rising) and steps[-1] == child.step_count
    _assert_same_snapshot(snaps[-1], child.snapshot())  # the last report is the Trainer as it ended
    assert child.elapsed > 0 and child.samples_per_second > 0
    # and it trains on from there exactly as the other
    for t in (child, here):
        t.diverged = None
        t.run(max_updates=25)
    _assert_same_state(child, here)


def test_the_cases_end_as_they_are_meant_to():
    """(The cases above cover what they claim: each way a run ends.)"""
    ends = {case: _trainer(case).run(**CASES[case][2]) for case in ("early stopping", "epoch limit", "diverging",
                                                                     "max epochs given")}
    assert ends == {"early stopping": "early-stopped", "epoch limit": "finished", "diverging": "diverged",
                    "max epochs given": "finished"}


@pytest.mark.parametrize("case", ["adam", "dropout", "tiny network, dropout, adam", "diverging"])
def test_with_a_timeline_the_checkpoints_and_rewinds_are_the_same(case):
    # a small budget: the timeline thins its checkpoints during the run
    budget = 1_200_000 if case != "tiny network, dropout, adam" else 4_000
    more = {} if case == "diverging" else {"max_updates": 200}
    reason, child, expected, here, _ = _both(case, timeline=True, budget=budget, **more)
    assert reason == expected
    assert child.timeline.stride > child.timeline.min_stride or case == "diverging"
    _assert_same_state(child, here)
    step = child.step_count * 2 // 3
    for t in (child, here):
        t.timeline.rewind(t, step)
    _assert_same_state(child, here)
    _assert_same_snapshot(child.snapshot(), here.snapshot(), timing=False)


def test_a_long_run_of_many_messages_thins_the_history_alike():
    """Thousands of reports, the history thinned between two of them (a tiny network runs ~10,000 updates)."""
    reason, child, expected, here, snaps = _both("tiny network, dropout, adam", max_updates=9000, timeline=True)
    assert reason == expected
    assert child.history.update_loss.stride > 1
    assert len(snaps) > 100
    _assert_same_state(child, here)


def test_a_followed_weight_is_recorded_alike():
    child, here = _trainer("sgd shuffled minibatches"), _trainer("sgd shuffled minibatches")
    for t in (child, here):
        t.follow(1234)
    assert child_run.run_in_child(child, max_updates=40) == here.run(max_updates=40)
    assert len(child._followed) == 40
    _assert_same_state(child, here)


def test_should_stop_stops_it_where_an_in_process_run_of_as_many_updates_ends():
    child = _trainer("momentum")
    snaps = []
    reason = child_run.run_in_child(child, should_stop=lambda: len(snaps) >= 3, on_progress=snaps.append,
                                    progress_interval=0.001)
    assert reason == "stopped"
    assert 0 < child.step_count < 1000 * child.n_train // child.batch_size
    here = _trainer("momentum")
    assert here.run(max_updates=child.step_count) == "finished"
    _assert_same_state(child, here)


def test_an_exception_in_the_child_comes_back_with_its_traceback(monkeypatch):
    """The child sends its state as the exception left it: the parent's Trainer is as after an in-process run that
    raised the same."""
    original = Trainer._step

    def failing(self):
        if self.step_count >= 37:
            raise ValueError("the update broke at 37")
        return original(self)

    monkeypatch.setattr(Trainer, "_step", failing)
    child, here = _trainer("adam", timeline=True), _trainer("adam", timeline=True)
    with pytest.raises(child_run.ChildRunError) as raised:
        child_run.run_in_child(child, progress_interval=0.001)
    assert "ValueError: the update broke at 37" in str(raised.value)
    assert "Traceback" in raised.value.child_traceback and "in failing" in raised.value.child_traceback
    with pytest.raises(ValueError):
        here.run()
    assert child.step_count == 37
    _assert_same_state(child, here)


def test_a_killed_child_is_an_error_and_the_trainer_goes_back_to_before_the_run():
    child = _trainer("sgd shuffled minibatches", timeline=True)
    before = _trainer("sgd shuffled minibatches", timeline=True)
    killed = []

    def kill(_snap):
        if not killed:
            pid = child_run.running_child()
            assert pid is not None
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    with pytest.raises(child_run.ChildRunError, match="killed by signal SIGKILL"):
        child_run.run_in_child(child, on_progress=kill, progress_interval=0.001)
    assert killed and child_run.running_child() is None
    assert child.step_count == 0
    _assert_same_state(child, before)


def test_an_error_in_the_parents_callback_ends_the_child_and_puts_the_trainer_back():
    child = _trainer("sgd shuffled minibatches")
    before = _trainer("sgd shuffled minibatches")

    def broken(_snap):
        raise RuntimeError("the window broke")

    with pytest.raises(RuntimeError, match="the window broke"):
        child_run.run_in_child(child, on_progress=broken, progress_interval=0.001)
    _assert_same_state(child, before)


def test_the_child_keeps_one_blas_thread_and_messages_stay_small(monkeypatch):
    from threadpoolctl import threadpool_info

    from nnstudio.training.threads import use_blas_threads

    use_blas_threads(1)
    parent = [d["num_threads"] for d in threadpool_info() if d.get("user_api") == "blas"]
    payloads = []
    load = child_run._Shared.load
    monkeypatch.setattr(child_run._Shared, "load",
                        lambda self, *a: payloads.append(load(self, *a)) or payloads[-1])
    t = _trainer("sgd shuffled minibatches")
    child_run.run_in_child(t, on_progress=lambda s: None, progress_interval=0.001, max_updates=200)
    stats = child_run.last_stats
    assert stats["child"]["blas_threads"] == parent == [1] * len(parent)
    # the weights and gradients (2 x 204 KB here) are in the shared block, not in the messages: a message holds the
    # new rows of the history (for the first 64 updates a row of the path, 204 KB, at each update) and little else;
    # its arrays are posted in the block too, so the pipe carries a few KB
    assert stats["messages"] > 3 and len(payloads) == stats["messages"] - 1  # (all but the one saying how it ended)
    assert all("weights" not in p and "gradients" not in p for p in payloads)
    assert stats["posted"] >= stats["messages"] - 2  # (all but the two small ones that say how the run ended)
    assert stats["largest_in_pipe"] < 64_000
    tiny = _trainer("tiny network, dropout, adam")
    child_run.run_in_child(tiny, on_progress=lambda s: None, progress_interval=0.001, max_updates=500)
    assert child_run.last_stats["largest_in_pipe"] < 64_000
    # (message sizes are not bounded: while the parent is busy the child leaves reports out, and the next one
    # carries the rows gained meanwhile)


def test_a_busy_parent_does_not_hold_the_child_back_and_still_gets_the_last_report():
    """While the parent is busy with a report (the studio drawing), the child trains on without sending: it left out
    every report after the one waiting, and the last report is still the Trainer as the run ended."""
    import time

    child, here = _trainer("tiny network, dropout, adam"), _trainer("tiny network, dropout, adam")
    steps = []

    def slow(snap):
        steps.append(snap.step)
        if len(steps) == 1:
            time.sleep(1.0)  # the 1,000 updates take about 0.2 s: the child has done them all before this ends

    assert child_run.run_in_child(child, on_progress=slow, progress_interval=0.0001, max_updates=1000) == \
        here.run(max_updates=1000)
    # the first report, the one sent while the parent slept (at most one waits), and the last, which the child
    # left out and the parent makes from the final state
    assert len(steps) <= 3 and steps == sorted(steps) and steps[-1] == child.step_count == 1000
    _assert_same_state(child, here)


def test_a_message_too_big_for_the_shared_block_goes_through_the_pipe(monkeypatch):
    monkeypatch.setattr(child_run, "MAILBOX", 100_000)  # a checkpoint here is 204 KB: never fits
    reason, child, expected, here, snaps = _both("adam", timeline=True)
    assert reason == expected
    stats = child_run.last_stats
    assert stats["posted"] < stats["messages"] - 2 and stats["largest_in_pipe"] > 200_000
    _assert_same_state(child, here)
    _assert_same_snapshot(snaps[-1], child.snapshot())


def test_arrays_that_came_through_the_pipe_can_be_written_afterwards(monkeypatch):
    """A message too big for the shared block brings its arrays (the optimizer's state, the data order, the outputs)
    through the pipe: they must be as writable as the in-process run's, since training goes on with them."""
    monkeypatch.setattr(child_run, "MAILBOX", 100_000)
    reason, child, expected, here, _ = _both("adam", timeline=True)
    assert reason == expected and child_run.last_stats["posted"] < child_run.last_stats["messages"] - 2
    assert all(a.flags.writeable for slots in child.optimizer.state for a in slots)
    assert child.last_outputs.flags.writeable
    for t in (child, here):
        t.run(max_updates=25)  # Adam's moments are updated in place, the outputs written to their rows
    _assert_same_state(child, here)


def test_a_child_whose_parent_died_with_a_message_waiting_ends(tmp_path):
    """The parent dies (a crash, a kill) while a message it has not read waits in the pipe: the child, which sends
    nothing more until that one is read, must not train on alone for the rest of the run."""
    import subprocess
    import sys
    import time

    script = tmp_path / "parent.py"
    script.write_text(f"""
import os, sys, time
sys.path.insert(0, {str(Path(__file__).parent)!r})
import test_child_run as tc
from nnstudio.training import child_run

t = tc._trainer("sgd shuffled minibatches")
t.apply_settings(t.experiment.replace(epochs=10_000_000))  # a run that would last for hours


def progress(snap):
    print(child_run.running_child(), flush=True)
    time.sleep(0.5)  # meanwhile the child sends its next report, which is never read
    os._exit(0)


child_run.run_in_child(t, on_progress=progress, progress_interval=0.01)
""")
    out = tmp_path / "out.txt"
    with open(out, "w") as f:  # (a file, not a pipe: the child holds the parent's output open for as long as it lives)
        subprocess.run([sys.executable, str(script)], stdout=f, timeout=120)
    pid = int(out.read_text().split()[0])
    try:
        def alive() -> bool:  # (a zombie left for whoever adopted it has ended)
            try:
                return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
            except (OSError, IndexError):
                return False

        deadline = time.monotonic() + 10
        while alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not alive(), "the orphaned child trains on"
    finally:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def test_the_parents_frozen_objects_stay_frozen():
    """The studio freezes its window's objects out of the collector's sight (nnstudio.qt.app.settle_heap); a run in a
    child must not thaw them (its full collections would scan them all on the GUI thread again)."""
    import gc

    t = _trainer("sgd shuffled minibatches")
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        assert frozen > 0
        child_run.run_in_child(t, max_updates=5)
        assert gc.get_freeze_count() >= frozen // 2  # (a frozen object freed meanwhile leaves; thawed: 0)
    finally:
        gc.unfreeze()


def test_no_child_run_while_blas_may_use_more_than_one_thread(monkeypatch):
    """OpenBLAS's fork handler stops its worker threads; with two of them busy elsewhere, fork() hung for good."""
    from nnstudio.qt import worker

    assert child_run.available() and worker.child_runs_enabled()
    monkeypatch.setattr(child_run, "threadpool_info", lambda: [{"user_api": "blas", "num_threads": 2}])
    assert not child_run.available()
    assert not worker.child_runs_enabled()
    with pytest.raises(child_run.ChildRunError):
        child_run.run_in_child(_trainer("sgd shuffled minibatches"), max_updates=3)


def test_the_parent_says_it_applied_a_message_through_a_pipe_the_child_reads():
    """The child may write the shared block again only once it has read the parent's acknowledgement (a byte on a
    pipe: the kernel orders the parent's reads of the block before the child's writes, which a count in shared memory
    did not on processors that reorder memory accesses). Both ends in one process here; the same calls as after the
    fork."""
    block = child_run._Block(10, np.float32)
    try:
        child_end = os.dup(block._acks_read)  # what the child keeps; the parent keeps the writing end
        block.parent_side()
        assert block._acks_read is None
        block._acks_read = child_end
        os.set_blocking(child_end, False)
        assert block.idle()  # nothing sent yet
        block.sent = 2
        assert not block.idle() and block.acked == 0
        block.ack()
        assert not block.idle() and block.acked == 1
        block.ack()
        assert block.idle() and block.acked == 2 and not block.parent_gone
        block.sent = 3
        os.close(block._acks_write)  # the parent is gone
        block._acks_write = None
        assert not block.idle() and block.parent_gone
    finally:
        block.close()
    assert block._acks_read is None and block._acks_write is None


def test_an_acknowledgement_to_a_child_that_is_gone_is_not_an_error():
    block = child_run._Block(4, np.float64)
    try:
        os.close(block._acks_read)  # the child's end: closed (the child exited)
        block._acks_read = None
        block.ack()  # a broken pipe, said by the message pipe instead: nothing raised here
    finally:
        block.close()

def _fds() -> set[str]:
    """The process's open descriptors, after a collection: an earlier test's garbage (a pipe's Connection, a file)
    closes its descriptors when collected, which in a full run could happen in the middle of a test and make the
    two counts differ the other way (seen in CI: two descriptors open before, closed after)."""
    import gc

    gc.collect()
    return set(os.listdir("/proc/self/fd"))


def _opened_since(before: set[str]) -> list[int]:
    """Descriptors open now that were not before. (Not "the same set": a descriptor of an earlier test's garbage or
    thread may close meanwhile, seen in a full run; a leak would still show, as each of these tests makes it ten
    times or more.)"""
    return sorted(map(int, _fds() - before))


def test_many_short_runs_leave_no_descriptor_behind():
    t = _trainer("sgd shuffled minibatches")
    child_run.run_in_child(t, max_updates=1)  # (imports, lazily opened files)
    before = _fds()
    for _ in range(30):
        child_run.run_in_child(t, max_updates=2, progress_interval=0.0001, on_progress=lambda s: None)
    assert _opened_since(before) == []


def test_a_failing_parent_callback_leaves_no_descriptor_behind():
    t = _trainer("sgd shuffled minibatches")
    child_run.run_in_child(t, max_updates=1)
    before = _fds()

    def broken(_s):
        raise RuntimeError("broken")

    for _ in range(10):
        with pytest.raises(RuntimeError):
            child_run.run_in_child(t, on_progress=broken, progress_interval=0.0001)
    assert _opened_since(before) == []


def test_a_failed_fork_leaves_no_descriptor_behind(monkeypatch):
    t = _trainer("sgd shuffled minibatches")
    child_run.run_in_child(t, max_updates=1)
    before = _fds()

    def no_fork():
        raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", no_fork)
    for _ in range(10):
        with pytest.raises(OSError):
            child_run.run_in_child(t, max_updates=2)
    assert _opened_since(before) == []


def test_a_failed_message_pipe_leaves_no_descriptor_behind(monkeypatch):
    """Out of descriptors (EMFILE) when the message pipe is made, after the block's acknowledgement pipe: the two
    raw descriptors of the block stay open for good (no finalizer closes an int)."""
    import multiprocessing

    t = _trainer("sgd shuffled minibatches")
    child_run.run_in_child(t, max_updates=1)
    before = _fds()

    def no_pipe(duplex=True):
        raise OSError(24, "Too many open files")

    monkeypatch.setattr(multiprocessing, "Pipe", no_pipe)
    for _ in range(10):
        with pytest.raises(OSError):
            child_run.run_in_child(t, max_updates=2)
    assert _opened_since(before) == []


def test_each_report_holds_the_weights_of_its_own_step(monkeypatch):
    """The block is not written while the parent copies out of it: every report's weights are those of the step it
    says (a parent slow to copy gives the child time to overwrite them, were the acknowledgement early)."""
    apply = child_run._apply

    def slow_apply(t, st, block):
        time.sleep(0.003)  # the child trains on meanwhile
        apply(t, st, block)

    monkeypatch.setattr(child_run, "_apply", slow_apply)
    t = _trainer("tiny network, dropout, adam")
    seen = []
    child_run.run_in_child(t, on_progress=lambda s: seen.append((s.step, t.network.flat_parameters.copy())),
                           progress_interval=0.0001, max_updates=600)
    assert len(seen) > 20
    here, done = _trainer("tiny network, dropout, adam"), 0
    for step, weights in seen:
        if step > done:
            here.run(max_updates=step - done)
            done = step
        assert np.array_equal(here.network.flat_parameters, weights), f"report at step {step}"


def test_the_child_collects_reference_cycles_when_the_studio_does_not():
    """The studio turns automatic collection off while a window is open (it collects on the GUI thread:
    nnstudio.qt.gui_gc); the forked child, which has no GUI thread, turns it back on for itself."""
    import gc

    was = gc.isenabled()
    gc.disable()
    try:
        child_run.run_in_child(_trainer("sgd shuffled minibatches"), max_updates=5)
    finally:
        if was:
            gc.enable()
    assert child_run.last_stats["child"]["gc_enabled"] is True
