#!/usr/bin/env bash
# Moves Sentinel's image from one environment to the next, dev -> staging -> production, by
# digest (docs/promotion.md). .github/workflows/image.yaml runs it; so can a person.
#
#   scripts/promote.sh image ENV     the image environments/ENV's Deployment runs (rendered)
#   scripts/promote.sh pin ENV REF   pin ENV to REF (<registry>/sentinel-backend@sha256:<hex>)
#                                    with `kustomize edit set image`
#   scripts/promote.sh pr ENV        on a branch promote/ENV-<digest>, pin ENV to what the
#                                    environment before it runs on origin/main, push it and
#                                    open a pull request (gh); older ones for ENV are closed
#   scripts/promote.sh check BASE    for a pull request into BASE: every environment whose image
#                                    it changes gets what the one before it runs on BASE, or
#                                    an image it ran before (a rollback by revert)
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."

IMAGE_NAME=sentinel-backend
die() {
  echo "promote: $*" >&2
  exit 1
}

previous() {
  case "$1" in
    staging) echo dev ;;
    production) echo staging ;;
    *) die "nothing is promoted to '$1' (staging or production)" ;;
  esac
}

# The image environments/$2 runs, rendered from the tree at $1.
image_in() {
  local rendered line
  rendered="$(kubectl kustomize "$1/environments/$2")"
  line="$(grep -m1 -E "^ *image: .*$IMAGE_NAME[@:]" <<<"$rendered")" ||
    die "environments/$2 renders no $IMAGE_NAME image"
  echo "${line#*image: }"
}

# The environments and manifests of a git revision, in a new temporary folder.
tree_at() {
  local dir
  dir="$(mktemp -d)"
  git archive "$1" environments deploy | tar -x -C "$dir"
  echo "$dir"
}

pin() {
  local env="$1" ref="$2"
  [[ "$ref" =~ ^[^@[:space:]]+/$IMAGE_NAME@sha256:[0-9a-f]{64}$ ]] ||
    die "not <registry>/$IMAGE_NAME@sha256:<digest>: '$ref'"
  [ -f "environments/$env/kustomization.yaml" ] || die "no environment '$env'"
  (cd "environments/$env" && kustomize edit set image "$IMAGE_NAME=$ref")
  [ "$(image_in . "$env")" = "$ref" ] || die "environments/$env does not render $ref"
}

pr() {
  local env="$1" from tree ref current branch title
  from="$(previous "$env")"
  git fetch --quiet origin main
  tree="$(tree_at origin/main)"
  ref="$(image_in "$tree" "$from")"
  current="$(image_in "$tree" "$env")"
  rm -rf "$tree"
  [[ "$ref" == *@sha256:* ]] || die "$from runs '$ref', not an image by digest"
  if [ "$ref" = "$current" ]; then
    echo "$env already runs $ref"
    return 0
  fi
  branch="promote/$env-$(cut -c1-12 <<<"${ref##*:}")"
  title="Promote $IMAGE_NAME to $env: ${ref##*/}"
  git checkout --quiet -B "$branch" origin/main
  pin "$env" "$ref"
  git commit --quiet -m "$title" -m "The image $from runs on main." \
    "environments/$env/kustomization.yaml"
  git push --quiet --force origin "$branch"
  if [ "$(gh pr list --head "$branch" --state open --json number --jq length)" = 0 ]; then
    gh pr create --base main --head "$branch" --title "$title" --body "$(
      cat <<BODY
Pins \`environments/$env\` to \`$ref\`, the image \`$from\` runs on main.

Approve only when Argo CD shows \`sentinel-$from\` Synced and Healthy on this digest and it
behaved there (docs/promotion.md). After the merge, $(
        [ "$env" = production ] &&
          echo 'a person syncs `sentinel-production` in Argo CD.' ||
          echo 'Argo CD syncs `sentinel-staging` by itself.'
      ) Roll back by reverting this pull request.
BODY
    )"
  fi
  # A newer promotion supersedes older ones for the same environment.
  gh pr list --state open --json headRefName \
    --jq ".[].headRefName | select(startswith(\"promote/$env-\") and . != \"$branch\")" |
    while read -r old; do
      gh pr close "$old" --delete-branch --comment "Superseded by $branch."
    done
}

check() {
  local base="$1" tree env from new old status=0
  tree="$(tree_at "$base")"
  for env in staging production; do
    from="$(previous "$env")"
    new="$(image_in . "$env")"
    old="$(image_in "$tree" "$env")"
    if [ "$new" = "$old" ]; then
      continue
    elif [ "$new" = "$(image_in "$tree" "$from")" ]; then
      echo "$env: $new, which $from runs"
    elif [[ "$new" == *@sha256:* ]] && grep -qF "${new##*@}" <<<"$(
      git log --format= -p "$base" -- "environments/$env/kustomization.yaml"
    )"; then
      echo "$env: $new, which it ran before (a rollback)"
    else
      echo "$env would run $new: $from does not run it on $base, and $env never did" >&2
      status=1
    fi
  done
  rm -rf "$tree"
  return "$status"
}

case "${1:-}" in
  image) image_in . "${2:?environment}" ;;
  pin) pin "${2:?environment}" "${3:?image reference}" ;;
  pr) pr "${2:?environment}" ;;
  check) check "${2:?base revision}" ;;
  *)
    echo "usage: scripts/promote.sh image ENV | pin ENV REF | pr ENV | check BASE" >&2
    exit 2
    ;;
esac
