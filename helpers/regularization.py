"""Regularizers that Keras 3 applies to layers that are already built.

Keras 3 reads ``kernel_regularizer`` only when a layer creates its weights, so setting it on the
layers of a pretrained (built) model does nothing: ``model.losses`` stays empty. :class:`L2SP`
adds the penalty from a wrapper instead. Lesson 07 (exercise 5) uses it.
"""
from __future__ import annotations

import keras
import numpy as np
from keras import ops


class L2SP(keras.Model):
    """``inner`` plus the L2-SP penalty (Li, Grandvalet and Davoine, 2018):
    ``alpha * sum((w - w_pretrained) ** 2)`` over the trainable weights of ``inner`` that are
    not in ``exclude`` (the new head, which has no pretrained values), and
    ``beta * sum(w ** 2)`` over the excluded ones.

    The starting point is the weights of ``inner`` when you wrap it: wrap after setting the
    pretrained weights and unfreezing. The penalty is added on every forward pass, so after
    ``model(x)`` the list ``model.losses`` holds it, and ``fit`` minimises it with the data loss."""

    def __init__(self, inner: keras.Model, alpha: float = 1e-2, beta: float = 0.0,
                 exclude: tuple[str, ...] = ("new_head",), **kwargs):
        super().__init__(name=kwargs.pop("name", "l2sp"), **kwargs)
        if alpha < 0 or beta < 0:
            raise ValueError(f"alpha and beta must be >= 0, got {alpha} and {beta}.")
        self.inner, self.alpha, self.beta = inner, float(alpha), float(beta)
        head = {v.path for name in exclude if name in {la.name for la in inner.layers}
                for v in inner.get_layer(name).weights}
        pulled = [v for v in inner.trainable_weights if v.path not in head]
        if not pulled:
            raise ValueError(f"{inner.name!r} has no trainable weights outside {list(exclude)}: "
                             "unfreeze some layers before wrapping it in L2SP.")
        # paths, not variables: attributes holding variables would be tracked a second time
        self._pulled = tuple(v.path for v in pulled)
        self._head = tuple(sorted(head))
        self._anchors = {v.path: np.array(v.numpy()) for v in pulled}

    def penalty(self):
        """The current value of the penalty (a scalar tensor)."""
        by_path = {v.path: v for v in self.inner.trainable_weights}
        total = ops.convert_to_tensor(0.0)
        for path in self._pulled:
            if path in by_path:  # a layer frozen after wrapping is not pulled
                total = total + self.alpha * ops.sum(ops.square(by_path[path] - self._anchors[path]))
        for path in self._head:
            if self.beta and path in by_path:
                total = total + self.beta * ops.sum(ops.square(by_path[path]))
        return total

    def call(self, inputs, training=None):
        outputs = self.inner(inputs, training=training)
        self.add_loss(self.penalty())
        return outputs
