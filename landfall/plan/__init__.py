"""The offline plan tool: the harness that runs the layer programs under mocks, the typed
inventory it produces, golden plans, the stateful-replacement guard, the report and diff-envs."""
