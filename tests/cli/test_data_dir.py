"""``nnstudio train --data-dir FOLDER [--subset N]``: any IDX image folder trains, its inputs and outputs following
the data; a bad folder is one line and exit status 2."""

import gzip
import json
import subprocess
import sys

import numpy as np
import pytest

from nnstudio.cli import main
from nnstudio.data.idx import ImageSet, write_idx


def make_folder(folder, shape=(12, 10), classes=3, n_train=90, n_test=30):
    """Class k lights a band of rows; written as MNIST-style IDX files (gzipped)."""
    rng = np.random.default_rng(0)
    folder.mkdir()
    for part, n in (("train", n_train), ("t10k", n_test)):
        labels = (np.arange(n) % classes).astype(np.uint8)
        images = rng.integers(0, 60, (n, *shape)).astype(np.uint8)
        band = shape[0] // classes
        for k in range(classes):
            images[labels == k, k * band:(k + 1) * band] += 180
        write_idx(folder / f"{part}-images-idx3-ubyte.gz", images)
        write_idx(folder / f"{part}-labels-idx1-ubyte.gz", labels)
    return folder


def train(capsys, *args):
    code = main(["train", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_folder_with_its_own_size_and_classes_trains_as_a_person_runs_it(tmp_path):
    folder = make_folder(tmp_path / "bands")
    done = subprocess.run([sys.executable, "-m", "nnstudio", "train", "--preset", "trask-neuron", "--data-dir",
                           str(folder), "--epochs", "30", "--json"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    r = json.loads(done.stdout)
    assert r["dataset"] == "idx:bands" and r["epochs"] == 30
    (layer,) = r["layers"]  # the lesson's one layer, now 120 inputs and 3 softmax outputs
    assert np.asarray(layer["weights"]).shape == (120, 3) and layer["activation"] == "softmax"
    assert r["test_accuracy"] > 0.9


def test_subset_and_a_hidden_layer(tmp_path, capsys):
    folder = make_folder(tmp_path / "bands")
    code, out, err = train(capsys, "--preset", "gender-network", "--data-dir", str(folder), "--subset", "30",
                           "--epochs", "3", "--json")
    assert code == 0, err
    r = json.loads(out)
    weights = [np.asarray(layer["weights"]).shape for layer in r["layers"]]
    assert weights == [(120, 2), (2, 3)] and r["updates"] == 3 * 30  # per-sample updates on the 30 kept
    code, out, err = train(capsys, "--preset", "gender-network", "--data-dir", str(folder), "--subset", "all",
                           "--epochs", "1", "--json")
    assert code == 0, err
    assert json.loads(out)["updates"] == 90


@pytest.mark.parametrize("args, message", [
    (["--data-dir", "{tmp}/nowhere"], "--data-dir: {tmp}/nowhere: no such folder"),
    (["--data-dir", "{tmp}/empty"], "--data-dir: {tmp}/empty: no train-images-idx3-ubyte (or .gz) here; an IDX "
                                    "dataset folder holds train-images-idx3-ubyte and train-labels-idx1-ubyte, each "
                                    "optionally gzipped"),
    (["--data-dir", "{tmp}/cut"], "--data-dir: train-images-idx3-ubyte.gz: 10,800 bytes of pixels expected, 1,000 "
                                  "found (the file is cut short)"),
    (["--data-dir", "{tmp}/bands", "--subset", "91"],
     "--data-dir: idx:bands: subset must be a whole number of training images from 1 to 90, or 0 for all of them; "
     "got 91"),
    (["--subset", "100"], "--subset: the dataset 'toy' has no subset (only image datasets do: idx, npz, mnist; or "
                          "give --data-dir)"),
    (["--subset", "many"], "argument --subset: 'many' is not a whole number of images (or 'all')"),
])
def test_bad_data_is_one_line_and_exit_2(tmp_path, capsys, args, message):
    make_folder(tmp_path / "bands")
    (tmp_path / "empty").mkdir()
    make_folder(tmp_path / "cut")
    whole = tmp_path / "cut" / "train-images-idx3-ubyte.gz"
    whole.write_bytes(gzip.compress(gzip.decompress(whole.read_bytes())[:16 + 1000]))
    code, out, err = train(capsys, "--preset", "trask-neuron", *(a.format(tmp=tmp_path) for a in args))
    assert code == 2 and out == ""
    assert err == f"nnstudio: error: {message.format(tmp=tmp_path)}\n"


def test_a_wrong_prediction_length_names_the_pixels_briefly(tmp_path, capsys):
    folder = make_folder(tmp_path / "bands")
    code, out, err = train(capsys, "--preset", "trask-neuron", "--data-dir", str(folder), "--predict", "1,2")
    assert code == 2
    assert err == "nnstudio: error: --predict '1,2': expected 120 value(s) (r1c1, r1c2, r1c3, ..., r12c10), got 2\n"


def test_datasets_lists_mnist_and_says_where_folders_go(capsys):
    assert main(["datasets"]) == 0
    out = capsys.readouterr().out
    names = [line.split()[0] for line in out.splitlines() if line and not line.startswith(" ")]
    assert "mnist" in names and "idx" not in names and "csv" not in names
    assert "nnstudio train --data-dir FOLDER" in out


def test_subset_of_mnist_from_an_experiment_file(tmp_path, capsys, monkeypatch):
    """--subset reaches the shipped MNIST (its files stand in here by a small set of the same shape)."""
    from nnstudio.core.network import LayerSpec
    from nnstudio.data import mnist
    from nnstudio.training.experiment import Experiment

    rng = np.random.default_rng(0)
    labels = (np.arange(200) % 10).astype(np.uint8)
    fake = ImageSet(rng.integers(0, 256, (200, 28, 28), dtype=np.uint8), labels)
    monkeypatch.setattr(mnist, "read_mnist", lambda progress=None: (fake, fake))
    Experiment(name="digits", dataset="mnist", layers=[LayerSpec(10, "softmax")], loss="softmax_cross_entropy",
               batch_size=0, epochs=2, dtype="float32").save(tmp_path / "digits.json")
    code, out, err = train(capsys, "--experiment", str(tmp_path / "digits.json"), "--subset", "50", "--json")
    assert code == 0, err
    r = json.loads(out)
    assert r["dataset"] == "mnist" and r["updates"] == 2 and np.asarray(r["layers"][0]["weights"]).shape == (784, 10)


def test_the_text_report_of_a_table_too_big_to_list_ends_cleanly(tmp_path, capsys):
    """Over MAX_JSON_OUTPUT_ROWS training rows (MNIST's 60,000) the outputs are not kept for the report; the text
    report (without --json) then ended in 'unexpected error (TypeError...)' after training, exit status 1."""
    from nnstudio import cli

    folder = make_folder(tmp_path / "many", shape=(4, 4), n_train=cli.MAX_JSON_OUTPUT_ROWS + 10, n_test=10)
    code, out, err = train(capsys, "--preset", "gender-network", "--data-dir", str(folder), "--epochs", "1")
    assert code == 0, err
    assert "unexpected error" not in err and "accuracy" in out and "outputs of the last training pass" not in out
