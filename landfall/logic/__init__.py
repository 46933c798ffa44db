"""Pure logic, no Pulumi SDK: the CIDR plan, RBAC, EKS and Flux details, the environment
ConfigMap's keys, SSO role matching, pinned versions, AWS facts read from botocore's models, and
the typed contracts between stacks."""
