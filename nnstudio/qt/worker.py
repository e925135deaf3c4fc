"""The training worker: owns the Trainer on a QThread and publishes snapshots.

Requests arrive as queued signals and run in the worker's thread in the order they were made. A run is a loop in
that thread; ``pause()`` (called from any thread) sets a flag the loop checks before every update, so "pause, change
a setting, go on" is three requests handled in order. The GUI never touches the Trainer: it reads the latest
immutable Snapshot with ``latest()`` from a timer, about 20 times a second. While the window draws, a run waits
(``hold_for_gui``), and every few milliseconds it lets go of Python's interpreter lock, so the window never starves;
the window keeps its drawing to a share of the time (``draw_budget``).
"""

from __future__ import annotations

import os
import threading
import time
import traceback
from contextlib import contextmanager

from PySide6.QtCore import QObject, QThread, Signal, Slot

from nnstudio.qt import draw_budget, gui_gc
from nnstudio.qt.background import FINISHED, Task
from nnstudio.training import child_run
from nnstudio.training.session import Session
from nnstudio.training.session_writer import save_session
from nnstudio.training.threads import SHARE_SLICE, sharing_the_lock
from nnstudio.training.trainer import Snapshot, Trainer

PROGRESS_INTERVAL = 0.05  # seconds between snapshots during a run (the GUI pulls at ~20 Hz)
GUI_WAIT = 0.1  # a running loop waits at most this long for the GUI thread to finish drawing
SLICE = SHARE_SLICE  # a running loop lets go of the interpreter lock after this much work (see _stopper)
CHILD_SETTINGS_GAP = 0.25  # seconds a run in a child process trains at least before it stops for new settings: each
#   stop starts a new child (a fork, 30-50 ms with MNIST loaded), and a spin box's arrow key held down changes a
#   setting 30 times a second (measured, 784-128-10 on MNIST: 1,040 updates/s, and 90 with a change every 33 ms
#   taken at once)


def child_runs_enabled() -> bool:
    """Whether flat-out runs of large networks train in a child process (training.child_run): on Linux, unless
    NNSTUDIO_CHILD_RUN=0 (for debugging, or to compare). Measured (bench/gui_responsiveness.py --data mnist --layout
    all, 784-128-10, 2 cores, December 2026): in the worker thread every view redraws 0.6 times a second and training
    keeps 83.8-85.9% of headless (drawing holds the interpreter lock, which training needs); in a child, with the
    window drawing at CHILD_SHARE 0.35, every view redraws 6.7-8.9 times a second and training keeps 87.8-99.4%
    (means of 3-4 rounds; the last run, after the review's fixes: 8.9 a second at 97.8%). Worst stall 60-75 ms."""
    return child_run.available() and os.environ.get("NNSTUDIO_CHILD_RUN", "1") != "0"


