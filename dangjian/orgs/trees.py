"""Building a tree in memory with its materialised paths, then inserting it level by level
(the demo and scale seeds, and the tests' worlds)."""

from typing import Any

from dangjian.core.models import PATH_STEP, path_segment


class TreeBuilder:
    """Assigns materialised paths while building a tree in memory, then bulk-inserts it."""

    def __init__(self, model: Any) -> None:  # Region or Organization
        self.model = model
        self.nodes: list = []
        self.child_count: dict[str, int] = {}
        self.root_count = 0

    def add(self, parent, **fields):
        if parent is None:
            self.root_count += 1
            path = path_segment(self.root_count)
        else:
            count = self.child_count.get(parent.path, 0) + 1
            self.child_count[parent.path] = count
            path = parent.path + path_segment(count)
        node = self.model(parent=parent, path=path, depth=len(path) // PATH_STEP, sort_order=len(self.nodes), **fields)
        self.nodes.append(node)
        return node

    def save(self) -> None:
        # Insert level by level so that every parent has its primary key before its children.
        for depth in sorted({n.depth for n in self.nodes}):
            level = [n for n in self.nodes if n.depth == depth]
            for node in level:
                node.parent_id = node.parent.pk if node.parent is not None else None
            self.model.objects.bulk_create(level, batch_size=2000)
