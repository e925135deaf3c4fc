"""Shared data for the data tests: the shipped MNIST is read once per test process."""

import pytest


@pytest.fixture(scope="session")
def mnist_sets():
    """The shipped MNIST's (train, test) image sets, read and checked (label counts) once; tests only read them."""
    from nnstudio.data.mnist import read_mnist

    return read_mnist()


@pytest.fixture
def mnist_from_memory(monkeypatch, mnist_sets):
    """The registry's ``mnist`` built from the sets already read, not from the files again."""
    from nnstudio.data import mnist

    monkeypatch.setattr(mnist, "read_mnist", lambda progress=None: mnist_sets)
    return mnist_sets
