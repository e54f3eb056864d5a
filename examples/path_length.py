"""The seed's argument as numbers: critical path of an LSTM grows ~T, of the
hierarchical attention encoder ~log N.

    python examples/path_length.py [CONFIG]

Prints, for growing sequence lengths, the LSTM's and the encoder's critical
path (ops and seconds, each op alone on CONFIG) and the simulated latency.
"""

from __future__ import annotations

import sys

from cimsim import load_architecture, simulate
from cimsim.bundled import resolve_config
from cimsim.report.format import si
from cimsim.workload.generators import hier_attn, lstm


def main(config: str = "gpu-hbm3") -> None:
    arch = load_architecture(resolve_config(config))
    print(f"on {arch.name}: LSTM (1 layer, H = I = 512) vs hierarchical attention (d = 512, w = 16)")
    print(f"{'N = T':>7} | {'LSTM path':>10} {'path time':>10} {'latency':>10} | "
          f"{'levels':>6} {'HAN path':>9} {'path time':>10} {'latency':>10}")
    for n in (16, 64, 256, 1024, 4096):
        r_l = simulate(arch, lstm(512, 512, 1, steps=n), keep_ops=False)
        w_h = hier_attn(n, d_model=512, heads=8, window=16)
        r_h = simulate(arch, w_h, keep_ops=False)
        print(f"{n:>7} | {r_l.critical_path_ops:>7} ops {si(r_l.critical_path_s, 's'):>10} "
              f"{si(r_l.latency_s, 's'):>10} | {w_h.metadata['levels']:>6} {r_h.critical_path_ops:>5} ops "
              f"{si(r_h.critical_path_s, 's'):>10} {si(r_h.latency_s, 's'):>10}")


if __name__ == "__main__":
    from cimsim.errors import CimsimError

    try:
        main(*sys.argv[1:2])
    except CimsimError as exc:  # a config name it cannot find: one line, as the CLI says it
        sys.exit(f"Error: {exc}")