class TrainingWorker(QObject):
    # requests (emitted by the GUI, handled in the worker thread)
    _set_trainer = Signal(object, int)
    _apply_settings = Signal(object)
    _run = Signal(int, int)  # token, updates (0: up to the epoch limit)
    _step = Signal()
    _step_epoch = Signal(int)
    _reset = Signal()
    _save = Signal(str, object, object)  # path, ui, Task
    _rewind = Signal()  # the update to go to is _rewind_to (the newest asked for)
    _inspect = Signal()

    # reports (emitted in the worker thread, delivered to the GUI thread)
    runningChanged = Signal(bool)
    snapshotReady = Signal()  # a discrete change (step, reset, new trainer): pull now
    epochFinished = Signal(int)
    runFinished = Signal(str)  # "finished", "stopped", "diverged" or "early-stopped" (Trainer.run)
    diverged = Signal(str)
    saved = Signal(str)
    # training went on from an earlier update: (snapshot, settings) of the run as it stood at its end, to keep
    branched = Signal(object, object)
    rewound = Signal(int)  # the Trainer now stands after this update (Timeline.rewind)
    failed = Signal(str, str)  # message, details
    notice = Signal(str)  # a line for the status bar (a request that could not be carried out, nothing wrong)
    inspected = Signal(object)  # an inspect_step.Inspection of the Trainer's next update (see inspect())

    def __init__(self):
        super().__init__()
        self._trainer: Trainer | None = None
        self._latest: Snapshot | None = None
        self._lock = threading.Lock()
        # Each Trainer handed over gets a generation number. Until the worker thread has taken the newest one, it may
        # still publish an older Trainer's snapshots (a run finishing, say), which must not reach views that were
        # already told about the new network and data: _publish drops them.
        self._generation = 0  # of the newest Trainer handed over (GUI side)
        self._trainer_generation = 0  # of the Trainer the worker thread holds
        self._latest_generation = 0
        # Every run request gets a token; pause() stops all runs with a token up to the last one issued. (A single
        # flag would race: "pause, change a setting, run" could clear it before the running loop saw it.)
        self._issued = 0
        self._stopped_upto = 0
        self._running = False
        self.updates_per_second = 0.0  # 0: as fast as possible
        # Cleared while the GUI thread draws (hold_for_gui): a run waits before its next update, so the GUI has
        # Python's interpreter lock to itself. Without it a small network, whose updates are almost all Python,
        # keeps taking the lock back so quickly that the GUI thread starves: the window froze for up to a second.
        self._gui_done = threading.Event()
        self._gui_done.set()
        self._follow_request: int | None = None  # see follow()
        self._rewind_to: tuple[int, int] | None = None  # (generation, update): see rewind()
        self._settings_request = None  # the newest settings not applied yet: (generation, experiment, number)
        self._settings_asked = 0  # (GUI side) settings requests made so far: each has its number
        self._settings_applied = 0  # (worker side) the number of the newest request applied (or dropped)
        # True while a run's updates are made in a child process (training.child_run): drawing then costs training
        # nothing (the child has its own interpreter), so the window need not hold the run, and may draw more
        self.run_in_child = False
        self._set_trainer.connect(self._do_set_trainer)
        self._apply_settings.connect(self._do_apply_settings)
        self._run.connect(self._do_run)
        self._step.connect(self._do_step)
        self._step_epoch.connect(self._do_step_epoch)
        self._reset.connect(self._do_reset)
        # saving is a request like the others: it sees every change asked for before it and none asked for after
        self._save.connect(self._do_save)
        self._rewind.connect(self._do_rewind)
        self._inspect.connect(self._do_inspect)

    # -- the GUI side ------------------------------------------------------------------------------------------------
    def set_trainer(self, trainer: Trainer) -> None:
        """Hand over a new Trainer (stops any run first). The caller must not use it afterwards. Its first snapshot is
        the latest at once (taken here, before the worker thread owns it), so views never wait for it and never see
        the replaced Trainer's again."""
        self.pause()
        snap = trainer.snapshot()
        with self._lock:
            self._generation += 1
            self._latest, self._latest_generation = snap, self._generation
        self._set_trainer.emit(trainer, self._generation)

    def apply_settings(self, experiment) -> None:
        """New settings for the Trainer (same network and data), from the next update on: also in the middle of a
        run, which stops between two updates, takes them and goes on (a run in a child process is stopped and
        started again from where it stood): a run takes the newest asked for, skipping older ones; otherwise each is
        applied in its turn among the other requests (see _take_settings)."""
        with self._lock:  # (for the newest Trainer handed over: see _take_settings)
            self._settings_asked += 1
            request = self._settings_request = (self._generation, experiment, self._settings_asked)
        self._apply_settings.emit(request)

    def run(self, updates: int = 0) -> None:
        """Train until the epoch limit, or (``updates`` > 0) for that many updates at most, at full speed (a
        lesson page's 'run: N')."""
        self._issued += 1
        self._run.emit(self._issued, int(updates))

    def pause(self) -> None:
        self._stopped_upto = self._issued

    def step(self) -> None:
        self._step.emit()

    def step_epoch(self) -> None:
        self._issued += 1
        self._step_epoch.emit(self._issued)

    def rewind(self, step: int, generation: int | None = None) -> None:
        """Go back (or forward again) to how the run stood after update ``step`` (stops a run first): see
        training.timeline. Training on from there is a branch: the run as it stood is reported by ``branched``.
        ``generation``: that of the Trainer the step was chosen on (default: the newest handed over)."""
        if generation is not None and generation != self._generation:
            return  # chosen on a run since replaced: nothing to go back to, and the new run is left alone
        self.pause()
        # only the newest request waiting is carried out (a slider dragged fast), and only on the Trainer it was made
        # for (the network may be replaced before the worker thread gets to it: a slider moved, then a layer changed)
        self._rewind_to = (self._generation, int(step))
        self._rewind.emit()

    def follow(self, index: int | None) -> None:
        """Have the Trainer record this flat parameter index at every update (None: none), from the next update on,
        also in the middle of a run. Any thread; an index the network does not have is dropped."""
        self._follow_request = index

    def _sync_follow(self, t: Trainer) -> None:
        request = self._follow_request
        if t.followed_index != request:
            try:
                t.follow(request)
            except ValueError:  # asked for another network's weight (the data or layers just changed): dropped
                t.follow(None)
                if self._follow_request == request:
                    self._follow_request = None

    @contextmanager
    def hold_for_gui(self):
        """While the GUI thread draws inside this block, a run pauses before its next update (at most GUI_WAIT); not a
        run in a child process, which drawing does not slow."""
        if self.run_in_child:
            yield
            return
        self._gui_done.clear()
        try:
            yield
        finally:
            self._gui_done.set()

    def _settings_waiting(self) -> bool:
        request = self._settings_request
        return request is not None and request[0] == self._trainer_generation

    def _stopper(self, token: int, for_settings: bool = False):
        """Called before every update of a run: lets the GUI thread finish drawing first, then says whether to stop.

        After every SLICE of training it also lets go of Python's interpreter lock (``sleep(0)``). A thread that keeps
        taking the lock back (numpy lets go of it inside many calls, even on small arrays) starves the others:
        measured with the gender network, a thread waking every 10 ms waited up to 290 ms for the lock. With the
        release it waits 6 ms at worst, and training runs faster, having less to fight over (9,900 updates/s
        instead of 6,800).

        With ``for_settings`` it also says to stop when new settings are waiting (the caller takes them and goes
        on: see _do_run); without, they are taken here, between two updates."""
        done = self._gui_done
        share = sharing_the_lock(SLICE)

        def stop() -> bool:
            done.wait(GUI_WAIT)
            self._sync_follow(self._trainer)
            share()
            request = self._settings_request  # (read before the pause: see _take_settings)
            if self._stopped_upto >= token:
                return True
            if request is not None:
                if for_settings:
                    return self._settings_waiting()
                self._take_settings(request)
            return False

        return stop

    def inspect(self) -> None:
        """Work out the Trainer's next update in stages without making it (``inspect_step``), after the requests made
        before; the result comes as ``inspected``."""
        self._inspect.emit()

    def reset(self) -> None:
        self.pause()
        self._reset.emit()

    def save(self, path: str, ui: dict, kept_runs=()) -> Task:
        """Write the session to ``path`` in the worker thread, after the requests made before and before those made
        after (so a save never races a change), a slice at a time while the window stays live. Call from the GUI
        thread after ``pause()`` (a running loop finishes its current update first). Returns the Task to follow:
        cancelling it, or a failure, leaves the previous file as it was."""
        task = Task()
        self._save.emit(path, {"ui": ui, "kept_runs": list(kept_runs)}, task)
        return task

    @property
    def running(self) -> bool:
        return self._running

    @property
    def generation(self) -> int:
        """How many Trainers were handed over so far: a change of it means another network or session."""
        return self._generation

    def _report(self, signal, *args) -> None:
        """(Worker thread) emit a report about the Trainer in hand unless it was replaced, the check and the emit
        under the lock that ``set_trainer`` takes to replace it: a report is either posted before the switch or not
        at all. (The window's slots are queued, never run here, so nothing waits for this lock from inside.)"""
        with self._lock:
            if self._trainer_generation == self._generation:
                signal.emit(*args)

    def latest(self) -> Snapshot | None:
        """The newest snapshot of the newest Trainer handed over (None before the first)."""
        with self._lock:
            return self._latest if self._latest_generation == self._generation else None

    # -- the worker side -----------------------------------------------------------------------------------------------
    def _publish(self, snap: Snapshot) -> None:
        with self._lock:
            if self._trainer_generation != self._generation:
                return  # a replaced Trainer's (a run finishing after the hand-over was asked for): never shown
            self._latest = snap
            self._latest_generation = self._trainer_generation

    def _guard(fn):  # noqa: N805 - a decorator for the slots below
        """Any exception in a request becomes a ``failed`` report; the worker stays usable."""

        def wrapper(self, *args):
            try:
                return fn(self, *args)
            except Exception as e:  # noqa: BLE001 - reported to the user, never swallowed silently
                self._running = False
                self.failed.emit(f"{type(e).__name__}: {e}", traceback.format_exc())

        wrapper.__name__ = fn.__name__
        return wrapper

    @Slot(object, int)
    @_guard
    def _do_set_trainer(self, trainer: Trainer, generation: int) -> None:
        if trainer.timeline is None:
            trainer.start_timeline()
        self._trainer = trainer
        self._trainer_generation = generation
        self._publish(trainer.snapshot())
        self.snapshotReady.emit()

    @Slot(object)
    @_guard
    def _do_apply_settings(self, request) -> None:
        self._take_settings(own=request)

    def _take_settings(self, seen=None, own=None) -> bool:
        """(worker thread, between updates) Apply the newest settings asked for, if any are waiting (a run may have
        taken them already: then nothing), or with ``own`` that request (its queued turn: unless a run has taken
        it, or a later one, already). Whether any were.

        Each queued request applies its own settings, not the newest: while the worker is busy (a save, a rewind
        training forward), 'change, rewind, change' queue up, and the first taking the newest settings before the
        rewind (which puts back those of the update it goes to) lost the second change.

        A run takes them ahead of their queued request only when it is not being stopped: a pause comes with the
        requests that stop a run (rewind, reset, a save, a new Trainer), and settings asked for after those must
        be applied after them (a rewind puts back the settings of the update it goes to: a change taken before it
        was lost). So a run reads the request (``seen``) BEFORE it looks at the pause, and takes only that one:
        settings seen were asked for before any pause not seen yet (the GUI thread pauses first, then asks)."""
        with self._lock:
            if own is not None:
                request = own
                if request[2] <= self._settings_applied:
                    return False  # taken by a run already, or a later request was
            else:
                request = self._settings_request
                if (request is None or request[0] > self._trainer_generation
                        or (seen is not None and request is not seen)):
                    return False  # none, or for a Trainer handed over but not taken yet: its own request comes later
            if self._settings_request is not None and self._settings_request[2] <= request[2]:
                self._settings_request = None
            self._settings_applied = request[2]
        generation, experiment, _ = request
        if generation != self._trainer_generation or self._trainer is None:
            return False  # for a Trainer since replaced
        self._branch(self._trainer)  # new settings from an earlier update: the run goes on from there
        self._trainer.apply_settings(experiment)
        self._publish(self._trainer.snapshot())
        self.snapshotReady.emit()
        return True

    def _branch(self, t: Trainer) -> None:
        """Before training on from an update before the timeline's end: report the abandoned run for keeping."""
        if t.timeline is not None and t.step_count < t.timeline.end:
            abandoned = t.timeline.branch(t)
            if abandoned is not None:
                self._report(self.branched, *abandoned)

    @Slot()
    @_guard
    def _do_rewind(self) -> None:
        request, self._rewind_to = self._rewind_to, None
        t = self._trainer
        if t is None or t.timeline is None or request is None:
            return
        generation, step = request
        if generation != self._trainer_generation:
            return  # made for a Trainer since replaced: its updates are not this one's
        try:
            t.timeline.rewind(t, step)
        except ValueError as e:  # the run moved on since the step was chosen (a Reset): said, nothing changed
            self._report(self.notice, f"Not gone back: {e}; the run was reset or set back since.")
            return
        self._publish(t.snapshot())
        self.snapshotReady.emit()
        self._report(self.rewound, t.step_count)

    def _after_update(self, result, epoch_before: int) -> None:
        t = self._trainer
        if t.epoch != epoch_before:
            self._report(self.epochFinished, t.epoch)
        if result.diverged:
            self._report(self.diverged, result.diverged)

    @Slot()
    @_guard
    def _do_step(self) -> None:
        t = self._trainer
        if t is None:
            return
        self._sync_follow(t)
        self._branch(t)
        epoch = t.epoch
        result = t.step()
        self._publish(t.snapshot())
        self.snapshotReady.emit()
        self._after_update(result, epoch)

    @Slot(int)
    @_guard
    def _do_step_epoch(self, token: int) -> None:
        t = self._trainer
        stop = self._stopper(token)
        if t is None or stop():
            return
        self._branch(t)
        epoch = t.epoch
        self._running = True
        self.runningChanged.emit(True)
        start, first = time.perf_counter(), t.step_count
        try:
            while True:
                result = t.step()
                if result.diverged or result.epoch_finished or stop():
                    break
        finally:
            self._running = False
            self.runningChanged.emit(False)
        elapsed = time.perf_counter() - start
        if t.step_count - first >= 10 and elapsed > 0:  # the speed of this epoch (Compare's estimate goes by it)
            t.samples_per_second = (t.step_count - first) * t.batch_size / elapsed
        self._publish(t.snapshot())
        self.snapshotReady.emit()
        self._after_update(result, epoch)

    @Slot(int, int)
    @_guard
    def _do_run(self, token: int, updates: int = 0) -> None:
        t = self._trainer
        stop = self._stopper(token, for_settings=True)
        request = self._settings_request  # (before the pause is looked at: see _take_settings)
        if t is None or self._stopped_upto >= token:
            return
        if request is not None:
            self._take_settings(request)
        self._branch(t)
        self._running = True
        self.runningChanged.emit(True)
        reason = "finished"
        try:
            if t.epoch >= t.experiment.epochs:
                reason = "finished"
            elif self.updates_per_second > 0 and updates <= 0:
                reason = self._paced_run(t, self._stopper(token))  # (which takes new settings between updates)
            else:
                last_epoch = [t.epoch]

                def progress(snap: Snapshot) -> None:
                    self._publish(snap)
                    if snap.epoch != last_epoch[0]:
                        last_epoch[0] = snap.epoch
                        self._report(self.epochFinished, snap.epoch)

                start = t.step_count

                def left() -> int | None:
                    """Updates still to make of those asked for (None: no limit)."""
                    return updates - (t.step_count - start) if updates > 0 else None

                while True:
                    reason = None
                    if self._in_child_suits(t):
                        reason = "finished" if left() == 0 else self._child_run(t, token, progress, left())
                    if reason is None:  # in this thread (or on from where the child stopped: a weight to follow)
                        reason = ("finished" if left() == 0 else
                                  t.run(should_stop=stop, on_progress=progress,
                                        progress_interval=PROGRESS_INTERVAL, max_updates=left()))
                    # stopped for new settings (not by the learner): take them and go on from here
                    request = self._settings_request  # (before the pause is looked at: see _take_settings)
                    if reason == "stopped" and request is not None and self._stopped_upto < token:
                        if self._take_settings(request):
                            if t.epoch >= t.experiment.epochs:
                                reason = "finished"
                                break
                            continue
                        if self._settings_waiting():
                            continue  # replaced by newer settings since it was read: taken on the next stop
                    break
                if reason == "finished" and t.epoch < t.experiment.epochs:
                    reason = "stopped"  # the updates asked for are done, not the run
        except BaseException:
            # the run failed (a training child killed, say: the Trainer is back where the run began): the views
            # and the window's buttons learn that it no longer runs and where the Trainer stands; _guard reports it
            self._running = False
            try:
                self._publish(t.snapshot())
                self.snapshotReady.emit()
            finally:
                self.runningChanged.emit(False)
            raise
        finally:
            self._running = False
        self._publish(t.snapshot())
        self.snapshotReady.emit()
        # a run of a Trainer replaced meanwhile ends in silence (runningChanged aside)
        if reason == "diverged":
            self._report(self.diverged, t.diverged)
        self.runningChanged.emit(False)
        self._report(self.runFinished, reason)

    def _in_child_suits(self, t: Trainer) -> bool:
        """A flat-out run trains in a child process when that is enabled, the network is large (a small one's views
        are cheap to draw, and its run short) and no weight is followed (following one is set up between updates)."""
        return (child_runs_enabled() and t.network.n_parameters > draw_budget.LIGHT_PARAMETERS
                and self._follow_request is None and t.followed_index is None)

    def _child_run(self, t: Trainer, token: int, progress, max_updates: int | None) -> str | None:
        """The run in a child process (training.child_run). Returns its reason, or None when it stopped only because
        a weight is to be followed: the run goes on in this thread."""
        follow_asked = []
        settings_from = time.perf_counter() + CHILD_SETTINGS_GAP

        def stop() -> bool:
            if self._follow_request != t.followed_index:
                follow_asked.append(True)
                return True
            return self._stopped_upto >= token or (self._settings_waiting() and time.perf_counter() >= settings_from)

        self.run_in_child = True
        try:
            reason = child_run.run_in_child(t, should_stop=stop, on_progress=progress,
                                            progress_interval=PROGRESS_INTERVAL,
                                            max_updates=max_updates)
        finally:
            self.run_in_child = False
        if reason == "stopped" and follow_asked and self._stopped_upto < token:
            return None
        return reason

    def _paced_run(self, t: Trainer, stop) -> str:
        """Updates at ``updates_per_second`` on an absolute schedule (overhead does not accumulate), sleeping in
        short slices so a pause is felt at once. Below the redraw rate every update is published; above it,
        snapshots go out at the redraw rate like a full-speed run."""
        schedule_start, done, rate = time.perf_counter(), 0, self.updates_per_second
        last_publish = 0.0
        while t.epoch < t.experiment.epochs:
            if stop():
                return "stopped"
            if self.updates_per_second != rate:  # the learner moved the slider: restart the schedule
                rate = self.updates_per_second
                schedule_start, done = time.perf_counter(), 0
            if rate <= 0:  # switched to full speed mid-run
                return t.run(should_stop=stop, on_progress=self._publish, progress_interval=PROGRESS_INTERVAL)
            epoch = t.epoch
            result = t.step()
            done += 1
            now = time.perf_counter()
            if done > 1:
                t.samples_per_second = (done - 1) * t.batch_size / max(now - schedule_start, 1e-9)
            if rate <= 1 / PROGRESS_INTERVAL or now - last_publish >= PROGRESS_INTERVAL or result.diverged:
                self._publish(t.snapshot())
                last_publish = now
            if t.epoch != epoch:
                self._report(self.epochFinished, t.epoch)
            if result.diverged:
                return "diverged"
            if result.epoch_finished and t.early_stop_due():
                return "early-stopped"
            deadline = schedule_start + done / rate
            while (now := time.perf_counter()) < deadline:
                if stop():
                    return "stopped"
                time.sleep(min(0.02, deadline - now))
        return "finished"

    @Slot()
    @_guard
    def _do_reset(self) -> None:
        if self._trainer is not None:
            self._trainer.reset()
            self._publish(self._trainer.snapshot())
            self.snapshotReady.emit()

    @Slot()
    @_guard
    def _do_inspect(self) -> None:
        from nnstudio.training.inspect_step import inspect

        if self._trainer is not None:
            self._report(self.inspected, inspect(self._trainer))

    @Slot(str, object, object)
    def _do_save(self, path: str, parts: dict, task: Task) -> None:
        def work(report):
            if self._trainer is None:
                raise RuntimeError("nothing to save yet")
            return save_session(Session(self._trainer, parts["ui"], parts["kept_runs"]), path, report)

        task.run(work)  # an error or a cancel ends the task (the caller shows it); the worker stays usable
        if task.state == FINISHED:
            self.saved.emit(path)

    del _guard


class WorkerThread:
    """A TrainingWorker living in its own QThread, with a clean shutdown."""

    def __init__(self):
        # while this thread runs, reference cycles are collected on the GUI thread only (qt.gui_gc)
        self._holds_gc = gui_gc.hold()
        self.thread = QThread()
        self.thread.setObjectName("trainingThread")
        self.worker = TrainingWorker()
        self.worker.moveToThread(self.thread)
        self.thread.start()

    def shutdown(self, timeout_ms: int = 10_000) -> bool:
        """Stop any run, end the thread's event loop and wait for it. Returns whether it ended in time. (A thread
        that did not end keeps the collection on the GUI thread: letting it collect again is the hazard.)"""
        self.worker.pause()
        self.thread.quit()
        ended = self.thread.wait(timeout_ms)
        if ended and self._holds_gc:
            self._holds_gc = False
            gui_gc.let_go()
        return ended
