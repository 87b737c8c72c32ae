"""Reading the documents a run works on: one reader per kind, behind one entry point."""
