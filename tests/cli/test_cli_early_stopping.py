"""``nnstudio train --early-stopping K``: the run ends when the test loss stops improving, and says so."""

import json
import subprocess
import sys

import pytest

from nnstudio.core.network import LayerSpec
from nnstudio.training import Experiment, Trainer


def run(*args):
    return subprocess.run([sys.executable, "-m", "nnstudio", *args], capture_output=True, text=True, timeout=120)


@pytest.fixture
def overfitting(tmp_path):
    """30 noisy training points, a 32-unit network, a brisk Adam: the test loss is lowest at epoch 3."""
    exp = Experiment(name="overfit", dataset="gaussians",
                     dataset_params={"size": 60, "noise": 1.5, "seed": 2, "test_fraction": 0.5},
                     layers=[LayerSpec(32, "tanh"), LayerSpec(1, "sigmoid")], loss="binary_cross_entropy",
                     init="xavier", optimizer="adam", learning_rate=0.05, epochs=40)
    path = tmp_path / "overfit.json"
    exp.save(path)
    return path, exp


def test_json_reports_the_early_stop_and_the_best_epoch(overfitting):
    path, exp = overfitting
    done = run("train", "--experiment", str(path), "--early-stopping", "4", "--json")
    assert done.returncode == 0, done.stderr
    r = json.loads(done.stdout)
    ref = Trainer(exp.replace(early_stopping=4))
    assert ref.run() == "early-stopped"
    assert r["stopped_early"] is True and r["epochs"] == ref.epoch < 40
    assert r["best_epoch"] == ref.best.epoch and r["best_test_loss"] == ref.best.loss
    assert r["epochs"] - r["best_epoch"] == 4


def test_without_the_flag_the_run_goes_on_and_the_best_epoch_is_still_reported(overfitting):
    path, exp = overfitting
    r = json.loads(run("train", "--experiment", str(path), "--json").stdout)
    assert r["stopped_early"] is False and r["epochs"] == 40
    assert r["best_epoch"] == 3


def test_the_summary_says_where_it_stopped(overfitting):
    path, _ = overfitting
    done = run("train", "--experiment", str(path), "--early-stopping", "2")
    assert done.returncode == 0, done.stderr
    assert "Stopped early at epoch 5: the test loss had not improved for 2 epochs (best " in done.stdout
    assert "at epoch 3)." in done.stdout


def test_without_test_rows_the_flag_is_said_to_do_nothing():
    done = run("train", "--preset", "trask-neuron", "--early-stopping", "3", "--json", "--epochs", "20")
    assert done.returncode == 0
    r = json.loads(done.stdout)
    assert r["stopped_early"] is False and r["epochs"] == 20 and r["best_epoch"] is None
    assert "early stopping does nothing here" in done.stderr and "no test rows" in done.stderr


def test_a_negative_patience_is_bad_input():
    done = run("train", "--preset", "trask-neuron", "--early-stopping", "-1")
    assert done.returncode == 2 and "negative" in done.stderr and len(done.stderr.strip().splitlines()) == 1
