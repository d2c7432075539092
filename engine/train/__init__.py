"""Fine-tuning (LoRA / QLoRA) on the base model's own chat template.

The only engine package that imports torch, transformers and peft, and only inside
functions: importing ``engine.train`` (or the CLI) stays light. Entry points:
:func:`engine.train.loop.train_job` (a job ``(spec, ctx)``, run in a child process by the
CLI) and :func:`engine.train.check.check_dataset` (``tuneforge data check``).
"""

from engine.train.dataset import LoadedDataset, load_dataset
from engine.train.errors import DataIssue, DatasetError
from engine.train.spec import TrainSpec

TRAIN_JOB = "engine.train.loop:train_job"

__all__ = ["TRAIN_JOB", "DataIssue", "DatasetError", "LoadedDataset", "TrainSpec", "load_dataset"]
