"""Components of the bootstrap layer: what the account needs before the other stacks."""
