"""Components more than one layer uses."""
