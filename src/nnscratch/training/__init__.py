"""Training: the loop, its callbacks and history, the training state, and checkpoints.

The loop knows a model only by the few methods it calls (forward, backward, trainable,
evaluate, get_weights, set_weights), so it sits below :mod:`nnscratch.model`, whose
``Sequential.fit`` calls down into it.
"""

from .averaging import WeightAveraging
from .callbacks import Callback, EarlyStopping
from .checkpoint import Checkpoint, Checkpointer, load_latest, read_checkpoint, write_checkpoint
from .history import History
from .loop import Trainer, fit
from .progress import ProgressLog
from .signals import GracefulStop
from .state import TrainingState

__all__ = [
    "Callback",
    "Checkpoint",
    "Checkpointer",
    "EarlyStopping",
    "GracefulStop",
    "History",
    "ProgressLog",
    "Trainer",
    "TrainingState",
    "WeightAveraging",
    "fit",
    "load_latest",
    "read_checkpoint",
    "write_checkpoint",
]
