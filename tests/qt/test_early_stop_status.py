"""A run that early stopping ended says so in the status bar: where it stopped, for how long the test loss had not
improved, and the best epoch."""

import pytest

from nnstudio.core.network import LayerSpec


@pytest.mark.parametrize("pace", [0.0, 200.0])  # full speed, and the paced run of the speed slider
def test_the_status_bar_names_the_epoch_and_the_best_one(window, qtbot, in_gui_thread, pace):
    c = window.controller
    assert c.choose_dataset("gaussians", {"size": 60, "noise": 1.5, "seed": 2, "test_fraction": 0.5})
    exp = c.experiment.replace(layers=[LayerSpec(32, "tanh"), LayerSpec(1, "sigmoid")], loss="binary_cross_entropy",
                               init="xavier", optimizer="adam", learning_rate=0.05, batch_size=0, shuffle=False,
                               epochs=40, early_stopping=4)
    assert c.edit(exp, "overfit")
    window.worker.updates_per_second = pace
    messages = []
    window.statusBar().messageChanged.connect(messages.append)
    with qtbot.waitSignal(in_gui_thread(window.worker.runFinished), timeout=20000):
        window.run_action.setChecked(True)
    qtbot.waitUntil(lambda: not window.worker.running, timeout=5000)
    snap = window.worker.latest()
    assert snap.epoch < 40 and snap.epoch - snap.best_epoch == 4
    assert any(m.startswith(f"Stopped early at epoch {snap.epoch}: the test loss had not improved for 4 epochs "
                            f"(best ") and m.endswith(f" at epoch {snap.best_epoch}).") for m in messages), messages
