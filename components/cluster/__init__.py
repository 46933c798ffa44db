"""Components of the cluster layer."""
