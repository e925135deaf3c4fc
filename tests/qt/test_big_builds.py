"""A network whose first pass over its data takes long (a wide layer on a big generated set) is built off the GUI
thread: the window keeps drawing, its input waits, and the edit, its undo and redo all land as usual."""

import threading

from nnstudio.core.network import LayerSpec
from nnstudio.qt import controller as controller_module
from nnstudio.training.trainer import Trainer


def _big(window):
    """The studio on 40,000 XOR points (half of them test rows), then a hidden layer of 256 units: 40,000 rows x
    ~1,000 weights, well past BUILD_IN_BACKGROUND."""
    c = window.controller
    assert c.choose_dataset("xor", {"size": 40000, "noise": 0.1, "seed": 0, "test_fraction": 0.5})
    exp = c.experiment
    layers = [LayerSpec(256, "tanh")] + list(exp.layers[-1:])
    big = exp.replace(layers=layers)
    assert controller_module.build_cost(big, c.dataset) > controller_module.BUILD_IN_BACKGROUND
    return big


def test_a_big_network_is_built_off_the_gui_thread_while_the_window_keeps_its_turns(window, heartbeat, monkeypatch):
    big = _big(window)
    builds = []
    beat = None

    class Watched(Trainer):
        def __init__(self, experiment, dataset=None):
            if experiment == big:
                # the build waits here until the GUI thread's timer has ticked 10 times more: it can only if the
                # GUI thread is not the one building (else this times out and the test fails below)
                builds.append((threading.get_ident(), beat.reached.wait(10)))
            super().__init__(experiment, dataset)

    monkeypatch.setattr(controller_module, "Trainer", Watched)
    gui = threading.get_ident()
    beat = heartbeat(enough=10)  # (ticks only once the event loop turns: inside the edit)
    assert window.controller.edit(big, "Add 256 hidden units")
    assert builds and all(thread != gui and ticked for thread, ticked in builds)
    assert window.controller.experiment == big and len(window.worker.latest().weights) == 2 * 2
    builds.clear()
    window.controller.undo_stack.undo()  # the small network: built in line
    assert window.controller.experiment != big and not builds
    beat = heartbeat(enough=10)
    window.controller.undo_stack.redo()  # the big one again: off the GUI thread again
    assert window.controller.experiment == big and builds and all(t != gui and ok for t, ok in builds)


def test_a_big_network_that_cannot_be_built_is_refused_and_nothing_changes(window, monkeypatch):
    big = _big(window)
    before = window.controller.experiment
    problems = []
    window.controller.problem.connect(lambda title, text: problems.append(text))

    class Failing(Trainer):
        def __init__(self, experiment, dataset=None):
            if experiment == big:
                raise controller_module.ExperimentError("not today")
            super().__init__(experiment, dataset)

    monkeypatch.setattr(controller_module, "Trainer", Failing)
    assert not window.controller.edit(big, "Add 256 hidden units")
    assert window.controller.experiment is before and problems and "not today" in problems[-1]
