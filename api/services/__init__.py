"""What more than one router needs, computed from the app's resources (no router imports another)."""
