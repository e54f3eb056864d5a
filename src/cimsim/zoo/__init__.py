"""The model zoo: every PyTorch model cimsim can build and trace by name.

One registry (:data:`ZOO`), one return shape (:class:`ZooModel`), one CLI flag
(``cimsim trace --zoo NAME --param KEY=VALUE``):

* ``reference`` (:mod:`.reference`): the torch models of the bundled workloads
  (``lstm``, ``gru``, ``hier-attn``, ``transformer``, ``tcn``) at the bundled sizes;
* ``torch-nn`` (:mod:`.torchnn`) and ``cnn`` (:mod:`.cnn`): hand-written torch.nn models;
* ``hf-*`` (:mod:`.hf`): Hugging Face transformers models built from their config
  classes at tiny default sizes, and ``hf:MODEL_TYPE`` for any model type at its
  config's default size (``hf:llama`` is Llama-2-7B's shape).

::

    from cimsim import zoo
    zm = zoo.build("llama-decode", cache=64)        # a ZooModel; model, args, kwargs = zm
    w = zoo.trace_zoo("hf:llama", cache=2048)        # Llama-2-7B decode step, shapes only

Models are built of fake tensors (shapes and dtypes, no storage) unless
``real_weights=True``, which first estimates the bytes and refuses above the
memory available. Importing this package imports neither torch nor
transformers and changes no environment variable.
"""

from __future__ import annotations

from . import cnn, hf, reference, torchnn  # noqa: F401  (registration)
from .hf import hf_model
from .registry import (ZOO, ZooEntry, ZooModel, available_bytes, build, check_fits, families,
                       materialise_bytes, register, trace_zoo)

__all__ = ["ZOO", "ZooEntry", "ZooModel", "available_bytes", "build", "check_fits", "families",
           "hf_model", "materialise_bytes", "register", "trace_zoo"]
