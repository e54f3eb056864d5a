"""PyTorch's own files (a ``torch.export.save`` program, ``.pt2``; a ``torch.save`` checkpoint,
``.pt`` / ``.pth``) given where a workload or a model spec goes: recognised by name or by their
zip members, and refused in one line saying how to trace them. cimsim never loads one itself:
both unpickle (``torch.export.load``, ``torch.load``), which only a factory the user wrote may do."""

from __future__ import annotations

import io
import zipfile

#: how to trace a torch.export program (README "Tracing PyTorch models")
PT2_HINT = ("a PyTorch ExportedProgram (torch.export.save), not {what}: trace it with a factory "
            "that loads it (it unpickles: only trusted files) and returns ep.module(), "
            "ep.example_inputs[0], e.g. cimsim trace prog.py:factory (README 'Tracing PyTorch "
            "models', 'Exported programs')")
SAVE_HINT = ("a PyTorch file (torch.save), not {what}: trace the model with a factory that "
             "builds it (loading the checkpoint itself) and returns (model, example_inputs)")
PICKLE_HINT = SAVE_HINT.replace("a PyTorch file (torch.save)",
                                "a Python pickle (torch.save's legacy, non-zip format)")
#: a pickle's first bytes: the PROTO opcode and protocol 2 to 5 (torch.save's legacy format: 2)
PICKLE_STARTS = tuple(bytes([0x80, p]) for p in range(2, 6))


def torch_file(source: str, raw: bytes | None = None) -> str | None:
    """``"pt2"`` for a torch.export archive, ``"save"`` for a torch.save file, ``"pickle"`` for a
    pickle (a legacy torch.save), else None: from the bytes ``raw`` where given (a pickle's first
    two; a ``.pt2`` zip holds ``archive_format`` and ``models/``, a torch.save zip ``data.pkl``),
    else from the name."""
    if raw is not None and raw[:2] in PICKLE_STARTS:
        return "pickle"
    if raw is not None:
        try:
            names = zipfile.ZipFile(io.BytesIO(raw)).namelist()
        except Exception:  # noqa: BLE001 - a sniff: any failure (a corrupt or unsupported zip:
            names = []     # NotImplementedError for a zip version, EOFError, ...) is "not a torch zip"
        if any(n.rsplit("/", 1)[-1] == "archive_format" or "/models/" in f"/{n}" for n in names):
            return "pt2"
        if any(n.rsplit("/", 1)[-1] == "data.pkl" for n in names):
            return "save"
        if names:
            return None
    low = source.lower()
    return "pt2" if low.endswith(".pt2") else "save" if low.endswith((".pt", ".pth")) else None


def torch_file_error(kind: str, what: str) -> str:
    """The refusal's text for a file of ``kind`` (:func:`torch_file`) taken for ``what``."""
    return {"pt2": PT2_HINT, "pickle": PICKLE_HINT}.get(kind, SAVE_HINT).format(what=what)
