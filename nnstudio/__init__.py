"""NN Studio: build, train and watch small neural networks written from scratch in numpy."""

__version__ = "0.1.0"
