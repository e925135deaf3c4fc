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


# -- every failure is one line, with the documented exit status ---------------------------------------------------------
def one_line(done):
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    return lines[0]


def test_an_empty_preset_name_is_bad_input():
    done = run("train", "--preset", "")
    assert done.returncode == 2 and "unknown preset ''; known: " in one_line(done)


def test_a_billion_units_is_refused_before_anything_is_allocated(tmp_path):
    from nnstudio.core.network import LayerSpec
    from nnstudio.training import presets

    path = tmp_path / "huge.json"
    presets.get("gender-network").replace(layers=[LayerSpec(10**9, "sigmoid"), LayerSpec(1, "sigmoid")]).save(path)
    done = run_limited("train", "--experiment", str(path))
    assert done.returncode == 2
    assert "hidden layer 1: 1,000,000,000 neurons is more than a layer can have here" in one_line(done)


def test_a_network_too_big_for_its_data_is_refused_with_its_size(tmp_path):
    from nnstudio.core.network import LayerSpec
    from nnstudio.training import presets

    path = tmp_path / "big.json"
    exp = presets.get("gender-network").replace(dataset="spiral", dataset_params={"size": 100_000},
                                                layers=[LayerSpec(20_000, "tanh"), LayerSpec(1, "sigmoid")])
    exp.save(path)
    done = run_limited("train", "--experiment", str(path))
    line = one_line(done)
    assert done.returncode == 2
    assert "too big to build: 2 → 20000 → 1 has 80,001 parameters" in line and "GB of memory for 75,000 rows" in line


def run_limited(*args):
    """The command under a 4 GB address-space limit: a regression fails with MemoryError, not the machine."""
    import resource

    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (4 * 1024**3, resource.RLIM_INFINITY))

    return subprocess.run([sys.executable, "-m", "nnstudio", *args], capture_output=True, text=True, timeout=120,
                          preexec_fn=limit)


def test_running_out_of_memory_is_one_line_and_exit_1(monkeypatch, capsys):
    from nnstudio import cli
    from nnstudio.training.trainer import Trainer

    def no_memory(self, *a, **k):
        raise MemoryError

    monkeypatch.setattr(Trainer, "run", no_memory)
    assert cli.main(["train", "--preset", "trask-neuron"]) == 1
    err = capsys.readouterr().err
    assert err == "nnstudio: out of memory (try a smaller network or fewer rows)\n"


