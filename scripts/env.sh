# Sourced by the other scripts: the repository root and a Java 25 runtime.
ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
JAR=$ROOT/target/tcpconnlat.jar
# The JVM flags of the tools: FFM needs native access; a small heap and the serial GC keep
# the footprint small; no perf-data file in /tmp.
JAVA_FLAGS=(--enable-native-access=ALL-UNNAMED -XX:+UseSerialGC -XX:-UsePerfData -Xmx64m -Xss512k)

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
