"""Controllers: behaviour the window drives, with their collaborators handed in."""
