"""Pulumi entry point (see Pulumi.yaml): the layer is chosen from the stack name."""

from landfall.program import run

run()
