"""The ``cim-accuracy`` suite: published accuracy figures that need no external data.

Reproduced here: the fp32 top-1 of the ``mnist1d`` repository's reference architectures on its
default procedural data (the bundled ``mnist1d-cnn``: ``ConvBase`` trained with the repository's
``train.py`` recipe; ``mnist1d-gru``: ``GRUBase``'s architecture under this package's epoch
recipe; trained on first use and cached; :mod:`cimsim.accuracy.models`). These cases score a
PyTorch fp32 training run, no cimsim model: they check that the networks the accuracy emulator
runs are trained as well as the published ones. Named and skipped: NeuroSim V1.4's
accuracy-vs-design figures (VGG-8 on CIFAR-10, 4-bit ADC, 32 vs 64 rows read at once), which
need CIFAR-10 and a trained VGG-8; a user with both can run them with
``cimsim run CONFIG FILE.py:FACTORY --accuracy --dataset FILE.py:DATASET``
(``--set cim.adc.bits=4 --set cim.rows_per_read=32`` / ``64``).

Without the accuracy extra (torch, mnist1d) every case is skipped, saying so.
"""

from __future__ import annotations

from . import Case, Skipped, suite

NAME = "cim-accuracy"
MNIST1D = "mnist1d README, 'Comparing MNIST and MNIST-1D' (github.com/greydanus/mnist1d)"
NEUROSIM = ("NeuroSim V1.4 user manual (github.com/neurosim/NeuroSim), VGG-8 on CIFAR-10, "
            "90.18 % fp baseline")
#: NeuroSim V1.4's 4-bit-ADC accuracy figures: (cell technology, rows read at once, top-1 %)
NEUROSIM_FIGURES = (("SRAM", 32, 77.0), ("SRAM", 64, 59.0), ("RRAM", 32, 71.0), ("RRAM", 64, 43.0))
CIFAR_REASON = ("needs CIFAR-10 and a trained VGG-8, neither installable without a download; "
                "with them: cimsim run CONFIG FILE.py:FACTORY --accuracy --dataset FILE.py:DATASET "
                "--set cim.adc.bits=4 --set cim.rows_per_read=N")


@suite(NAME, "fp32 top-1 of the mnist1d reference CNN and GRU (bundled, trained on first use: a "
             "PyTorch training run, no cimsim model); NeuroSim V1.4's CIFAR-10 accuracy-vs-rows "
             "figures named and skipped (need CIFAR-10)")
def accuracy_suite() -> list:
    import importlib

    out: list = []
    missing = []
    for module in ("torch", "mnist1d"):  # each one named, not only the first that fails
        try:
            importlib.import_module(module)
        except ImportError:
            missing.append(module)
    if missing:
        reason = (f"needs the accuracy extra ({' and '.join(missing)} missing): "
                  "pip install 'cimsim[accuracy]'")
        out += [Skipped(NAME, f"{m} fp32 top-1", reason) for m in ("mnist1d-cnn", "mnist1d-gru")]
    else:
        from ..accuracy import models

        with models.threads(1):
            for name in ("mnist1d-cnn", "mnist1d-gru"):
                spec = models.MODELS[name]
                model, split = models.load(name)
                top1 = models.top1(model, split.x_test, split.y_test)
                out.append(Case(NAME, f"{name} fp32 top-1 ({spec.description})", "%",
                                spec.reference_top1 * 100, top1 * 100, MNIST1D))
    for tech, rows, acc in NEUROSIM_FIGURES:
        out.append(Skipped(NAME, f"{NEUROSIM}: {tech}, 4-bit ADC, {rows} rows at once: {acc:g} % "
                                 "top-1", CIFAR_REASON))
    return out
