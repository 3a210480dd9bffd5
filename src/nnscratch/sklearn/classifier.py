"""``NNClassifier``: a preset or a recipe of ours trained as a scikit-learn classifier.

It takes what any scikit-learn classifier takes: a 2-D array (or DataFrame) of features
``X`` (N, F) of any numbers, and labels ``y`` (N,) of any kind (ints, strings), which it maps
to 0..C-1 through ``classes_``. The network is the recipe's (``build_model``), with F inputs
(or, for a recipe that reads images, F = H·W pixels of ``image_shape``) and C outputs; it
trains with ``Sequential.fit``, so everything the command line's training does (the optimizers,
the schedule, the augmentation, early stopping, the divergence guard) happens here too: a
preset builds and trains here the network that ``nnscratch train --preset NAME`` builds and
trains for images of that shape (``tests/integration/test_sklearn.py`` compares them).

Parameters are stored as given and checked in ``fit``, as scikit-learn asks (``clone`` and
``set_params`` must not fail on a value that ``fit`` would refuse).
"""

from __future__ import annotations

import math
import numbers

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from .. import checks
from ..datasets.splits import train_dev_split
from ..engine.layers import Dense
from ..engine.optimizers import get_optimizer
from ..errors import ConfigError
from ..model import Recipe, Sequential, build_model, build_optimizer, get_preset
from ..model.presets import build_augmentation
from ..training import History

# Parameters that, when not None, override the recipe's field of the same name.
RECIPE_PARAMS = (
    "hidden",
    "activation",
    "dropout",
    "optimizer",
    "lr",
    "weight_decay",
    "epochs",
    "batch_size",
    "early_stopping",
)
# The checks of scikit-learn's check_estimator that a float32 NNClassifier fails, and why:
# give it to check_estimator(expected_failed_checks=...) or parametrize_with_checks.
FLOAT32_ROUNDING = (
    "float32 products round differently in BLAS kernels for different numbers of rows, so "
    "a row's probabilities may differ in the 7th significant digit between batches; the "
    "check asks for 1e-7: dtype='float64' passes it"
)
EXPECTED_FAILED_CHECKS = {
    "check_methods_subset_invariance": FLOAT32_ROUNDING,
    "check_methods_sample_order_invariance": FLOAT32_ROUNDING,
}


def expected_failed_checks(estimator: NNClassifier) -> dict[str, str]:
    """The checks of ``check_estimator`` that ``estimator`` is known to fail, each with its
    reason: :data:`EXPECTED_FAILED_CHECKS` in float32, none in float64."""
    return {} if estimator.dtype in ("float64", np.float64) else dict(EXPECTED_FAILED_CHECKS)


# How a message names the recipe fields the estimator sets from parameters of other names.
_PARAM_OF_FIELD = {"dev_size": "validation_fraction", "seed": "random_state"}


