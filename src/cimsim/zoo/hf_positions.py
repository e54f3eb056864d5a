"""The size of a Hugging Face model's table of absolute position embeddings, and the check that a
trace needs no position past it (a padding offset counted: RoBERTa's positions start at
``padding_idx + 1``)."""

from __future__ import annotations

from ..errors import WorkloadError


def _table(model):
    """``model``'s table of absolute position embeddings (GPT-2's ``wpe``, BERT's, OPT's), None
    for a model without one (rotary models, Llama)."""
    return next((m for n, m in model.named_modules()
                 if n.rsplit(".", 1)[-1] in ("wpe", "position_embeddings", "embed_positions")), None)


def _size_offset(model) -> tuple[int | None, int]:
    """``(table size, offset)``: the size the config gives its table of absolute positions (None
    without one) and the positions its ids skip (RoBERTa, Longformer, XLM-R: ids start at
    ``padding_idx + 1``, the table's padding row and those below unused; 0 otherwise, and 0 for
    a table module with its own ``offset`` (OPT, BioGPT, XGLM, M2M100), which adds it inside and
    sizes its table ``max_position_embeddings + offset``)."""
    cfg, table = model.config, _table(model)
    limit = getattr(cfg, "max_position_embeddings", None) or getattr(cfg, "n_positions", None)
    if table is None or not isinstance(limit, int):
        return None, 0
    if isinstance(getattr(table, "offset", None), int):  # sized for its offset already
        return limit, 0
    pad = getattr(table, "padding_idx", None)
    return limit, (pad + 1 if isinstance(pad, int) and pad >= 0 else 0)


def position_limit(model) -> int | None:
    """The positions ``model``'s table of absolute position embeddings holds for a sequence
    (its size less a padding offset: :func:`_size_offset`); None for a model without one."""
    limit, offset = _size_offset(model)
    return None if limit is None else limit - offset


def _check_positions(model, name: str, needed: int, param: str, label: str | None = None) -> None:
    """Refuse ``needed`` positions past the model's table of absolute position embeddings
    (:func:`position_limit`): on fake tensors the lookup would trace silently, with real
    weights it is an IndexError. Rotary models (Llama) have no table and no limit here."""
    cfg = model.config
    limit, offset = _size_offset(model)
    if limit is not None and needed + offset > limit:
        key = "n_positions" if getattr(cfg, "n_positions", None) == limit else "max_position_embeddings"
        why = (f" + {offset} (its position ids start at padding_idx + 1 = {offset}), {needed + offset}"
               if offset else "")
        raise WorkloadError(f"{label or '--param ' + param}: {name} needs {needed} positions{why}, past "
                            f"its table of {limit} ({key}); raise it too (--param {key}={needed + offset})")
