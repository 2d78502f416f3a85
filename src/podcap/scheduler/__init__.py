"""The scheduler inside a step: the framework (:mod:`.framework`: the scheduler's view of nodes
and pods, plugin units), the plugins of the default profile (:mod:`.plugins`, ordered in
:mod:`.profile`), the plugin-independent cycle (:mod:`.cycle`), and two engines: the fast one
(:mod:`.fast`) and the plain-Python oracle (:mod:`.reference`) that shares no code with it."""
