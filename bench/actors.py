"""Who acts in a benchmark, for the scripts of this directory (each has it on sys.path)."""

from __future__ import annotations

from typing import Any


def bench_actor(user: Any = None) -> Any:
    """``user`` acting through the web, or the system (Django must be set up first)."""
    from dangjian.core.actors import Actor

    return Actor.for_system(via="command") if user is None else Actor.for_user(user, via="web")
