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
    Decoupled weight decay (AdamW), not applied to BatchNorm parameters and
    biases; 0 is plain Adam.
label_smoothing : float, default=0.1
    Weight of the uniform distribution mixed into the one-hot targets.
validation_split : float, default=0.0
    Fraction of the training images held out (stratified) to monitor
    ``val_loss`` for early stopping; 0 trains on every image for the whole
    budget of ``epochs``.''',
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
