"""Service requests and their whole life: the state machine, the queue, dispatch."""
