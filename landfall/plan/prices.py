"""The pinned, dated price table behind ``landfall plan``'s rough monthly estimate (issue 16).

On-demand list prices in USD per hour for us-east-1 (N. Virginia), the region AWS quotes
first, compiled on ``PRICES_COMPILED`` from AWS's public pricing pages as commonly quoted; this
machine has no access to the AWS Price List API, so they are not read from AWS. Other regions
are dearer (London, eu-west-2, by roughly 5-20%): the estimate says so, and says which item has
no price here instead of guessing one. Refresh from the Price List API, e.g.
``aws pricing get-products --service-code AmazonEC2 --region us-east-1 --filters
Type=TERM_MATCH,Field=instanceType,Value=m6i.large Type=TERM_MATCH,Field=location,Value="US East
(N. Virginia)"``, and move the date.
"""

from __future__ import annotations

import datetime

PRICES_COMPILED = datetime.date(2026, 12, 2)
PRICES_REGION = "us-east-1"
HOURS_PER_MONTH = 730

# Fixed hourly charges of the platform's shared pieces.
NAT_GATEWAY_HOUR = 0.045
INTERFACE_ENDPOINT_AZ_HOUR = (
    0.01  # per endpoint, per Availability Zone it has a network interface in
)
ALB_HOUR = 0.0225  # before LCUs
EKS_CLUSTER_HOUR = 0.10  # standard support
EKS_EXTENDED_CLUSTER_HOUR = 0.60  # extended support (instead of the standard 0.10)
# Monthly charges, as hourly rates.
WAF_WEB_ACL_HOUR = 5.0 / HOURS_PER_MONTH  # $5 a month per web ACL
WAF_RULE_HOUR = 1.0 / HOURS_PER_MONTH  # $1 a month per rule or managed rule group (before requests)
KMS_KEY_HOUR = 1.0 / HOURS_PER_MONTH  # $1 a month per customer-managed key (before requests)

# EC2 Linux on-demand (node groups; spot is cheaper, so their on-demand price is a ceiling).
EC2_HOUR: dict[str, float] = {
    "m5.large": 0.096,
    "m5a.large": 0.086,
    "m6a.large": 0.0864,
    "m6i.large": 0.096,
    "m6i.xlarge": 0.192,
    "m7i.large": 0.1008,
    "m7g.large": 0.0816,
}

# RDS for MariaDB, single-AZ (Multi-AZ runs a standby: twice the instance hours).
RDS_HOUR: dict[str, float] = {
    "db.t4g.medium": 0.065,
    "db.r6g.large": 0.215,
    "db.m6g.large": 0.152,
}

# OpenSearch Service, per data or dedicated master node.
OPENSEARCH_HOUR: dict[str, float] = {
    "t3.medium.search": 0.073,
    "m6g.large.search": 0.128,
    "r6g.large.search": 0.167,
}
