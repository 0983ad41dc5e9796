#!/usr/bin/env bash
# The RustSec advisories of doorstep's dependencies, kept in the repository
# so that `cargo deny check advisories` runs where GitHub cannot be reached.
#
#   scripts/advisories.sh refresh ADVISORY_DB   copy, from a clone of
#       https://github.com/rustsec/advisory-db (a work tree or a bare
#       repository), the advisories of every crate Cargo.lock names into
#       deny/advisory-db/, with the clone's commit and the crates' names
#   scripts/advisories.sh check                  run cargo deny's advisories
#       check against that copy; refuse when Cargo.lock names a crate the
#       copy was not made for
#
# docs/reliability.md, "Dependencies".
set -euo pipefail
cd "$(dirname "$0")/.."
copy=deny/advisory-db

locked_crates() {
  sed -n 's/^name = "\(.*\)"$/\1/p' Cargo.lock | sort -u
}

refresh() {
  local source="$1"
  local git=(git -C "$source")
  [ -d "$source/.git" ] || git=(git --git-dir="$source")
  local commit date
  commit=$("${git[@]}" rev-parse HEAD)
  date=$("${git[@]}" log -1 --format=%cs HEAD)
  rm -rf "$copy"
  mkdir -p "$copy/crates"
  local name n=0
  while read -r name; do
    if "${git[@]}" cat-file -e "HEAD:crates/$name" 2>/dev/null; then
      "${git[@]}" archive HEAD "crates/$name" | tar -x -C "$copy"
      n=$((n + 1))
    fi
  done < <(locked_crates)
  {
    echo "# The RustSec advisory database (https://github.com/rustsec/advisory-db,"
    echo "# CC0-1.0) at commit $commit of $date: the advisories"
    echo "# of the crates below, every crate Cargo.lock named when it was copied."
    echo "# Made by scripts/advisories.sh refresh."
    echo "commit $commit"
    echo "date $date"
    locked_crates | sed 's/^/crate /'
  } > "$copy/SNAPSHOT"
  echo "advisories of $n of $(locked_crates | wc -l) crates copied from $commit ($date)"
}

check() {
  local missing
  missing=$(comm -23 <(locked_crates) <(sed -n 's/^crate //p' "$copy/SNAPSHOT" | sort -u))
  if [ -n "$missing" ]; then
    echo "Cargo.lock names crates the advisory copy was not made for:" >&2
    echo "$missing" | sed 's/^/  /' >&2
    echo "run scripts/advisories.sh refresh with a clone of the RustSec database" >&2
    exit 1
  fi
  # cargo deny reads the database from a git clone in its folder for the
  # database's address, and with --offline fetches nothing: the copy is
  # made that clone, its commit dated as the copy is.
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  local db="$work/dbs/advisory-db-3157b0e258782691"
  mkdir -p "$work/dbs"
  cp -r "$copy" "$db"
  local date
  date=$(sed -n 's/^date //p' "$copy/SNAPSHOT")
  git -C "$db" init -q
  git -C "$db" add -A
  GIT_COMMITTER_DATE="${date}T00:00:00Z" GIT_AUTHOR_DATE="${date}T00:00:00Z" \
    git -C "$db" -c user.name=doorstep -c user.email=ci@doorstep.invalid \
    commit -q -m "$(sed -n 's/^commit //p' "$copy/SNAPSHOT")"
  cp "$db/.git/HEAD" "$db/.git/FETCH_HEAD"
  {
    cat deny.toml
    echo "db-path = \"$work/dbs\""
    # The copy is as old as it is; the check says its date.
    echo "maximum-db-staleness = \"P3650D\""
  } > "$work/deny.toml"
  # --offline fetches no database, and cargo metadata, run first, no crate.
  cargo metadata --format-version 1 --locked > "$work/metadata.json"
  echo "advisories as of $(sed -n 's/^date //p' "$copy/SNAPSHOT")"
  cargo deny --offline --metadata-path "$work/metadata.json" --config "$work/deny.toml" check advisories
}

case "${1:-}" in
  refresh) refresh "${2:?the path of a clone of the RustSec advisory database}" ;;
  check) check ;;
  *) echo "usage: $0 refresh ADVISORY_DB | check" >&2; exit 2 ;;
esac
