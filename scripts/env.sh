# Sourced by the other scripts: the repository root and a Java 25 runtime.
ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
JAR=$ROOT/target/tcpconnlat.jar
AOT=$ROOT/target/tcpconnlat.aot
# The JVM flags of the tools: FFM needs native access. The footprint is kept small (serial GC,
# a 16 MiB heap: the text path allocates nothing per event) and start-up short: C1 only (the
# hot path is small, and C2 compiling during a connect storm would take CPU from the box),
# no perf-data file in /tmp.
JAVA_FLAGS=(--enable-native-access=ALL-UNNAMED -XX:+UseSerialGC -XX:-UsePerfData -Xms4m -Xmx16m -Xss256k
  -XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 -XX:ReservedCodeCacheSize=16m)

# Prints the home of a JDK >= 25: $JAVA_HOME if it is one, else the newest under /usr/lib/jvm.
find_jdk25() {
  local h v
  for h in "${JAVA_HOME:-}" $(ls -d /usr/lib/jvm/*/ 2>/dev/null | sort -rV); do
    h=${h%/}
    [ -n "$h" ] && [ -x "$h/bin/javac" ] && [ -f "$h/release" ] || continue
    v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$h/release")
    if [ -n "$v" ] && [ "$v" -ge 25 ]; then
      echo "$h"
      return 0
    fi
  done
  return 1
}

# Builds the jar when it is missing or older than the sources.
ensure_built() {
  if [ ! -f "$JAR" ] || [ -n "$(find "$ROOT/src/main" "$ROOT/pom.xml" -newer "$JAR" -print -quit)" ]; then
    "$ROOT/scripts/build"
  fi
}