class NNClassifier(ClassifierMixin, BaseEstimator):
    """A neural-network classifier: one of our presets (``mlp``, ``cnn``, ``fast``, ``cnn-bn``,
    ``best``, ``lstm``, ``classic``) or a :class:`~nnscratch.model.Recipe`, with any of its
    fields overridden.

    Parameters:
        preset: the recipe to start from, unless ``recipe`` is given.
        recipe: a :class:`~nnscratch.model.Recipe` to start from instead of a preset.
        hidden: overrides the recipe's field of that name (None keeps it), as do the next
            seven.
        activation: as ``hidden``.
        dropout: as ``hidden``.
        optimizer: as ``hidden``.
        lr: as ``hidden``.
        weight_decay: as ``hidden``.
        epochs: as ``hidden``.
        batch_size: as ``hidden``; ``"full"`` is full-batch gradient descent.
        early_stopping: as ``hidden``; ``N`` stops after N epochs without a better validation
            loss and keeps the best weights.
        validation_fraction: the share of ``X`` held out (seeded, keeping class shares) and
            scored after every epoch (``validation_scores_``); needed by ``early_stopping``.
            0 trains on all of ``X``.
        image_shape: (H, W) of one example for a recipe that reads images (convolutional,
            recurrent: H rows of W pixels, augmented, or of ``layers``), with H·W = F; None
            takes square images (F = 784: 28x28).
        input_scale: the model multiplies ``X`` by it (1/255 for raw 0-255 pixels, as the
            command line's models do); None uses ``X`` as it is (after a StandardScaler, say).
        dtype: ``float32`` (fast) or ``float64``.
        verbose: what ``fit`` prints on stdout, as ``Sequential.fit``'s ``verbose``: 0
            nothing, 1 a progress bar through each epoch and its figures, 2 a line per epoch
            (True is 1).
        warm_start: ``fit`` carries on from the weights of the previous fit (same features and
            classes) instead of starting afresh.
        random_state: None (a fresh draw each fit), an int, or a ``numpy.random.RandomState``:
            seeds the validation split, the initial weights, the order of examples, dropout.

    Attributes (after ``fit``): ``classes_`` (C,), ``n_features_in_``, ``feature_names_in_``
    (for a DataFrame), ``model_`` (the trained :class:`~nnscratch.model.Sequential`; its
    ``save`` and ``to_onnx`` work as for any model), ``recipe_`` (the recipe trained, every
    override and the seed in it), ``loss_curve_`` (training loss per epoch, over all fits of
    a warm start and all ``partial_fit`` calls), ``loss_`` (its last value),
    ``validation_scores_`` (validation accuracy per epoch, or None without a validation set),
    ``best_validation_score_``, ``n_iter_`` (epochs trained), ``history_`` (the last fit's
    :class:`~nnscratch.training.History`), and as scikit-learn's MLPClassifier ``coefs_`` and
    ``intercepts_``: the weights (n_in, n_out) and biases (n_out,) of each Dense layer, in
    order (the model's own arrays; a convolutional or recurrent network's other layers are in
    ``model_``).

    A fitted estimator pickles (``pickle``, ``joblib.dump``) and loads back predicting the same;
    ``model_.save`` writes the network alone as a model file of ours.
    """

    # Fitted attributes, set by fit (declared, not assigned: an unfitted estimator lacks them).
    classes_: np.ndarray
    model_: Sequential

    def __init__(
        self,
        preset="mlp",
        *,
        recipe=None,
        hidden=None,
        activation=None,
        dropout=None,
        optimizer=None,
        lr=None,
        weight_decay=None,
        epochs=None,
        batch_size=None,
        early_stopping=None,
        validation_fraction=0.0,
        image_shape=None,
        input_scale=None,
        dtype="float32",
        verbose=0,
        warm_start=False,
        random_state=None,
    ):
        self.preset = preset
        self.recipe = recipe
        self.hidden = hidden
        self.activation = activation
        self.dropout = dropout
        self.optimizer = optimizer
        self.lr = lr
        self.weight_decay = weight_decay
        self.epochs = epochs
        self.batch_size = batch_size
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.image_shape = image_shape
        self.input_scale = input_scale
        self.dtype = dtype
        self.verbose = verbose
        self.warm_start = warm_start
        self.random_state = random_state

    # --- training -------------------------------------------------------------------------

    def fit(self, X, y):
        """Train on features ``X`` (N, F) and labels ``y`` (N,); returns ``self``.

        Afresh, unless ``warm_start`` and already fitted: then the network carries on from its
        weights (with a new optimizer and schedule), and ``X`` must have the same F and ``y``
        the same classes.
        """
        carry_on = bool(checks.flag("warm_start", self.warm_start)) and self._fitted()
        X, y = validate_data(self, X, y, dtype="numeric", reset=not carry_on)
        check_classification_targets(y)
        classes, y_index = np.unique(y, return_inverse=True)
        seed = self._seed()
        count = self._validation_count(len(y))
        recipe = self._recipe(seed=seed, dev_size=count)
        if carry_on:
            if not np.array_equal(classes, self.classes_):
                raise ValueError(
                    f"warm_start carries on a fit with classes {self.classes_}, "
                    f"but y has classes {classes}; refit with warm_start=False"
                )
            model = self.model_
            model.reseed(seed)
        else:
            self.classes_ = classes
            model = self.model_ = self._build(recipe, X.shape[1])
            self.loss_curve_, self.n_iter_ = [], 0
        train_idx, dev_idx = train_dev_split(
            y_index, count, rng=np.random.default_rng(seed), stratify=True
        )
        x_train, y_train = X[train_idx], y_index[train_idx]
        dev = (X[dev_idx], y_index[dev_idx]) if len(dev_idx) else None
        optimizer = build_optimizer(recipe, len(y_train))
        self.__dict__.pop("_optimizer", None)  # a later partial_fit starts its own
        history = model.fit(
            x_train,
            y_train,
            epochs=recipe.epochs,
            batch_size=recipe.fit_batch_size,
            optimizer=optimizer,
            validation_data=dev,
            early_stopping=recipe.early_stopping,
            ema=recipe.ema,
            label_smoothing=recipe.label_smoothing,
            shuffle=not recipe.full_batch,
            augment=self._augmentation(recipe, X.shape[1]),
            verbose=self.verbose,
        )
        self.recipe_ = recipe
        self._record(history, scored=dev is not None)
        return self

    def partial_fit(self, X, y, classes=None):
        """One epoch on ``X`` (N, F) and ``y`` (N,), carrying on from the previous call;
        returns ``self``. The first call needs ``classes``, every label ``y`` will ever hold.

        The optimizer and its moments go on from call to call, at the recipe's learning rate
        without its schedule (a schedule needs the run's length, which partial fits do not
        know), and without a validation set or early stopping.
        """
        first = not self._fitted()
        X, y = validate_data(self, X, y, dtype="numeric", reset=first)
        check_classification_targets(y)
        if first:
            if classes is None:
                raise ValueError("classes must be passed on the first call to partial_fit")
            self.classes_ = np.unique(np.asarray(classes))
            self.recipe_ = self._recipe(seed=self._seed(), dev_size=0, early_stopping=None)
            self.model_ = self._build(self.recipe_, X.shape[1])
            self.loss_curve_, self.n_iter_ = [], 0
        elif classes is not None and not np.array_equal(np.unique(classes), self.classes_):
            raise ValueError(
                f"classes {np.unique(classes)} differ from those of the first fit, {self.classes_}"
            )
        if not hasattr(self, "_optimizer"):  # the first partial fit, or the first after fit
            self._optimizer = get_optimizer(
                self.recipe_.optimizer, lr=self.recipe_.lr, weight_decay=self.recipe_.weight_decay
            )
        unknown = np.setdiff1d(y, self.classes_)
        if len(unknown):
            raise ValueError(
                f"y holds labels {unknown[:5]} that are not among classes "
                f"{self.classes_} of the first fit"
            )
        history = self.model_.fit(
            X,
            np.searchsorted(self.classes_, y),
            epochs=1,
            batch_size=self.recipe_.fit_batch_size,
            optimizer=self._optimizer,
            label_smoothing=self.recipe_.label_smoothing,
            shuffle=not self.recipe_.full_batch,
            augment=self._augmentation(self.recipe_, X.shape[1]),
            verbose=self.verbose,
        )
        self._record(history, scored=False)
        return self

    # --- predicting -----------------------------------------------------------------------

    def predict_proba(self, X):
        """Class probabilities (N, C) float64, columns in the order of ``classes_``."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype="numeric", reset=False)
        return self.model_.predict_proba(X).astype(np.float64)

    def predict_log_proba(self, X):
        """The logarithms of :meth:`predict_proba`, (N, C) float64, as MLPClassifier's (and
        as scikit-learn's checks ask: -inf where a probability rounds to 0)."""
        with np.errstate(divide="ignore"):
            log_proba: np.ndarray = np.log(self.predict_proba(X))
        return log_proba

    def predict(self, X):
        """The most likely class of each row of ``X`` (N, F): labels (N,) from ``classes_``."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype="numeric", reset=False)
        return self.classes_[self.model_.predict(X)]

    def __sklearn_is_fitted__(self) -> bool:
        return self._fitted()

    @property
    def coefs_(self) -> list[np.ndarray]:
        """The weights (n_in, n_out) of each Dense layer of ``model_``, in order."""
        check_is_fitted(self)
        return [layer.params["W"] for layer in self.model_.layers if isinstance(layer, Dense)]

    @property
    def intercepts_(self) -> list[np.ndarray]:
        """The biases (n_out,) of each Dense layer of ``model_``, in order."""
        check_is_fitted(self)
        return [layer.params["b"] for layer in self.model_.layers if isinstance(layer, Dense)]

    # --- the parts ------------------------------------------------------------------------

    def _fitted(self) -> bool:
        return hasattr(self, "model_")

    def _seed(self) -> int:
        """The run's seed: ``random_state`` itself when an int, else drawn from it."""
        if isinstance(self.random_state, numbers.Integral) and not isinstance(
            self.random_state, bool
        ):
            return checks.whole("random_state", self.random_state)
        return int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))

    def _validation_count(self, n: int) -> int:
        """Examples held out for validation out of ``n``; ConfigError if none would be left."""
        fraction = checks.real(
            "validation_fraction", self.validation_fraction, low=0, high=1, high_open=True
        )
        count = math.floor(fraction * n + 0.5)
        if count and count >= n:
            raise ConfigError(
                f"validation_fraction {fraction:g} holds out {count} of {n} "
                f"examples, leaving none to train on"
            )
        return count

    def _recipe(self, **fields) -> Recipe:
        """The preset's (or ``recipe``'s) recipe with the parameters given and ``fields``."""
        if self.recipe is not None:
            if not isinstance(self.recipe, Recipe):
                raise ConfigError(
                    f"recipe must be a nnscratch.model.Recipe, got {type(self.recipe).__name__}"
                )
            base = self.recipe
        else:
            base = get_preset(self.preset)
        changes = {f: getattr(self, f) for f in RECIPE_PARAMS if getattr(self, f) is not None}
        return base.with_overrides(
            {**changes, **fields}, name=lambda field: _PARAM_OF_FIELD.get(field, field)
        )

    def _build(self, recipe: Recipe, features: int) -> Sequential:
        """The untrained network of ``recipe`` for ``features`` inputs and our classes."""
        shape = self._example_shape(recipe, features)
        scale = (
            None
            if self.input_scale is None
            else checks.real("input_scale", self.input_scale, low=0, low_open=True)
        )
        model = build_model(
            recipe,
            image_shape=(shape[0], shape[1]) if len(shape) == 2 else (1, features),  # (H, W)
            classes=len(self.classes_),
            dtype=self.dtype,
        )
        model.input_scale = scale
        # What a saved model_ (and its ONNX export) says it takes: rows of F features, or
        # H x W images.
        model.metadata = {
            "preset": recipe.name,
            "recipe": recipe.to_json(shape, model.output_size),
            "preprocessing": {"scale": scale, "image_shape": list(shape)},
            "labels": [str(label) for label in self.classes_],  # named in its ONNX export
        }
        return model

    def _example_shape(self, recipe: Recipe, features: int) -> tuple[int, ...]:
        """One example's shape: (H, W) for a recipe that reads images (convolutional,
        recurrent, augmented, or of ``layers`` with ``image_shape`` or a square F), else (F,)
        for a dense network."""
        side = math.isqrt(features)
        square = side * side == features
        reads_images = recipe.conv or recipe.recurrent or recipe.augment != "none"
        if self.image_shape is None and recipe.layers and not reads_images:
            return (side, side) if square else (features,)
        if not reads_images and not recipe.layers:
            return (features,)
        if self.image_shape is None:
            if not square:
                raise ConfigError(
                    f"the {recipe.name} recipe takes images, and {features} "
                    f"features are no square image: pass image_shape=(H, W)"
                )
            return (side, side)
        shape = checks.sizes("image_shape", self.image_shape)
        if len(shape) != 2 or math.prod(shape) != features:
            raise ConfigError(
                f"image_shape {self.image_shape} must be (H, W) with H·W = "
                f"{features}, the number of features"
            )
        return shape

    def _augmentation(self, recipe: Recipe, features: int):
        """The recipe's augmentation for batches of rows (B, F): each row moved as the
        (H, W) image it is, as the command line moves its images; None without one."""
        augment = build_augmentation(recipe)
        if augment is None:
            return None
        shape = self._example_shape(recipe, features)

        def augment_rows(rows: np.ndarray, rng: np.random.Generator) -> np.ndarray:
            moved: np.ndarray = augment(rows.reshape(-1, *shape), rng)
            return moved.reshape(rows.shape)

        return augment_rows

    def _record(self, history: History, *, scored: bool) -> None:
        """Add a fit's figures to the fitted attributes."""
        self.history_ = history
        self.loss_curve_ = [*self.loss_curve_, *history.train_loss]
        self.n_iter_ += len(history.epoch)
        self.loss_ = self.loss_curve_[-1] if self.loss_curve_ else None
        self.validation_scores_ = list(history.dev_accuracy) if scored else None
        self.best_validation_score_ = (
            max(self.validation_scores_) if scored and self.validation_scores_ else None
        )
