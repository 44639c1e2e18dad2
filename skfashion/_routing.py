"""Parameters routed to Keras (``fit__name``, ``optimizer__name``, ...): one mixin.

scikeras stores any ``prefix__name`` parameter; skfashion accepts only the
prefixes of :data:`ROUTING_PREFIXES`, refuses unknown names at ``set_params``
and at ``fit``, and refuses the compile arguments its recipe fixes.
"""

#: Prefixes of the ``prefix__name`` parameters that are routed to Keras.
ROUTING_PREFIXES = ("fit", "predict", "optimizer", "compile", "callbacks")

#: ``keras.Model.compile`` arguments that are fixed by design, not routable.
_FIXED_COMPILE_ARGS = ("optimizer", "loss", "metrics")

#: ``keras.Model.fit`` arguments that skfashion makes itself (it batches,
#: splits and weighs the data), with what to use instead. Refused both as
#: ``fit__name`` parameters and as keyword arguments of ``fit``, where Keras
#: would otherwise ignore or misread them.
_FIXED_FIT_ARGS = {
    "x": "the X argument of fit",
    "y": "the y argument of fit",
    "sample_weight": "the sample_weight argument of fit",
    "class_weight": "the class_weight parameter",
    "validation_split": "the validation_split parameter",
    "validation_data": (
        "the validation_split parameter (a stratified split of the training "
        "data, scaled and encoded like it)"
    ),
    "validation_batch_size": "the batch_size parameter (it batches both parts)",
}

#: ``fit__name`` parameters that the estimator's own value would override, or
#: (``epochs``) that would train past the checks and the budget-dependent
#: defaults made from the estimator's own value.
_OVERRIDDEN_ROUTED_FIT_ARGS = {
    "batch_size": "the batch_size parameter",
    "initial_epoch": "warm_start=True or partial_fit to train on",
    "epochs": "the epochs parameter (or fit's epochs argument)",
}


class RoutedParametersMixin:
    """``set_params`` and the checks of routed parameters, for the base classifier."""

    def set_params(self, **params):
        """Set the parameters of this estimator.

        Parameters
        ----------
        **params : dict
            Constructor parameters (``epochs=20``) and routed Keras parameters
            (``optimizer__beta_1=0.8``, ``compile__steps_per_execution=1``;
            see the ``**kwargs`` of the class). An unknown name is refused
            here with a ``ValueError``; values are checked when ``fit`` is
            called.

        Returns
        -------
        self : object
            The estimator.
        """
        # scikeras stores any name under one of its own prefixes (``loss__``,
        # ``model__``...) that skfashion's fit would then ignore, and suggests
        # passing an unknown name to the constructor: refuse both here.
        known = self.get_params(deep=False)
        for name in params:
            if name not in known and name.split("__", 1)[0] not in ROUTING_PREFIXES:
                raise ValueError(self._unknown_parameter_message(name))
        return super().set_params(**params)

    def _unknown_parameter_message(self, name):
        return (
            f"Unknown parameter {name!r} for {type(self).__name__}. Extra "
            "parameters must be routed to Keras with one of the prefixes "
            f"{', '.join(p + '__' for p in ROUTING_PREFIXES)}; the others "
            "are listed by get_params()."
        )

    def _check_routed_params(self, fit_kwargs=()):
        """Refuse unknown routed names and the arguments skfashion fixes.

        ``fit_kwargs`` are the names of the keyword arguments of this call of
        ``fit`` or ``partial_fit``.
        """
        for name in self._user_params:
            prefix = name.split("__", 1)[0]
            if "__" not in name or prefix not in ROUTING_PREFIXES:
                raise ValueError(self._unknown_parameter_message(name))
        for name in ("learning_rate", "weight_decay"):
            if f"optimizer__{name}" in vars(self):
                raise ValueError(
                    f"Set {name.replace('_', ' ')} with {name}=..., not "
                    f"optimizer__{name}."
                )
        for name in _FIXED_COMPILE_ARGS:
            if f"compile__{name}" in vars(self):
                raise ValueError(
                    f"compile__{name} cannot be set: {type(self).__name__} always "
                    "trains with Adam on the (label-smoothed) cross-entropy and "
                    "reports accuracy. Use learning_rate=, lr_schedule=, "
                    "weight_decay=, label_smoothing= and optimizer__name=... to "
                    "change the recipe."
                )
        for name, instead in _FIXED_FIT_ARGS.items():
            for given in (f"fit__{name}", name):
                if given in (fit_kwargs if given == name else vars(self)):
                    raise ValueError(
                        f"{type(self).__name__} does not take {given}: skfashion "
                        f"batches, splits and weighs the data itself. Use {instead} "
                        "instead."
                    )
        # fit(batch_size=...) and fit(initial_epoch=...) are honoured; the
        # routed forms would be overridden without a word.
        for name, instead in _OVERRIDDEN_ROUTED_FIT_ARGS.items():
            if f"fit__{name}" in vars(self):
                raise ValueError(
                    f"{type(self).__name__} does not take fit__{name}, which "
                    f"the estimator sets itself. Use {instead} instead."
                )

    def _routed(self, prefix):
        """The routed ``prefix__name`` parameters as ``{name: value}``.

        Routed parameters live in the instance dict, whether they came through
        ``__init__`` or ``set_params`` (as in a grid search over a clone).
        """
        return {
            name.split("__", 1)[1]: value
            for name, value in vars(self).items()
            if name.startswith(f"{prefix}__")
        }
