"""Keras layers that adapt raw images to a pretrained backbone, inside the graph.

They are registered as serializable so a model that contains them can be saved,
pickled and loaded again.
"""

import keras
from keras import layers, ops

#: ImageNet channel means in BGR order, used by the "caffe" mode (VGG16, ResNet50).
CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)

#: mode -> what the backbone expects, for messages and docs.
MODES = {
    "caffe": "BGR channel order, ImageNet mean subtracted, [0, 255] scale",
    "tf": "RGB scaled to [-1, 1]",
    "lite": "RGB scaled by (x - 127) / 128",
    "none": "RGB in [0, 255] (the backbone rescales inside itself)",
}


@keras.saving.register_keras_serializable(package="skfashion")
class BackbonePreprocessing(layers.Layer):
    """Map RGB pixel values in [0, 255] to what a backbone was trained on.

    Parameters
    ----------
    mode : {"caffe", "tf", "lite", "none"}
        ``"caffe"``: RGB to BGR, then subtract the ImageNet channel means
        (VGG16, ResNet50). ``"tf"``: ``x / 127.5 - 1`` (ResNetV2, MobileNetV2).
        ``"lite"``: ``(x - 127) / 128`` (EfficientNet-Lite). ``"none"``: unchanged
        (keras.applications EfficientNet rescales inside the model).

    Notes
    -----
    Tensors are immutable, so unlike ``keras.applications.*.preprocess_input`` on
    a NumPy array this never modifies the caller's data.

    Examples
    --------
    >>> import numpy as np
    >>> from skfashion.backbones.layers import BackbonePreprocessing
    >>> x = np.array([[[[0.0, 127.5, 255.0]]]], dtype="float32")
    >>> np.asarray(BackbonePreprocessing("tf")(x)).ravel().tolist()
    [-1.0, 0.0, 1.0]
    """

    def __init__(self, mode, **kwargs):
        super().__init__(**kwargs)
        if mode not in MODES:
            raise ValueError(
                f"Unknown preprocessing mode {mode!r}; expected one of: "
                f"{', '.join(map(repr, MODES))}. Received mode={mode!r}."
            )
        self.mode = mode

    def call(self, inputs):
        x = ops.cast(inputs, self.compute_dtype)
        if self.mode == "caffe":
            return ops.flip(x, axis=-1) - ops.convert_to_tensor(CAFFE_MEAN_BGR, x.dtype)
        if self.mode == "tf":
            return x / 127.5 - 1.0
        if self.mode == "lite":
            return (x - 127.0) / 128.0
        return x

    def get_config(self):
        return {**super().get_config(), "mode": self.mode}


@keras.saving.register_keras_serializable(package="skfashion")
class GrayToRGB(layers.Layer):
    """Repeat a single gray channel three times; pass RGB through unchanged."""

    def call(self, inputs):
        if inputs.shape[-1] == 1:
            return ops.repeat(inputs, 3, axis=-1)
        return inputs

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], 3)
