import json

import pytest

from nnstudio.core.network import LayerSpec
from nnstudio.training import Experiment, ExperimentError, presets


def test_json_round_trip_of_every_preset(tmp_path):
    for name in ("trask-neuron", "gender-network", "perceptron-50k", "diabetes-regression"):
        exp = presets.get(name)
        path = tmp_path / f"{name}.json"
        exp.save(path)
        assert Experiment.load(path) == exp


def test_round_trip_keeps_every_field():
    exp = Experiment(name="x", dataset="spiral", dataset_params={"size": 300, "noise": 0.2},
                     layers=[LayerSpec(8, "relu", True, 0.1), LayerSpec(1, "sigmoid")], optimizer="adam",
                     learning_rate=0.01, beta2=0.99, batch_size=32, shuffle=True, l1=0.001, l2=0.01,
                     lr_schedule="inverse", lr_decay=0.1, dtype="float32", excluded_rows=(3, 5), seed=7)
    assert Experiment.from_json(exp.to_json()) == exp


@pytest.mark.parametrize("text, message", [
    ("{not json", "not valid JSON (line 1, column 2"),
    ("[1, 2]", "expected a JSON object"),
    ('{"format": "something-else", "version": 1}', "not an NN Studio experiment"),
    ('{"format": "nnstudio-experiment", "version": 99}', "version 99 is not supported"),
    ('{"format": "nnstudio-experiment", "version": 1, "colour": "red"}', "unknown field(s) colour"),
    ('{"format": "nnstudio-experiment", "version": 1, "layers": [{"activation": "sigmoid"}]}', "layers[0]: units is missing"),
    ('{"format": "nnstudio-experiment", "version": 1, "learning_rate": -1}', "learning rate must be a positive"),
    ('{"format": "nnstudio-experiment", "version": 1, "loss": "hinge"}', "unknown loss 'hinge'; known: "),
])
def test_damaged_or_foreign_files_are_refused_with_a_reason(text, message):
    with pytest.raises(ExperimentError) as info:
        Experiment.from_json(text, "bad.json")
    assert message in str(info.value) and "bad.json" in str(info.value)


def test_unreadable_file(tmp_path):
    with pytest.raises(ExperimentError, match="missing.json: cannot be read"):
        Experiment.load(tmp_path / "missing.json")
    (tmp_path / "latin1.json").write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(ExperimentError, match="latin1.json"):
        Experiment.load(tmp_path / "latin1.json")


def test_json_whole_numbers_are_accepted_for_ints():
    d = presets.get("trask-neuron").to_dict()
    d["epochs"] = 10.0
    d["learning_rate"] = 1
    exp = Experiment.from_dict(json.loads(json.dumps(d)))
    assert exp.epochs == 10 and isinstance(exp.epochs, int) and isinstance(exp.learning_rate, float)


# -- size limits ----------------------------------------------------------------------------------------------------------
def test_mnist_sized_networks_fit_and_far_bigger_ones_are_refused():
    from nnstudio.training.experiment import MAX_BYTES

    def mnist(*hidden):
        return Experiment(layers=[*(LayerSpec(h, "relu") for h in hidden), LayerSpec(10, "softmax")],
                          loss="softmax_cross_entropy")

    params, need = mnist(256, 128).size(784, 60_000)
    assert params == 235_146 and need < MAX_BYTES / 3  # room for three times the tutorial-sized network
    assert mnist(256, 128).size_problems(784, 60_000) == [] and mnist(512, 256).size_problems(784, 60_000) == []
    (problem,) = mnist(1024, 1024).size_problems(784, 60_000)
    assert problem.startswith("the network is too big to build: 784 → 1024 → 1024 → 10 has 1,863,690 parameters")


def test_absurd_layers_are_refused_without_data():
    exp = Experiment(layers=[LayerSpec(10**9, "sigmoid"), LayerSpec(1, "sigmoid")])
    assert exp.problems() == ["hidden layer 1: 1,000,000,000 neurons is more than a layer can have here (100,000)"]
    wide = Experiment(layers=[LayerSpec(100_000, "relu"), LayerSpec(100_000, "relu"), LayerSpec(1, "sigmoid")])
    (problem,) = wide.problems()  # ten billion weights between the hidden layers alone
    assert "too big to build: inputs → 100000 → 100000 → 1 has at least 10,000,400,001 parameters" in problem


@pytest.mark.parametrize("field, value, message", [
    ("name", 5, "name: expected text, found a number 5"),
    ("learning_rate", "fast", "learning_rate: expected a number, found text 'fast'"),
    ("epochs", 2.5, "epochs: expected a whole number, found 2.5"),
    ("seed", True, "seed: expected a whole number, found true/false True"),
    ("shuffle", "yes", "shuffle: expected true or false"),
    ("dataset_params", [1], "dataset_params: expected an object"),
    ("dataset_params", {"size": [1, 2]}, "dataset_params.size: expected a number or text"),
    ("excluded_rows", [0, -1], "excluded_rows[1]: -1 is negative"),
    ("excluded_rows", "0", "excluded_rows: expected a list"),
    ("cell_edits", [[0, 0]], "cell_edits[0]: expected [row, column, value]"),
    ("cell_edits", [[0, 0, None]], "cell_edits[0][2]: expected a number"),
    ("layers", {"units": 2}, "layers: expected a list"),
    ("layers", [{"units": "2"}], "layers[0]: units must be a whole number"),
    ("layers", [{"units": 1, "bias": "no"}], "layers[0]: bias must be true or false"),
    ("layers", [{"units": 1, "colour": "red"}], "layers[0]: unknown field(s) colour"),
    ("initial_weights", "none", "initial_weights: expected a list"),
    ("initial_weights", [[[1.0, None]]], "initial_weights[0]: the value at [0, 1] is NaN"),
    ("initial_weights", [[[[1.0]]]], "initial_weights[0]: expected a weight matrix or a bias row"),
])
def test_every_field_has_its_type_checked(field, value, message):
    d = presets.get("trask-neuron").to_dict()
    d[field] = value
    with pytest.raises(ExperimentError) as info:
        Experiment.from_dict(json.loads(json.dumps(d)), "x.json")
    assert f"x.json: {message}" in str(info.value)


def test_deep_nesting_and_giant_numbers_are_refused_as_text():
    deep = '{"format": "nnstudio-experiment", "version": 1, "name": ' + "[" * 100_000 + "]" * 100_000 + "}"
    with pytest.raises(ExperimentError, match="nested more than 32 deep .line 1, column 88"):
        Experiment.from_json(deep, "deep.json")
    giant = '{"format": "nnstudio-experiment", "version": 1, "epochs": 1' + "0" * 5000 + "}"
    with pytest.raises(ExperimentError, match="giant.json: not valid JSON .Exceeds the limit"):
        Experiment.from_json(giant, "giant.json")
