"""A confusion cell and the gallery filtered to it count the same images, also for a training set too big to judge
in full during a run (the matrix counts a sample then; at the pause, every image, as the gallery shows them)."""

import numpy as np

from nnstudio.core.network import LayerSpec
from nnstudio.data.idx import ImageSet
from nnstudio.data.image_sets import image_dataset
from nnstudio.qt.panels import gallery_numbers, predictions_numbers
from nnstudio.training import Experiment, Trainer


def _big_image_set(n=12_000):
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 3, size=n).astype(np.uint8)
    images = (rng.random((n, 4, 4)) * 60 + labels[:, None, None] * 60).astype(np.uint8)
    test_labels = rng.integers(0, 3, size=600).astype(np.uint8)
    test = (rng.random((600, 4, 4)) * 60 + test_labels[:, None, None] * 60).astype(np.uint8)
    return image_dataset("tiles", "Tiles", ImageSet(images, labels), ImageSet(test, test_labels))


def test_a_confusion_cell_counts_what_the_gallery_shows_for_it_on_a_big_training_set():
    ds = _big_image_set()
    assert ds.n_samples > predictions_numbers.BIG
    exp = Experiment(name="tiles", dataset=ds.name, layers=[LayerSpec(5, "tanh"), LayerSpec(3, "softmax")],
                     loss="softmax_cross_entropy", optimizer="adam", learning_rate=0.01, batch_size=64,
                     shuffle=True, dtype="float32")
    t = Trainer(exp, ds)
    t.run(max_updates=40)
    snap = t.snapshot()
    prepared = None
    matrix, _ = predictions_numbers.matrix(snap, ds, test=False, training=False, cache={}, prepared=prepared)
    assert int(matrix.M.sum()) == ds.n_samples and "all 12,000 training images" in matrix.note
    answers, _ = gallery_numbers.answers(snap, ds, False, {}, prepared)
    for true_class in range(3):
        for answer in range(3):
            shown = gallery_numbers.chosen(answers, true_class=true_class, answer=answer)
            assert len(shown) == matrix.M[true_class, answer]
