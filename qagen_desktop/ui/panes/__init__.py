"""The window's panes: small widgets that expose signals and values."""
