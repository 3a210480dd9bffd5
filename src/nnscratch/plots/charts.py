"""Charts of a run and of a model: each draws into the Axes or Figure it is given and returns it.

Being pure drawing functions, the same chart serves ``nnscratch show``, the HTML report and any
notebook. They take plain arrays and the JSON-able dicts the library already produces (a
``History.as_dict()``, a :func:`~nnscratch.engine.metrics.classification_report`), never a file.

Figures are made with :func:`new_figure` (a bare ``matplotlib.figure.Figure``, rendered by Agg:
no window, no global pyplot state) and turned into PNG bytes by :func:`png_bytes`. Colours are
chosen to read in greyscale: sequential maps whose lightness changes monotonically, and series
told apart by marker and line style as well as by colour.

The charts live by what they draw (:mod:`.figures`, :mod:`.curves`, :mod:`.scores`,
:mod:`.images`); this module gathers them in one namespace, which ``nnscratch.plots``
re-exports.
"""

from .curves import (
    accuracy_curves,
    learning_curves,
    loss_curves,
    lr_find_curve,
)
from .figures import BEST_STYLE as BEST_STYLE
from .figures import DEV_STYLE as DEV_STYLE
from .figures import HEATMAP_CMAP as HEATMAP_CMAP
from .figures import INK_CMAP as INK_CMAP
from .figures import TRAIN_STYLE as TRAIN_STYLE
from .figures import (
    new_figure,
    percent,
    png_bytes,
    save_png,
)
from .images import (
    conv_filters,
    digit_gallery,
    first_layer_weights,
    hardest_gallery,
    misclassified_gallery,
    probability_view,
    recurrent_input_weights,
    weight_tiles,
)
from .scores import SCORE_STYLES as SCORE_STYLES
from .scores import (
    confusion_heatmap,
    per_class_scores,
)

__all__ = [
    "new_figure",
    "png_bytes",
    "save_png",
    "percent",
    "loss_curves",
    "accuracy_curves",
    "learning_curves",
    "confusion_heatmap",
    "per_class_scores",
    "digit_gallery",
    "misclassified_gallery",
    "hardest_gallery",
    "weight_tiles",
    "first_layer_weights",
    "conv_filters",
    "probability_view",
    "lr_find_curve",
    "recurrent_input_weights",
]
