"""Components of the network layer."""