def test_an_unexpected_error_is_one_line_and_exit_1(monkeypatch, capsys):
    from nnstudio import cli

    monkeypatch.setattr(cli, "cmd_presets", lambda args: 1 / 0)
    monkeypatch.delenv("NNSTUDIO_DEBUG", raising=False)
    assert cli.main(["presets"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("nnstudio: unexpected error (ZeroDivisionError: division by zero)")


def test_a_closed_pipe_is_silent():
    # the reader goes away before we write (as `nnstudio train ... | head -1` does when head has its line)
    child = subprocess.Popen([sys.executable, "-m", "nnstudio", "train", "--preset", "trask-neuron"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    child.stdout.close()
    err = child.stderr.read()
    child.wait(timeout=120)
    assert err == b"" and child.returncode == 1


def test_ctrl_c_during_train_save_saves_what_was_trained_so_far(tmp_path):
    import pty
    import select
    import signal

    path = tmp_path / "run.nnstudio"
    master, slave = pty.openpty()  # stderr on a terminal, so the progress bar tells us training is under way
    child = subprocess.Popen([sys.executable, "-m", "nnstudio", "train", "--preset", "trask-neuron", "--epochs",
                              "100000000", "--save", str(path)], stdout=subprocess.PIPE, stderr=slave, text=True)
    os.close(slave)
    seen = b""
    try:
        while b"epoch" not in seen:
            ready, _, _ = select.select([master], [], [], 60)
            assert ready, "no progress bar within a minute"
            seen += os.read(master, 4096)
        child.send_signal(signal.SIGINT)
        out, _ = child.communicate(timeout=60)
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the terminal closed with the child
                break
            if not chunk:
                break
            seen += chunk
    finally:
        os.close(master)
        if child.poll() is None:
            child.kill()
    err = seen.decode().replace("\r", "\n")
    lines = [line for line in err.splitlines() if line.strip() and not line.startswith("[")]
    assert child.returncode == 1 and "Traceback" not in err
    assert len(lines) == 1 and lines[0].startswith("nnstudio: interrupted after ")
    assert f"saved what was trained so far to {path}" in lines[0]
    t = Session.load(path).trainer
    assert 0 < t.epoch < 100_000_000 and f"interrupted after {t.epoch:,} of 100,000,000 epochs" in lines[0]
    assert f"trained  {t.epoch:,} epochs" in out  # the summary of what was trained


# -- numbers ------------------------------------------------------------------------------------------------------------
def test_the_tutorial_printout_is_unchanged():
    done = run("train", "--preset", "trask-neuron", "--predict", "1,0,0")
    assert done.returncode == 0, done.stderr
    expected = """layer 1 (sigmoid) weights 3x1:
  [[ 7.26283009]
   [-0.21614618]
   [-3.41703015]]
outputs of the last training pass (before the last update):
  row 1: [0.03178421]  target 0
  row 2: [0.97414645]  target 1
  row 3: [0.97906682]  target 1
  row 4: [0.02576499]  target 0
predict 1, 0, 0: [0.99929937]  → 1
"""
    assert done.stdout.endswith(expected)
    assert "accuracy train 1.0000" in done.stdout and "note:" not in done.stdout


def test_numbers_after_a_divergence_stay_short():
    done = run("train", "--preset", "diabetes-regression", "--lr", "1")
    assert done.returncode == 1
    assert max(len(line) for line in done.stdout.splitlines()) < 120
    r2 = next(line for line in done.stdout.splitlines() if line.startswith("R²"))
    assert "e+" in r2 and len(r2) < 40


def test_a_saturated_run_says_so_in_text_and_json():
    done = run("train", "--preset", "gender-network", "--lr", "1e6")
    assert done.returncode == 0, done.stderr
    note = next(line for line in done.stdout.splitlines() if line.startswith("note: "))
    assert "2 of 2 sigmoid neurons in hidden layer 1" in note and "smaller learning rate" in note
    r = json.loads(run("train", "--preset", "gender-network", "--lr", "1e6", "--epochs", "50", "--json").stdout)
    assert "saturated" in r["note"]
    r = json.loads(run("train", "--preset", "gender-network", "--json").stdout)
    assert r["note"] is None


def test_ctrl_c_during_the_save_says_the_file_was_not_written(tmp_path, monkeypatch, capsys):
    from nnstudio import cli

    path = tmp_path / "run.nnstudio"
    path.write_text("the previous save")

    def interrupted(self, target):
        raise KeyboardInterrupt

    monkeypatch.setattr(Session, "save", interrupted)
    assert cli.main(["train", "--preset", "trask-neuron", "--epochs", "3", "--save", str(path)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err == [f"nnstudio: interrupted while saving: {path} was not written (a file already there is unchanged)"]
    assert path.read_text() == "the previous save"


def test_mnist_fast_json_rebuilds_the_network_elsewhere_with_the_same_accuracy():
    """The JSON's layers (inputs, outputs) and preprocessing are enough for another program to rebuild the network:
    plain numpy on the raw test pixels gives the accuracy the command line reported."""
    import numpy as np

    from nnstudio import data

    done = run("train", "--preset", "mnist-fast", "--epochs", "1", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["test_accuracy"] >= 0.90 and result["outputs"] is None  # (60,000 rows: not listed)
    ds = data.load("mnist")
    pre = result["preprocessing"]
    a = (ds.X_test.astype(np.float64) - np.asarray(pre["shift"])) / np.asarray(pre["scale"])
    for layer in result["layers"]:
        z = a @ np.asarray(layer["weights"]) + np.asarray(layer["bias"])
        a = np.maximum(z, 0) if layer["activation"] == "relu" else z  # (softmax keeps the order of the outputs)
    assert [layer["activation"] for layer in result["layers"]] == ["relu", "softmax"]
    accuracy = float(np.mean(a.argmax(axis=1) == ds.y_test))
    assert accuracy == pytest.approx(result["test_accuracy"], abs=2e-4)
