"""Services of the catalogue in the fleet: scaffolding a new one (``scaffold``) and checking that
the catalogue, the settings and the fleet agree (``check``). Files only: no AWS, no Pulumi."""
