"""Docstring fragments shared by several estimators, written once.

A line of a docstring that holds only ``%(name)s`` (indented) is replaced by the
fragment ``name`` of :data:`SHARED`, re-indented to that line's indentation. Only
whole lines are substituted, so the rest of a docstring may contain ``%`` and
braces freely (``10 %``, ``{"max", "avg"}``).
"""

import re
import textwrap

SHARED = {
    "recipe_parameters": '''\
lr_schedule : {"cosine", "constant", "plateau"}, default="cosine"
    ``"cosine"``: a linear warm-up over the first ``warmup`` of the steps,
    then a half cosine down to zero at the last step of the fit, whatever
    the number of epochs and images. ``"constant"``: ``learning_rate``
    throughout. ``"plateau"``: halved after ``patience // 2`` epochs without
    a better ``val_loss``; constant without a validation split.
warmup : float, default=0.15
    Fraction of the fit's steps spent warming up (``lr_schedule="cosine"``).
weight_decay : float, default=5e-4
    Decoupled weight decay (as AdamW's: Keras' ``Adam`` with ``weight_decay``),
    not applied to BatchNorm parameters and biases; 0 is plain Adam.
label_smoothing : float, default=0.1
    Weight of the uniform distribution mixed into the one-hot targets.
validation_split : float, default=0.0
    Fraction of the training images held out (stratified) to monitor
    ``val_loss`` for early stopping; 0 trains on every image for the whole
    budget of ``epochs``.''',
    "precision_description": '''\
Numeric precision of the network. ``"mixed_bfloat16"``: Keras' mixed
policy, float32 weights with bfloat16 computation (the output layer stays
float32). ``"auto"``: ``"mixed_bfloat16"`` on a CPU with bfloat16
instructions (AVX-512 BF16 or AMX, read from ``/proc/cpuinfo``) and no
GPU, else ``"float32"``. The choice is kept as ``precision_``. A fit with
an int ``random_state`` is reproducible within one precision; the two
precisions train slightly different models.''',
    "tta_shift_description": '''\
``"flip"`` is ``True``. ``"shift"``: the mean over 18 views, the image and
its mirror image each as they are and shifted by one pixel in each of the 8
directions, pixels shifted in being 0 as in the training augmentation (18
times the prediction cost).''',
    "prediction_parameters": '''\
X : array-like of images
    Images in the layout, size and pixel range (``pixel_range_``) the
    estimator was fitted on.
**kwargs : dict
    Passed on to :meth:`keras.Model.predict` (prefer ``predict__name``
    parameters).''',
    "common_parameters": '''\
image_shape : tuple of int or None, default=None
    ``(height, width)`` or ``(height, width, channels)`` of flat 2-D input
    (one entry may be -1); ``None`` reads ``n`` features as a square
    ``sqrt(n) x sqrt(n)`` gray image. 3-D and 4-D input that does not have
    this shape is refused.
pixel_range : "auto", (0, 255) or (0, 1), default="auto"
    Pixel range of the images, kept as ``pixel_range_`` (:ref:`pixel-range`).
random_state : int, RandomState instance or None, default=None
    Seeds everything random in a fit: the initial weights, the shuffling,
    dropout, the augmentation (if any) and the validation split. An int gives bit-identical
    results on the same machine and thread settings; a ``RandomState`` draws
    a new seed for each fit.
verbose : int, default=0
    Keras' progress output (0 silent, 1 progress bar, 2 one line per epoch).
warm_start : bool, default=False
    Continue training the existing model on the next ``fit``. Only what each
    fit reads (``epochs``, ``batch_size``, ``validation_split``,
    ``patience``, ``class_weight``, ``verbose``, ``tta``, ``fit__`` and
    ``predict__`` parameters but their callbacks, a transfer model's
    ``fine_tune_epochs``) may change meanwhile; a change to anything the
    network was built or compiled with is refused.
callbacks : keras.callbacks.Callback, list or dict of them, or None, default=None
    Extra Keras callbacks, called in ``fit`` and ``predict``; their own
    arguments can be routed with ``callbacks__name=value``.
class_weight : dict, "balanced" or None, default=None
    Weights of the classes in the loss, multiplied with ``sample_weight``.
**kwargs : dict
    Parameters routed to Keras: ``fit__name``, ``predict__name``,
    ``optimizer__name`` (Adam's arguments), ``compile__name``
    (``Model.compile``'s, e.g. ``compile__steps_per_execution=1``) and
    ``callbacks__name``. Any other name is refused.''',
    "fitted_attributes": '''\
classes_ : ndarray of shape (n_classes,)
    Class labels seen in ``fit``.
n_classes_ : int
    Number of classes.
input_shape_ : tuple of int
    ``(height, width, channels)`` of the training images.
pixel_range_ : (0, 255) or (0, 1)
    Pixel range of the training images, and of those to predict on.
n_features_in_ : int
    Pixel values per image (``height * width * channels``).
feature_names_in_ : ndarray of shape (`n_features_in_`,)
    Column names of a DataFrame of flat images seen in ``fit``, checked at
    prediction time. Defined only when they are all strings.
batch_size_ : int
    Batch size of the last fit (what ``batch_size="auto"`` chose).''',
}

_PLACEHOLDER = re.compile(r"^([ \t]*)%\((\w+)\)s[ \t]*$", re.MULTILINE)


def fill_doc(obj):
    """Substitute the shared fragments into ``obj.__doc__``; return ``obj``.

    Raises ``KeyError`` at import time for an unknown fragment name, so a typo
    cannot ship a docstring with a placeholder in it.
    """
    obj.__doc__ = _PLACEHOLDER.sub(
        lambda m: textwrap.indent(SHARED[m.group(2)], m.group(1)), obj.__doc__
    )
    return obj
