# Sourced by the other scripts: the repository root and a Java 25 runtime.
ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
JAR=$ROOT/target/tcpconnlat.jar
AOT=$ROOT/target/tcpconnlat.aot
# The JVM flags of the tools: FFM needs native access. The footprint is kept small (serial GC,
# a 16 MiB heap: the text path allocates nothing per event; 8 MiB at first, room for the AOT
# cache's archived heap objects, which a 4 MiB heap could not load) and start-up short: C1 only (the
# hot path is small, and C2 compiling during a connect storm would take CPU from the box),
# no perf-data file in /tmp. The code cache is reserved (not used: ~2.7 MB is) at 32 MiB because
# the JVM runs a full GC to unload code each time compiled code grows by 15 % of the
# reservation: with 16 MiB that fell inside the first storm (an 8-13 ms pause).
JAVA_FLAGS=(--enable-native-access=ALL-UNNAMED -XX:+UseSerialGC -XX:-UsePerfData -Xms8m -Xmx16m -Xss256k
  -XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 -XX:ReservedCodeCacheSize=32m)

# The flags of one tool on top of JAVA_FLAGS (the last one wins). The exporter's scrape reads
# and writes every series (10,000 histograms: ~24 MB of text, streamed, not held): 64 MiB of
# heap serve 12,000 histograms and their attempts to forty scrapers at once (RSS ~125 MB,
# ~0.85 s a scrape under C1). C2 made that ~0.55 s but cost more CPU between scrapes and
# ~20 MB more RSS (bench/exporter): C1 stays.
# The exporter's OTLP push writes protobuf, whose library still reads memory through
# sun.misc.Unsafe: allowed, so that JDK 25 does not print four lines of warning at start.
tool_flags() {
  case $1 in
    tcpconnlat-exporter) echo -Xmx64m --sun-misc-unsafe-memory-access=allow ;;
  esac
}

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

# Builds the jar when it is missing or older than the sources; retrains the AOT cache when it
# is older than the jar (any Maven build, e.g. the tests, rewrites the jar and so voids it).
# Two launchers started at once (tcpconnlat and tcpconnect on first use) build only once.
# TCPCONNLAT_PREBUILT=1 (scripts/kernels' VMs, which share the host's checkout read-only): use
# the jar as it is.
ensure_built() {
  [ "${TCPCONNLAT_PREBUILT:-}" = 1 ] && [ -f "$JAR" ] && return 0
  jar_fresh && aot_fresh && return 0
  mkdir -p "$ROOT/target"
  (
    flock 9
    if ! jar_fresh; then   # another launcher may have built it while this one waited
      "$ROOT/scripts/build"
    elif ! aot_fresh; then
      train_aot
    fi
  ) 9> "$ROOT/target/.build.lock"
}

# find runs from /: it goes back to its starting directory, and a user with fewer rights (a
# partial-capability run) may not be able to enter the caller's (a root-only temporary one).
jar_fresh() {
  [ -f "$JAR" ] && [ -z "$(cd / && find "$ROOT/src/main" "$ROOT/pom.xml" -newer "$JAR" -print -quit)" ]
}

# Only root can train it (and so only root needs it fresh). It must match the jar and the JVM flags.
aot_fresh() {
  [ "$(id -u)" -ne 0 ] || { [ "$AOT" -nt "$JAR" ] && [ "$AOT" -nt "${BASH_SOURCE[0]}" ]; }
}

# JDK 25's AOT cache (classes loaded and linked, method profiles) from a short training run:
# a real one (load, attach, one event), so it needs root; without it the tools work as well,
# only start slower. Args (for scripts/package): java binary, jar, cache file.
train_aot() {
  [ "$(id -u)" -eq 0 ] || return 0
  local java=${1:-} jar=${2:-$JAR} aot=${3:-$AOT} jdk pid
  if [ -z "$java" ]; then
    jdk=$(find_jdk25) || return 0
    java=$jdk/bin/java
  fi
  rm -f "$aot"
  "$java" "${JAVA_FLAGS[@]}" -XX:AOTCacheOutput="$aot" -Xlog:aot=off -Xlog:cds=off \
    -jar "$jar" tcpconnlat > /dev/null 2>&1 &
  pid=$!
  for _ in $(seq 200); do
    grep -qs '^tfd' /proc/$pid/fdinfo/* && break
    sleep 0.05
  done
  bash -c 'exec 3<>/dev/tcp/127.0.0.1/1' 2>/dev/null || true   # one event through the hot path
  sleep 0.3
  kill -TERM $pid 2>/dev/null || true
  wait $pid || true
  # A cache the JVM cannot use can stop it from starting at all ("Unable to use AOT cache"):
  # keep it only if the tool starts with it.
  "$java" "${JAVA_FLAGS[@]}" -XX:AOTCache="$aot" -Xlog:aot=off -Xlog:cds=off \
    -jar "$jar" tcpconnlat --version > /dev/null 2>&1 || rm -f "$aot"
}

# Debian trixie's victoria-metrics, unpacked by scripts/setup --test: the OTLP receiver of the
# OTLP push test (OtlpKernelTest has the same path).
VICTORIA_METRICS=/var/cache/tcpconnlat/victoria-metrics/root/usr/bin/victoria-metrics

# apt with a sources list, lists folder and archives of our own under $1 (the host's apt set-up
# is left alone), for the Debian suites $2...: sets APT_OPTS. The lists are refreshed once a day
# at most. (scripts/kernels: Debian's kernels; scripts/setup --test: trixie's victoria-metrics.)
APT_OPTS=()
apt_private() {
  local cache=$1 suite
  shift
  mkdir -p "$cache/apt/lists/partial" "$cache/apt/archives/partial"
  for suite in "$@"; do
    echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $suite main"
  done > "$cache/apt/sources.list"
  APT_OPTS=(-o Dir::Etc::sourcelist="$cache/apt/sources.list" -o Dir::Etc::sourceparts=- -o Dir::State::Lists="$cache/apt/lists"
            -o Dir::Cache::Archives="$cache/apt/archives" -o APT::Sandbox::User=root)
  if [ -z "$(find "$cache/apt/lists" -maxdepth 1 -name '*Packages*' -mmin -1440 -print -quit)" ]; then
    apt-get "${APT_OPTS[@]}" -qq update >&2
  fi
}
