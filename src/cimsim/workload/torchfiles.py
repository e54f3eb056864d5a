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


def torch_file(source: str, raw: bytes | None = None) -> str | None:
    """``"pt2"`` for a torch.export archive, ``"save"`` for a torch.save file, else None: from
    the zip members of ``raw`` where given (a ``.pt2`` holds ``archive_format`` and
    ``models/``, a torch.save zip ``data.pkl``), else from the name."""
    if raw is not None:
        try:
            names = zipfile.ZipFile(io.BytesIO(raw)).namelist()
        except (zipfile.BadZipFile, ValueError, OSError):
            names = []
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
    return (PT2_HINT if kind == "pt2" else SAVE_HINT).format(what=what)
