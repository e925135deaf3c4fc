"""Experiments, the Trainer, its History and Snapshots, the tutorial presets and session files. No Qt here."""

from nnstudio.training.experiment import Experiment, ExperimentError
from nnstudio.training.presets import PRESETS
from nnstudio.training.trainer import Snapshot, StepResult, Trainer

__all__ = ["PRESETS", "Experiment", "ExperimentError", "Snapshot", "StepResult", "Trainer"]
