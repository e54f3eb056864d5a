"""The op kinds that move data between devices rather than compute: a collective component runs
them over a link, and a processor leaves them (one definition both components import)."""

#: all-reduce, all-gather and send/recv (``cimsim workload llm --tensor-parallel`` /
#: ``--pipeline-parallel``)
COMMUNICATION_KINDS: tuple[str, ...] = ("allreduce", "allgather", "sendrecv")
