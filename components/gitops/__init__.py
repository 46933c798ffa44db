"""Components of the gitops layer."""
