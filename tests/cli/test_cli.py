"""The command line, run as a person runs it: in a subprocess."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from nnstudio.training.session import Session


def run(*args, env=None):
    return subprocess.run([sys.executable, "-m", "nnstudio", *args], capture_output=True, text=True, timeout=120,
                          env=env)


def test_trask_neuron_json_reproduces_the_tutorial():
    done = run("train", "--preset", "trask-neuron", "--json", "--predict", "1,0,0")
    assert done.returncode == 0, done.stderr
    r = json.loads(done.stdout)  # stdout holds exactly one JSON object
    assert r["preset"] == "trask-neuron" and r["epochs"] == 1000
    (layer,) = r["layers"]
    assert layer["activation"] == "sigmoid" and layer["bias"] is None
    assert np.asarray(layer["weights"]).shape == (3, 1)
    np.testing.assert_allclose(np.ravel(layer["weights"]), [7.26283009, -0.21614618, -3.41703015], atol=1e-6)
    np.testing.assert_allclose(np.ravel(r["outputs"]), [0.03178421, 0.97414645, 0.97906682, 0.02576499], atol=1e-6)
    assert r["predictions"][0]["input"] == [1.0, 0.0, 0.0] and r["predictions"][0]["output"][0] > 0.99
    assert r["train_accuracy"] == 1.0 and r["test_accuracy"] is None
    for key in ("final_loss", "seconds"):
        assert isinstance(r[key], float)


def test_gender_network_queries_in_raw_units():
    done = run("train", "--preset", "gender-network", "--json", "--predict", "128,63", "--predict", "155,68")
    assert done.returncode == 0, done.stderr
    emily, frank = (p["output"][0] for p in json.loads(done.stdout)["predictions"])
    assert emily > 0.5 > frank


def test_readable_summary_and_overrides():
    done = run("train", "--preset", "trask-neuron", "--epochs", "10", "--lr", "0.5", "--seed", "2",
               "--predict", "1, 0, 0")
    assert done.returncode == 0, done.stderr
    assert "10 epochs, 10 updates" in done.stdout and "predict 1, 0, 0" in done.stdout
    assert "Traceback" not in done.stderr


def test_diabetes_regression_reports_r_squared():
    r = json.loads(run("train", "--preset", "diabetes-regression", "--json", "--predict", "10").stdout)
    assert r["train_accuracy"] is None and 0.4 < r["train_r2"] < 1
    (layer,) = r["layers"]
    assert layer["activation"] == "identity" and len(layer["bias"]) == 1


@pytest.mark.parametrize("args, message", [
    (["train", "--preset", "nope"], "unknown preset 'nope'; known: "),
    (["train", "--preset", "trask-neuron", "--predict", "1,0"], "expected 3 value(s)"),
    (["train", "--preset", "trask-neuron", "--predict", "1,x,0"], "'x' is not a number"),
    (["train", "--preset", "trask-neuron", "--epochs", "-5"], "negative"),
    (["train", "--preset", "trask-neuron", "--lr", "0"], "positive"),
    (["train"], "required"),
    (["frobnicate"], "invalid choice"),
    (["train", "--experiment", "/nonexistent/x.json"], "cannot be read"),
])
def test_bad_arguments_exit_2_with_one_line(args, message):
    done = run(*args)
    assert done.returncode == 2
    assert message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert done.stdout == ""


def test_divergence_is_reported_and_exits_1():
    done = run("train", "--preset", "diabetes-regression", "--lr", "1", "--json")
    assert done.returncode == 1
    assert "diverged" in done.stderr and "smaller learning rate" in done.stderr
    assert json.loads(done.stdout)["diverged"]


def test_save_writes_a_session_the_studio_can_open(tmp_path):
    path = tmp_path / "run.nnstudio"
    done = run("train", "--preset", "gender-network", "--epochs", "50", "--save", str(path), "--json")
    assert done.returncode == 0, done.stderr
    r = json.loads(done.stdout)
    t = Session.load(path).trainer
    assert t.epoch == 50
    np.testing.assert_array_equal(t.network.dense_layers[0].W, r["layers"][0]["weights"])


def test_experiment_file(tmp_path):
    from nnstudio.training import presets

    path = tmp_path / "exp.json"
    presets.get("trask-neuron").replace(epochs=5).save(path)
    r = json.loads(run("train", "--experiment", str(path), "--json").stdout)
    assert r["epochs"] == 5 and r["preset"] is None


def test_lists():
    out = run("presets").stdout
    for name in ("trask-neuron", "gender-network", "perceptron-50k", "diabetes-regression"):
        assert name in out
    out = run("datasets").stdout
    for name in ("toy", "gender", "diabetes-bmi", "xor", "circles", "spiral", "gaussians"):
        assert name in out


def test_no_display_gives_one_clear_line():
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    done = run(env=env)
    if sys.platform.startswith("linux"):
        assert done.returncode == 2
        assert "no display" in done.stderr and "xvfb-run" in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1


def test_plot_writes_a_panel_headless(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    png, table = tmp_path / "surface.png", tmp_path / "predictions.csv"
    done = run("plot", "--preset", "diabetes-regression", "--panel", "surface", "--epochs", "200", "--size",
               "640x400", "--out", str(png), env=env)
    assert done.returncode == 0, done.stderr
    from PySide6.QtGui import QImage

    image = QImage(str(png))
    assert (image.width(), image.height()) == (640, 400)
    assert len({image.pixel(x, y) for x in range(0, 640, 9) for y in range(0, 400, 9)}) > 20
    done = run("plot", "--preset", "diabetes-regression", "--panel", "predictions", "--epochs", "200",
               "--out", str(table), env=env)
    assert done.returncode == 0, done.stderr
    lines = table.read_text().splitlines()
    assert len(lines) > 2 and "," in lines[0]


def test_plot_rejects_unknown_panels_and_formats(tmp_path):
    done = run("plot", "--preset", "trask-neuron", "--panel", "histogramz", "--out", str(tmp_path / "x.png"))
    assert done.returncode == 2
    assert "valid panels: network, weights, curves, activation, surface, predictions" in done.stderr
    done = run("plot", "--preset", "trask-neuron", "--panel", "curves", "--out", str(tmp_path / "x.bmp"))
    assert done.returncode == 2 and ".png, .svg or .csv" in done.stderr
