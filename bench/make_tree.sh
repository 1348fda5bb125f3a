#!/usr/bin/env bash
# Rebuild the benchmark tree: bench/make_tree.sh DIR  (needs git and network access to github.com).
# Each repository of bench/tree.txt is fetched at its recorded commit (shallow) into DIR/owner__name.
set -euo pipefail
dest=${1:?usage: bench/make_tree.sh DIR}
list="$(dirname "$0")/tree.txt"
mkdir -p "$dest"
grep -v '^#' "$list" | while read -r repo commit; do
  [ -n "$repo" ] || continue
  out="$dest/${repo/\//__}"
  if [ -d "$out" ]; then echo "have $repo"; continue; fi
  tmp="$out.part"
  rm -rf "$tmp" && mkdir -p "$tmp"
  git -C "$tmp" init -q
  git -C "$tmp" fetch -q --depth 1 "https://github.com/$repo" "$commit"
  git -C "$tmp" checkout -q FETCH_HEAD
  rm -rf "$tmp/.git"
  mv "$tmp" "$out"
  echo "fetched $repo@${commit:0:10}"
done
echo "then: python bench/bench.py $dest"
