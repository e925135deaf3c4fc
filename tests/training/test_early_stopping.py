"""Early stopping: a run ends when the test loss has not improved for ``Experiment.early_stopping`` epochs; off by
default, inert without test rows, and invisible to the path of the weights (checked only at an epoch's end)."""

import json
import math

import numpy as np
import pytest

from nnstudio.core.network import LayerSpec
from nnstudio.data.dataset import Dataset
from nnstudio.training import Experiment, ExperimentError, Trainer
from nnstudio.training import early_stopping
from nnstudio.training.experiment import MAX_PATIENCE
from nnstudio.training.session import Session


def _overfitting(**kw) -> Experiment:
    """30 noisy training points and a 32-unit network with a brisk Adam: the test loss bottoms out at epoch 3 and
    climbs from there (0.96 0.67 0.56 0.54 0.56 0.59 0.61 ...)."""
    base = dict(name="overfit", dataset="gaussians",
                dataset_params={"size": 60, "noise": 1.5, "seed": 2, "test_fraction": 0.5},
                layers=[LayerSpec(32, "tanh"), LayerSpec(1, "sigmoid")], loss="binary_cross_entropy", init="xavier",
                optimizer="adam", learning_rate=0.05, epochs=40)
    base.update(kw)
    return Experiment(**base)


def _weights(t):
    return [p.copy() for p in t.network.parameters()]


def _same(a, b):
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b))


def test_an_overfitting_run_stops_after_patience_epochs_without_a_better_test_loss():
    t = Trainer(_overfitting(early_stopping=5))
    assert t.run() == "early-stopped"
    test_losses = t.history.epochs.values[:, 2]
    best = int(np.argmin(test_losses))
    assert 0 < best < t.epoch < t.experiment.epochs
    assert t.epoch - best == 5 and t.best.epoch == best and t.best.loss == test_losses[best]
    assert np.all(test_losses[best + 1:] > test_losses[best])
    snap = t.snapshot()
    assert (snap.best_epoch, snap.best_test_loss) == (best, test_losses[best])
    assert early_stopping.message(snap.epoch, snap.best_epoch, snap.best_test_loss) == (
        f"Stopped early at epoch {t.epoch}: the test loss had not improved for 5 epochs "
        f"(best {early_stopping.fmt(test_losses[best])} at epoch {best}).")


def test_early_stopping_is_off_by_default_and_the_run_goes_to_the_epoch_limit():
    assert Experiment().early_stopping == 0
    t = Trainer(_overfitting())
    assert t.run() == "finished" and t.epoch == 40
    assert t.best.epoch == int(np.argmin(t.history.epochs.values[:, 2]))  # remembered all the same
    assert not t.early_stop_due()


def test_without_test_rows_nothing_stops():
    rng = np.random.default_rng(2)
    X = rng.normal(0, 1.5, (30, 2))
    y = (X[:, 0] + rng.normal(0, 1.5, 30) > 0).astype(np.int64)
    ds = Dataset(name="no-test", title="no test", task="binary", X=X, y=y, feature_names=("a", "b"),
                 class_names=("no", "yes"))
    t = Trainer(_overfitting(dataset="no-test", dataset_params={}, early_stopping=1, epochs=12), ds)
    assert t.run() == "finished" and t.epoch == 12
    assert t.best.epoch is None and t.snapshot().best_epoch is None


def test_the_check_leaves_the_path_of_the_weights_alone():
    """Early stopping on but not triggered, and a run stopped early, follow the same updates as a run without it."""
    off = Trainer(_overfitting(shuffle=True, batch_size=8))
    off.run(max_epochs=6)
    on = Trainer(_overfitting(shuffle=True, batch_size=8, early_stopping=1000))
    on.run(max_epochs=6)
    assert _same(_weights(off), _weights(on)) and on.step_count == off.step_count
    np.testing.assert_array_equal(on.history.epochs.values, off.history.epochs.values)
    stopped = Trainer(_overfitting(shuffle=True, batch_size=8, early_stopping=2))
    assert stopped.run() == "early-stopped"
    plain = Trainer(_overfitting(shuffle=True, batch_size=8))
    plain.run(max_epochs=stopped.epoch)
    assert _same(_weights(stopped), _weights(plain))


