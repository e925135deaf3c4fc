"""The tutorials as ready-made experiments. A preset is just an Experiment with a name, a title and a line of text."""

from __future__ import annotations

from nnstudio.core.network import LayerSpec
from nnstudio.core.registry import Registry
from nnstudio.training.experiment import Experiment

_PRESETS = [
    Experiment(
        name="trask-neuron", title="One sigmoid neuron learns a rule (T1)",
        description="Three inputs, one sigmoid output, no bias; full-batch gradient descent on the 4-row toy table, "
                    "1000 updates at learning rate 1.",
        dataset="toy", layers=[LayerSpec(1, "sigmoid", bias=False)], init="uniform", seed=1,
        loss="squared_error", optimizer="sgd", learning_rate=1.0, batch_size=0, epochs=1000,
    ),
    Experiment(
        name="gender-network", title="A 2-2-1 network guesses gender (T2)",
        description="Weight and height in, two sigmoid hidden neurons with biases, one sigmoid output; one person "
                    "at a time (per-sample SGD), learning rate 0.1, 1000 epochs, mean squared error.",
        dataset="gender", layers=[LayerSpec(2, "sigmoid"), LayerSpec(1, "sigmoid")], init="normal",
        bias_init="same", seed=0, loss="mse", optimizer="sgd", learning_rate=0.1, batch_size=1, shuffle=False,
        epochs=1000,
    ),
    Experiment(
        name="mnist-tutorial", title="Handwritten digits with one hidden layer (T3)",
        description="784 pixels in, 30 tanh hidden neurons, 10 softmax outputs, weights uniform in [-1, 1); "
                    "minibatches of 64 with momentum 0.9, learning rate 0.05 divided by 1 + 0.001·epoch at the start "
                    "of every epoch, L2 penalty 0.0001, cross-entropy. About 95% of the test digits right after "
                    "12-20 epochs.",
        dataset="mnist", layers=[LayerSpec(30, "tanh"), LayerSpec(10, "softmax")], init="uniform", seed=0,
        loss="softmax_cross_entropy", optimizer="momentum", momentum=0.9, learning_rate=0.05,
        lr_schedule="compound", lr_decay=0.001, l2=1e-4, batch_size=64, shuffle=True, epochs=20, dtype="float32",
    ),
    Experiment(
        name="mnist-fast", title="Digits fast: 98% in a few seconds",
        description="784-256-10 with ReLU and He initial weights, Adam at 0.002 divided by 1 + epoch, minibatches "
                    "of 64, single precision: 98% of the test digits right after 5 epochs.",
        dataset="mnist", layers=[LayerSpec(256, "relu"), LayerSpec(10, "softmax")], init="he", seed=1,
        loss="softmax_cross_entropy", optimizer="adam", learning_rate=0.002, lr_schedule="inverse", lr_decay=1.0,
        batch_size=64, shuffle=True, epochs=5, dtype="float32",
    ),
    Experiment(
        name="perceptron-50k", title="One neuron watched for 50,000 updates (T4)",
        description="The toy table and starting weights of the first lesson, trained 50 times longer so the "
                    "per-sample errors can be followed on log-log axes.",
        dataset="toy", layers=[LayerSpec(1, "sigmoid", bias=False)], init="uniform", seed=1,
        loss="squared_error", optimizer="sgd", learning_rate=1.0, batch_size=0, epochs=50_000,
    ),
    Experiment(
        name="diabetes-regression", title="Linear regression is one neuron (T5)",
        description="One identity neuron y = m·x + b fitted to 20 diabetes points by gradient descent from m = 5, "
                    "b = 10 with learning rate 0.001 for 10,000 updates; compare with the least-squares line.",
        dataset="diabetes-bmi", layers=[LayerSpec(1, "identity", bias=True)], init="uniform", seed=1,
        initial_weights=[[[5.0]], [10.0]], loss="mse", optimizer="sgd", learning_rate=0.001, batch_size=0,
        epochs=10_000,
    ),
]

PRESETS: Registry[Experiment] = Registry("preset", {p.name: p for p in _PRESETS})


def get(name: str) -> Experiment:
    """A fresh copy of the preset called ``name`` (edit it freely)."""
    return Experiment.from_dict(PRESETS[name].to_dict(), origin=f"preset {name}")
