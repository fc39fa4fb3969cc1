"""Care for members in difficulty (关怀帮扶): cases and visits."""
