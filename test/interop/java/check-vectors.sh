#!/usr/bin/env bash
# Generates the mpush/v1 message classes with protoc --java_out, compiles them and CheckVectors.java against
# protobuf-java, and runs the check on a vectors file (default docs/test-vectors.json). Everything is built in a
# temporary directory under $TMPDIR, removed on exit. Exit status: CheckVectors' own (0 all matched, 1 a mismatch
# or an unchecked vector), or 2 when a tool is missing.
# Needs (Debian): openjdk-17-jdk-headless, protobuf-compiler, libprotobuf-java (scripts/test-prereqs.sh).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
vectors="${1:-$root/docs/test-vectors.json}"
jar="${PROTOBUF_JAR:-/usr/share/java/protobuf.jar}"
hint="install them (Debian/Ubuntu: apt-get install -y openjdk-17-jdk-headless protobuf-compiler libprotobuf-java)"

setup_failed() {
  echo "check-vectors: $1; $hint" >&2
  exit 2
}

for tool in javac java protoc; do
  command -v "$tool" >/dev/null || setup_failed "$tool is not on PATH"
done
[ -r "$jar" ] || setup_failed "protobuf-java is missing ($jar)"
# "javac 17.0.15" -> 17; Ed25519 arrived in Java 15, and the checker uses Java 17's records and patterns.
javac_major="$(javac -version 2>&1 | sed -n 's/^javac \([0-9]*\).*/\1/p')"
[ "${javac_major:-0}" -ge 17 ] || setup_failed "javac is $(javac -version 2>&1), Java 17 or later is needed"

work="$(mktemp -d "${TMPDIR:-/tmp}/mpush-java-vectors.XXXXXX")"
trap 'rm -rf "$work"' EXIT
mkdir "$work/src" "$work/classes"
# A failing protoc or javac exits 1, not with its own status: 2 is kept for "a tool is missing".
protoc -I"$root/proto" --java_out="$work/src" "$root"/proto/mpush/v1/*.proto || {
  echo "check-vectors: protoc failed on proto/mpush/v1" >&2
  exit 1
}
mapfile -t generated < <(find "$work/src" -name '*.java')
# javac and the check run once and briefly: these JVM flags trade peak speed for start-up time.
quick=(-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:-UsePerfData)
javac "${quick[@]/#/-J}" -encoding UTF-8 --release 17 -nowarn -cp "$jar" -d "$work/classes" \
  "${generated[@]}" "$here"/*.java || {
  echo "check-vectors: javac failed" >&2
  exit 1
}
status=0
java "${quick[@]}" -cp "$work/classes:$jar" CheckVectors "$vectors" || status=$?
exit "$status"
