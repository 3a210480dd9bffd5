"""A trained network looked at on one input: what each layer computes, which pixels push the
answer, and how the answer changes when the input does.

Every function takes a :class:`~nnscratch.model.Sequential` and one image (H, W) of raw pixels
(0-255, light ink on 0, MNIST's form), and runs the model's own layers: forward for the
activations, the engine's backward pass for the gradient. They use the model's layer caches,
so give each thread its own model (:meth:`~nnscratch.model.Sequential.replica`).

* :func:`look_inside`: each hidden layer's activations (a dense layer's units, a convolution's
  feature maps) and the output layer's evidence for each class;
* :func:`glance`: the whole network at a glance: every layer with weights, named, its values
  and the strongest contributions w * a into the units shown;
* :func:`unit_view`: one unit's (or feature map's) weights, and weights times its input;
* :func:`saliency`: d log p(class) / d pixel, through the engine's backward pass;
* :func:`occlusion`: how much p(class) drops when each pixel's neighbourhood is blanked;
* :func:`attributions`: the same questions asked of the class's logit, which confident answers
  do not flatten: gradient, gradient x input, integrated gradients and occlusion, each with
  its sentence (:data:`MAP_SENTENCES`);
* :func:`unit_maths`: one unit's z = sum w_i a_i + b with the image's numbers, its largest
  terms, activation and shapes in the tutorial's notation and ours;
* :func:`one_step`: one step of gradient descent on the image with its true label, every
  forward and backward quantity, on a copy of the model;
* :func:`probe`: the probabilities over a range of shifts, rotations, thickness or noise.
"""

from .attribution import (
    MAP_SENTENCES,
    OCCLUSION_PATCH,
    Attributions,
    attributions,
    logit_gradients,
    occlusion,
    saliency,
)
from .glance import EDGES_PER_UNIT, SHOWN_UNITS, Edge, GlanceLayer, glance
from .inside import (
    Inside,
    LayerOutput,
    UnitView,
    first_layer_tiles,
    look_inside,
    network_kind,
    output_layer,
    unit_view,
)
from .maths import (
    MAX_TERMS,
    Notation,
    Term,
    UnitMaths,
    layer_title,
    notation,
    unit_maths,
    weighted_layers,
)
from .onestep import MAX_LEARNING_RATE, OneStep, Quantity, one_step, quantity_names
from .probes import PROBES, probe, probe_images, probe_values

__all__ = [
    "EDGES_PER_UNIT",
    "SHOWN_UNITS",
    "Edge",
    "GlanceLayer",
    "glance",
    "MAX_LEARNING_RATE",
    "OneStep",
    "Quantity",
    "one_step",
    "quantity_names",
    "MAX_TERMS",
    "Notation",
    "Term",
    "UnitMaths",
    "layer_title",
    "notation",
    "unit_maths",
    "weighted_layers",
    "MAP_SENTENCES",
    "OCCLUSION_PATCH",
    "PROBES",
    "Attributions",
    "Inside",
    "LayerOutput",
    "UnitView",
    "attributions",
    "first_layer_tiles",
    "logit_gradients",
    "look_inside",
    "network_kind",
    "occlusion",
    "output_layer",
    "probe",
    "probe_images",
    "probe_values",
    "saliency",
    "unit_view",
]
