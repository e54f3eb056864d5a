"""Memory-level types: one class per file, registered like devices (:mod:`cimsim.hw.registry`,
entry-point group ``cimsim.memory``). See :class:`cimsim.hw.base.MemoryResource`."""
