#!/usr/bin/env bash
# Ask Flux to reconcile an environment now instead of at its next interval (R5).
#
# This is the only thing CI ever does inside a cluster. It runs with the *notifier* identity
# alone: the caller has assumed the cluster stack's `notifierRoleArn` (GitHub OIDC, no stored
# keys), whose only AWS permission is eks:DescribeCluster and whose Kubernetes group may only
# get/list/patch Flux objects. The script builds a throw-away kubeconfig for that identity and
# sets the `reconcile.fluxcd.io/requestedAt` annotation (what `flux reconcile` does) on the
# root source and Kustomization; nothing is created, applied or deleted.
#
# Usage: scripts/flux-notify.sh CLUSTER_NAME REGION [SOURCE_KIND]
#   CLUSTER_NAME  the cluster stack output clusterName (e.g. landfall-test)
#   REGION        the environment's AWS region (e.g. eu-west-2)
#   SOURCE_KIND   GitRepository (default) or OCIRepository: the gitops stack output sourceKind
# Environment: FLUX_NAMESPACE (default flux-system), FLUX_OBJECT (default flux-system, the name
# of both the root source and the root Kustomization).
set -euo pipefail

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//' >&2
  exit 2
}

if [ "$#" -lt 2 ] || [ "$#" -gt 3 ]; then
  usage
fi
cluster="$1"
region="$2"
kind="${3:-GitRepository}"
namespace="${FLUX_NAMESPACE:-flux-system}"
name="${FLUX_OBJECT:-flux-system}"

case "$(printf '%s' "$kind" | tr '[:upper:]' '[:lower:]')" in
  gitrepository) source="gitrepositories.source.toolkit.fluxcd.io/$name" ;;
  ocirepository) source="ocirepositories.source.toolkit.fluxcd.io/$name" ;;
  *)
    echo "flux-notify: SOURCE_KIND must be GitRepository or OCIRepository, not '$kind'" >&2
    exit 2
    ;;
esac
kustomization="kustomizations.kustomize.toolkit.fluxcd.io/$name"

kubeconfig="$(mktemp)"
trap 'rm -f "$kubeconfig"' EXIT
aws eks update-kubeconfig --name "$cluster" --region "$region" --kubeconfig "$kubeconfig" >/dev/null

requested_at="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
for object in "$source" "$kustomization"; do
  kubectl --kubeconfig "$kubeconfig" --namespace "$namespace" annotate --overwrite \
    "$object" "reconcile.fluxcd.io/requestedAt=$requested_at"
done
echo "flux-notify: asked Flux in $cluster to reconcile $source and $kustomization ($requested_at)"
