"""The results table: the model over a plain list of pairs, and its undoable edits."""
