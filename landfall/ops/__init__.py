"""What talks to AWS and the Pulumi CLI: Automation API orchestration with live progress, and the
read-only `doctor` (before a deploy) and `verify` (after one) checks with boto3."""
