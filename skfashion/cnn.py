"""Convolutional classifiers trained from scratch: CNNClassifier and LeNet5Classifier."""

import numbers

from skfashion._base import BaseImageClassifier
from skfashion._compat import Interval, StrOptions
from skfashion._docstrings import fill_doc
from skfashion._recipe import PRECISIONS
from skfashion._tta import TTA_MODES
from skfashion.architectures import build_cnn, build_lenet5

#: Default training budgets (epochs): a fit on the 60,000 Fashion-MNIST
#: training images is meant to take minutes on 2 CPU cores (measured figures:
#: docs/performance.rst).
EPOCHS_CNN = 20
EPOCHS_LENET = 15

#: ``augment="auto"`` augments from these budgets (epochs) on: the shortest
#: at which augmentation was measured to pay (docs/performance.rst,
#: "Augmentation from the budget").
AUGMENT_MIN_EPOCHS_CNN = 15
AUGMENT_MIN_EPOCHS_LENET = 25


@fill_doc
class CNNClassifier(BaseImageClassifier):
    """Convolutional network (residual by default) as a scikit-learn classifier.

    By default a small residual network: a strided 3x3 convolution halves the
    28x28 image, then one block per entry of ``filters`` adds two 3x3
    convolutions (BatchNorm, ReLU) to its input, with 2x2 max-pooling between
    blocks, global average pooling and a softmax output. The original
    write-up's VGG-style network (blocks of convolutions, max-pooling and
    dropout, then dense layers) is the same class with ``stem_stride=None,
    residual=False, global_pool=False`` and dense layers.

    Every fit trains for a fixed budget of ``epochs`` with the shared training
    recipe: Adam with decoupled weight decay, label smoothing, a warm-up then
    cosine learning-rate schedule over the fit's steps, a batch size that
    follows the number of images, and, at budgets long enough for it to pay,
    shift-and-flip augmentation (``augment``); the predictions of a network
    trained with it average each image and its mirror image (``tta``).

    Parameters
    ----------
    filters : int or tuple of int, default=(32, 64, 128)
        Filters of the convolutions of each block; one block per entry (an
        int is one block).
    convs_per_block : int, default=2
        Convolutions before each pooling.
    kernel_size : int, default=3
        Side of the square convolution kernels.
    stem_stride : int or None, default=2
        Stride of a first convolution with ``filters[0]`` filters (2 halves the
        image, for a quarter of the cost of every later layer); ``None`` for
        no stem.
    residual : bool, default=True
        Add each block's input to the output of its convolutions (one more
        convolution in front adapts the number of filters).
    global_pool : bool, default=True
        Average the last feature map over the image instead of flattening it.
    dense_units : int or tuple of int, default=()
        Units of the dense layers before the output; ``()`` for none.
    dropout : float, default=0.0
        Dropout rate after each block.
    dense_dropout : float, default=0.5
        Dropout rate after each dense layer.
    augment : bool or "auto", default="auto"
        Random whole-pixel shifts of up to 10 % and horizontal flips during
        training. ``"auto"``: on for a budget of at least 15 ``epochs`` (so on
        at the default 20), off for shorter fits, where they were measured to
        cost accuracy (the performance page). The choice is kept as
        ``augment_``.
    cutout : float, default=0.0
        Side of a patch set to 0 at a random place of each training image
        (Cutout), as a fraction of the image's height and width: 0.25 of 28
        is 7 pixels, a square for square images. 0 for none. At the default
        20 epochs it lowered the test accuracy (the performance page); longer
        budgets are untested.
    tta : bool or {"auto", "flip", "shift"}, default="auto"
        Test-time augmentation: ``predict`` and ``predict_proba`` average the
        probabilities of each image and of its left-right mirror image (twice
        the prediction cost). ``"auto"``: only when the network was trained on
        mirror images too (``augment_``); a network that never saw one
        predicts worse with them.
        %(tta_shift_description)s
    epochs : int, default=20
        Number of passes over the training data: the training budget. With a
        validation split and ``patience``, training may stop earlier.
    batch_size : int or "auto", default="auto"
        Images per gradient step. ``"auto"``: a power of two giving at least 64
        steps per epoch, from 32 to 256 (256 for 16,384 images or more).
    learning_rate : float, default=6e-3
        Adam's peak learning rate. Other Adam arguments can be routed with
        ``optimizer__name=value`` (e.g. ``optimizer__beta_1=0.8``).
    %(recipe_parameters)s
    patience : int or None, default=5
        With a validation split: epochs without improvement of ``val_loss``
        before training stops and the best weights are restored. ``None``
        disables early stopping.
    precision : {"auto", "float32", "mixed_bfloat16"}, default="float32"
        %(precision_description)s
        This network trained no faster in bfloat16 on the CPU with AVX-512
        BF16 it was measured on (the performance page), so it stays float32
        unless asked.
    %(common_parameters)s

    Attributes
    ----------
    model_ : keras.Model
        The trained network (raw [0, 255] pixels in, class probabilities out).
    history_ : dict of list
        Per-epoch ``loss``, ``accuracy``, ``val_loss`` and ``val_accuracy``.
    %(fitted_attributes)s
    precision_ : str
        The Keras dtype policy the network was built under (``"float32"`` or
        ``"mixed_bfloat16"``: what ``precision="auto"`` chose).
    augment_ : bool
        Whether the network was built with the shift-and-flip augmentation
        (what ``augment="auto"`` chose for the budget).

    See Also
    --------
    LeNet5Classifier : The smaller 1998 LeNet-5 network.
    skfashion.architectures.build_cnn : The Keras builder behind this estimator.

    Notes
    -----
    Pass images with their raw [0, 255] values: the network scales them
    itself. The accuracy and training time of the defaults on the full
    Fashion-MNIST are in the documentation's performance page.

    Examples
    --------
    >>> from skfashion import CNNClassifier, load_fashion_mnist
    >>> X, y = load_fashion_mnist(subset="sample", return_X_y=True)
    >>> clf = CNNClassifier(filters=(8, 16), dense_units=32, epochs=2,
    ...                     random_state=0).fit(X, y)
    >>> clf.predict(X[:3]).shape
    (3,)
    """

    _augment_min_epochs = AUGMENT_MIN_EPOCHS_CNN

    _parameter_constraints = {
        **BaseImageClassifier._parameter_constraints,
        "filters": [tuple, list, Interval(numbers.Integral, 1, None, closed="left")],
        "convs_per_block": [Interval(numbers.Integral, 1, None, closed="left")],
        "kernel_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "stem_stride": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "residual": ["boolean"],
        "global_pool": ["boolean"],
        "dense_units": [tuple, list, Interval(numbers.Integral, 1, None, closed="left")],
        "dropout": [Interval(numbers.Real, 0, 1, closed="left")],
        "dense_dropout": [Interval(numbers.Real, 0, 1, closed="left")],
        "augment": ["boolean", StrOptions({"auto"})],
        "cutout": [Interval(numbers.Real, 0, 1, closed="both")],
        "tta": ["boolean", StrOptions(set(TTA_MODES))],
        "precision": [StrOptions(set(PRECISIONS))],
    }

    def __init__(
        self,
        filters=(32, 64, 128),
        *,
        convs_per_block=2,
        kernel_size=3,
        stem_stride=2,
        residual=True,
        global_pool=True,
        dense_units=(),
        dropout=0.0,
        dense_dropout=0.5,
        augment="auto",
        cutout=0.0,
        tta="auto",
        epochs=EPOCHS_CNN,
        batch_size="auto",
        learning_rate=6e-3,
        lr_schedule="cosine",
        warmup=0.15,
        weight_decay=5e-4,
        label_smoothing=0.1,
        validation_split=0.0,
        patience=5,
        precision="float32",
        image_shape=None,
        pixel_range="auto",
        random_state=None,
        verbose=0,
        warm_start=False,
        callbacks=None,
        class_weight=None,
        **kwargs,
    ):
        self.filters = filters
        self.convs_per_block = convs_per_block
        self.kernel_size = kernel_size
        self.stem_stride = stem_stride
        self.residual = residual
        self.global_pool = global_pool
        self.dense_units = dense_units
        self.dropout = dropout
        self.dense_dropout = dense_dropout
        self.augment = augment
        self.cutout = cutout
        self.tta = tta
        self.precision = precision
        super().__init__(
            epochs=epochs,
            batch_size=batch_size,
            learning_rate=learning_rate,
            lr_schedule=lr_schedule,
            warmup=warmup,
            weight_decay=weight_decay,
            label_smoothing=label_smoothing,
            validation_split=validation_split,
            patience=patience,
            image_shape=image_shape,
            pixel_range=pixel_range,
            random_state=random_state,
            verbose=verbose,
            warm_start=warm_start,
            callbacks=callbacks,
            class_weight=class_weight,
            **kwargs,
        )

    def _build_architecture(self, input_shape, n_classes, seed):
        return build_cnn(
            input_shape,
            n_classes,
            filters=self.filters,
            convs_per_block=self.convs_per_block,
            kernel_size=self.kernel_size,
            stem_stride=self.stem_stride,
            residual=self.residual,
            global_pool=self.global_pool,
            dense_units=self.dense_units,
            dropout=self.dropout,
            dense_dropout=self.dense_dropout,
            augment=self._augment(),
            cutout=self.cutout,
            seed=seed,
            dtype=self._precision(),
        )


