"""The small tables the tutorials are built on, typed in from their published values."""

from __future__ import annotations

import numpy as np

from nnstudio.data.dataset import Dataset, Preprocessing, Query
from nnstudio.data.registry import DatasetSource, register


def toy() -> Dataset:
    """T1/T4: four rows of three binary inputs; the target copies the first input, the third is always 1."""
    X = np.array([[0, 0, 1], [1, 1, 1], [1, 0, 1], [0, 1, 1]], dtype=np.float64)
    y = np.array([0, 1, 1, 0])
    return Dataset(
        name="toy", title="Toy table (4 rows, 3 inputs)", task="binary", X=X, y=y,
        feature_names=("x1", "x2", "x3"), class_names=("0", "1"),
        queries=(Query("new row [1, 0, 0]", (1.0, 0.0, 0.0), "1"),),
        description="The output equals the first input; the third input is always 1 and acts like a bias.",
        source="Typed in from the tutorial's table.",
    )


# (weight lb, height in, sex) with female = 1, male = 0
_GENDER = [("Alice", 133, 65, 1), ("Bob", 160, 72, 0), ("Charlie", 152, 70, 0), ("Diana", 120, 60, 1)]


def gender() -> Dataset:
    """T2: four people's weight and height; features shifted by 135 lb and 66 in before they reach the network."""
    X = np.array([[w, h] for _, w, h, _ in _GENDER], dtype=np.float64)
    y = np.array([s for *_, s in _GENDER])
    return Dataset(
        name="gender", title="Gender from weight and height (4 people)", task="binary", X=X, y=y,
        feature_names=("weight (lb)", "height (in)"), class_names=("male", "female"),
        preprocessing=Preprocessing((135.0, 66.0), (1.0, 1.0), "shifted by 135 lb and 66 in"),
        queries=(Query("128 lb, 63 in", (128.0, 63.0), "female (about 0.95)"),
                 Query("155 lb, 68 in", (155.0, 68.0), "male (about 0.04)")),
        description="Alice, Bob, Charlie and Diana; the output is the probability of 'female'.",
        source="Typed in from the tutorial's table.",
        params={"names": [name for name, *_ in _GENDER]},
    )


# Body-mass index of the last 20 patients of scikit-learn's diabetes set (BSD-3), scaled x100 and shifted +10,
# against disease progression one year later.
_DIABETES_BMI = [
    (17.786338762689528, 233), (6.038187157388812, 91), (11.103903904628568, 111), (5.930405950000734, 152),
    (6.577093194329211, 120), (10.564997867688168, 67), (18.864150836570328, 310), (6.684874401717293, 94),
    (4.3136878391795355, 183), (6.9004368164934515, 66), (15.522933407539849, 173), (3.990344217015294, 72),
    (10.133873038135851, 49), (7.65490526821001, 64), (2.5891885209702528, 48), (11.96615356373321, 178),
    (8.40937371992657, 104), (8.40937371992657, 132), (13.90621529671865, 220), (2.6969697283583347, 57),
]


def diabetes_bmi() -> Dataset:
    """T5: 20 points for a straight-line fit."""
    X = np.array([[x] for x, _ in _DIABETES_BMI], dtype=np.float64)
    y = np.array([[float(t)] for _, t in _DIABETES_BMI])
    return Dataset(
        name="diabetes-bmi", title="Diabetes: progression vs BMI (20 points)", task="regression", X=X, y=y,
        feature_names=("bmi (x100, +10)",), target_names=("progression",),
        queries=(Query("bmi 10", (10.0,)), Query("bmi 15", (15.0,))),
        description="Disease progression against body-mass index: a straight line fits it roughly.",
        source="scikit-learn's diabetes dataset (BSD-3-Clause): BMI of the last 20 patients, x100 and +10.",
    )


def closed_form_line(ds: Dataset) -> tuple[float, float]:
    """Least-squares slope m and intercept b for a one-feature regression set: m = cov(x, y) / var(x)."""
    x = ds.X[:, 0]
    t = ds.y[:, 0]
    m = float(np.sum((x - x.mean()) * (t - t.mean())) / np.sum((x - x.mean()) ** 2))
    return m, float(t.mean() - m * x.mean())


register(DatasetSource("toy", "Toy table (4 rows)", "binary", "T1/T4: the target copies the first input.", toy))
register(DatasetSource("gender", "Gender (4 people)", "binary", "T2: weight and height, female = 1.", gender))
register(DatasetSource("diabetes-bmi", "Diabetes BMI (20 points)", "regression",
                       "T5: disease progression against body-mass index.", diabetes_bmi))
