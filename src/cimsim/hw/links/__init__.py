"""Link types: one class per file, registered like devices (:mod:`cimsim.hw.registry`,
entry-point group ``cimsim.links``). See :class:`cimsim.hw.base.LinkResource`."""
