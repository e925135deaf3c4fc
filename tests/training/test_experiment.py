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