def test_a_session_saved_mid_run_stops_at_the_same_epoch_after_loading(tmp_path):
    whole = Trainer(_overfitting(early_stopping=5))
    assert whole.run() == "early-stopped"
    part = Trainer(_overfitting(early_stopping=5))
    part.run(max_epochs=whole.epoch - 2)  # past the best epoch, not yet stopped
    Session(part).save(tmp_path / "run.nnstudio")
    loaded = Session.load(tmp_path / "run.nnstudio").trainer
    assert loaded.experiment.early_stopping == 5 and loaded.best.epoch == whole.best.epoch
    assert loaded.run() == "early-stopped" and loaded.epoch == whole.epoch


def test_continuing_after_an_early_stop_trains_one_more_epoch_and_stops_again():
    t = Trainer(_overfitting(early_stopping=3))
    assert t.run() == "early-stopped"
    epoch = t.epoch
    assert t.run() == "early-stopped" and t.epoch == epoch + 1


def test_a_rollback_over_an_epoch_end_forgets_a_best_epoch_it_undid():
    t = Trainer(_overfitting(early_stopping=5, batch_size=10))  # 30 training rows: 3 updates an epoch
    t.run(max_updates=3)
    assert t.epoch == 1 and t.best.epoch == 1
    t.network.dense_layers[0].W[...] = np.inf  # the next loss is NaN: back to where update 3 started
    assert t.step().diverged
    assert t.epoch == 0 and t.step_count == 2
    assert t.best.epoch == 0  # epoch 1's end was undone with the update that reached it
    assert t.run(max_epochs=1) == "finished" and t.best.epoch == 1


def test_apply_settings_takes_a_new_patience_without_a_reset():
    t = Trainer(_overfitting())
    t.run(max_epochs=9)
    before = _weights(t)
    exp = t.experiment.replace(early_stopping=2)
    assert exp.architecture_key() == t.experiment.architecture_key()
    t.apply_settings(exp)
    assert _same(before, _weights(t)) and t.early_stop_due()  # best at 3, now at 9
    assert t.run() == "early-stopped" and t.epoch == 10


@pytest.mark.parametrize("value", [-1, MAX_PATIENCE + 1])
def test_a_patience_out_of_range_is_refused(value):
    with pytest.raises(ExperimentError, match="early stopping must be 0 .off. or a patience of 1 to"):
        Experiment(early_stopping=value).validate()
    text = Experiment().to_dict() | {"early_stopping": value}
    with pytest.raises(ExperimentError, match="early stopping"):
        Experiment.from_dict(text, "run.json")


@pytest.mark.parametrize("value", [2.5, "3", True, None])
def test_a_patience_that_is_not_a_whole_number_is_refused(value):
    with pytest.raises(ExperimentError, match="run.json: early_stopping"):
        Experiment.from_dict(Experiment().to_dict() | {"early_stopping": value}, "run.json")


def test_experiment_files_round_trip_the_patience_and_older_files_load_as_off():
    exp = _overfitting(early_stopping=7)
    assert Experiment.from_json(exp.to_json()).early_stopping == 7
    old = json.loads(exp.to_json())
    del old["early_stopping"]
    assert Experiment.from_json(json.dumps(old)).early_stopping == 0


def test_improvement_needs_more_than_a_tiny_relative_margin():
    assert early_stopping.improves(0.5, math.inf)
    assert not early_stopping.improves(math.nan, math.inf)
    assert not early_stopping.improves(0.5 * (1 - early_stopping.MIN_IMPROVEMENT / 2), 0.5)
    assert early_stopping.improves(0.5 * (1 - 2 * early_stopping.MIN_IMPROVEMENT), 0.5)


def test_epochs_a_thinned_history_does_not_keep_are_still_watched(monkeypatch):
    """Past the history's capacity only every 2nd, 4th... epoch is recorded; early stopping sees every epoch."""
    from nnstudio.training import trainer as trainer_module

    exp = _overfitting(learning_rate=0.005, early_stopping=3, epochs=200)
    full = Trainer(exp)
    assert full.run() == "early-stopped"
    history = trainer_module.History
    monkeypatch.setattr(trainer_module, "History", lambda *a, **k: history(*a, **k, capacity=4))
    small = Trainer(exp)
    assert small.run() == "early-stopped"
    assert full.best.epoch not in small.history.epochs.x  # the best epoch was judged but not recorded
    assert (small.epoch, small.best.epoch, small.best.loss) == (full.epoch, full.best.epoch, full.best.loss)
