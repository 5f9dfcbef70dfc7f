# Sourced by ./mvnw and .ci/run (POSIX sh): makes JAVA_HOME a JDK 21 or newer, so the README's two commands work as
# written on a machine whose default java is older. Order: JAVA_HOME if it is 21+, else the java on PATH if it is
# 21+, else the newest JDK 21+ under /usr/lib/jvm, /usr/java or /opt/java, else a clear message (and exit 1).
segments_java_major() {
  "$1" -version 2>&1 | awk -F'"' '/version/ {split($2, v, "."); print (v[1] == "1" ? v[2] : v[1]); exit}'
}
segments_pick_jdk() {
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ] && [ "$(segments_java_major "$JAVA_HOME/bin/java")" -ge 21 ] 2>/dev/null; then
    return 0
  fi
  segments_path_java=$(command -v java 2>/dev/null || true)
  if [ -n "$segments_path_java" ] && [ "$(segments_java_major "$segments_path_java")" -ge 21 ] 2>/dev/null; then
    JAVA_HOME=$(dirname "$(dirname "$(readlink -f "$segments_path_java")")")
    export JAVA_HOME
    return 0
  fi
  segments_best=""
  segments_best_major=0
  for segments_candidate in /usr/lib/jvm/* /usr/java/* /opt/java/*; do
    if [ -x "$segments_candidate/bin/java" ]; then
      segments_major=$(segments_java_major "$segments_candidate/bin/java")
      if [ "${segments_major:-0}" -ge 21 ] 2>/dev/null && [ "$segments_major" -gt "$segments_best_major" ]; then
        segments_best="$segments_candidate"
        segments_best_major="$segments_major"
      fi
    fi
  done
  if [ -n "$segments_best" ]; then
    JAVA_HOME="$segments_best"
    export JAVA_HOME
    return 0
  fi
  echo "This project needs a JDK 21 or newer: install one, or point JAVA_HOME at it (found none under /usr/lib/jvm)." >&2
  return 1
}
segments_pick_jdk || exit 1
PATH="$JAVA_HOME/bin:$PATH"
export PATH