@fill_doc
class LeNet5Classifier(BaseImageClassifier):
    """LeNet-5 (LeCun et al., 1998) as a scikit-learn classifier.

    6 @ 5x5 convolution, pooling, 16 @ 5x5 convolution, pooling, dense 120, 84 and
    a softmax output, reading a 32x32 field (28x28 images are zero-padded, as the
    paper padded MNIST). Trained for a fixed budget of ``epochs`` with the same
    recipe as :class:`CNNClassifier` (Adam with decoupled weight decay, label
    smoothing, warm-up then cosine learning rate).

    Parameters
    ----------
    activation : str, default="relu"
        Activation of the hidden layers; ``"tanh"`` is the 1998 choice.
    pooling : {"max", "avg"}, default="max"
        Max-pooling, or the paper's average subsampling.
    dropout : float, default=0.0
        Dropout rate after the two hidden dense layers.
    augment : bool or "auto", default="auto"
        Random whole-pixel shifts of up to 10 % and horizontal flips during
        training. ``"auto"``: on for a budget of at least 25 ``epochs``, off
        below, so off at the default 15: they pay only with a longer budget
        (see the performance page). The choice is kept as ``augment_``.
    tta : bool or {"auto", "flip", "shift"}, default="auto"
        Test-time augmentation: predictions average each image and its
        left-right mirror image. ``"auto"``: only when the network was trained
        on mirror images too (``augment_``).
        %(tta_shift_description)s
    epochs : int, default=15
        Number of passes over the training data: the training budget.
    batch_size : int or "auto", default="auto"
        Images per gradient step. ``"auto"``: a power of two giving at least 64
        steps per epoch, from 32 to 256.
    learning_rate : float, default=1e-2
        Adam's peak learning rate. Other Adam arguments can be routed with
        ``optimizer__name=value`` (e.g. ``optimizer__beta_1=0.8``).
    %(recipe_parameters)s
    patience : int or None, default=10
        With a validation split: epochs without improvement of ``val_loss``
        before training stops and the best weights are restored. ``None``
        disables early stopping.
    precision : {"auto", "float32", "mixed_bfloat16"}, default="auto"
        %(precision_description)s
        LeNet-5 trained faster in bfloat16 on the CPU with AVX-512 BF16 it
        was measured on (the performance page).
    %(common_parameters)s

    Attributes
    ----------
    model_ : keras.Model
        The trained network (raw [0, 255] pixels in, class probabilities out).
    history_ : dict of list
        Per-epoch ``loss``, ``accuracy``, ``val_loss`` and ``val_accuracy``.
    %(fitted_attributes)s
    precision_ : str
        The Keras dtype policy the network was built under (``"float32"`` or
        ``"mixed_bfloat16"``: what ``precision="auto"`` chose).
    augment_ : bool
        Whether the network was built with the shift-and-flip augmentation
        (what ``augment="auto"`` chose for the budget).

    See Also
    --------
    CNNClassifier : A deeper network with BatchNorm: more accurate, slower.
    skfashion.architectures.build_lenet5 : The Keras builder behind this estimator.

    Examples
    --------
    >>> from skfashion import LeNet5Classifier, load_fashion_mnist
    >>> X, y = load_fashion_mnist(subset="sample", return_X_y=True)
    >>> clf = LeNet5Classifier(epochs=2, random_state=0).fit(X, y)
    >>> clf.predict_proba(X[:2]).shape
    (2, 10)
    """

    _augment_min_epochs = AUGMENT_MIN_EPOCHS_LENET

    _parameter_constraints = {
        **BaseImageClassifier._parameter_constraints,
        "activation": [str],
        "pooling": [StrOptions({"max", "avg"})],
        "dropout": [Interval(numbers.Real, 0, 1, closed="left")],
        "augment": ["boolean", StrOptions({"auto"})],
        "tta": ["boolean", StrOptions(set(TTA_MODES))],
        "precision": [StrOptions(set(PRECISIONS))],
    }

    def __init__(
        self,
        activation="relu",
        *,
        pooling="max",
        dropout=0.0,
        augment="auto",
        tta="auto",
        epochs=EPOCHS_LENET,
        batch_size="auto",
        learning_rate=1e-2,
        lr_schedule="cosine",
        warmup=0.15,
        weight_decay=5e-4,
        label_smoothing=0.1,
        validation_split=0.0,
        patience=10,
        precision="auto",
        image_shape=None,
        pixel_range="auto",
        random_state=None,
        verbose=0,
        warm_start=False,
        callbacks=None,
        class_weight=None,
        **kwargs,
    ):
        self.activation = activation
        self.pooling = pooling
        self.dropout = dropout
        self.augment = augment
        self.tta = tta
        self.precision = precision
        super().__init__(
            epochs=epochs,
            batch_size=batch_size,
            learning_rate=learning_rate,
            lr_schedule=lr_schedule,
            warmup=warmup,
            weight_decay=weight_decay,
            label_smoothing=label_smoothing,
            validation_split=validation_split,
            patience=patience,
            image_shape=image_shape,
            pixel_range=pixel_range,
            random_state=random_state,
            verbose=verbose,
            warm_start=warm_start,
            callbacks=callbacks,
            class_weight=class_weight,
            **kwargs,
        )

    def _build_architecture(self, input_shape, n_classes, seed):
        return build_lenet5(
            input_shape,
            n_classes,
            activation=self.activation,
            pooling=self.pooling,
            dropout=self.dropout,
            augment=self._augment(),
            seed=seed,
            dtype=self._precision(),
        )
