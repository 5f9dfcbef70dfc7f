#!/usr/bin/env bash
# Builds the container image's base without a registry or a Docker daemon: a Docker-format image tarball
# (what `docker save` writes, which Jib reads as a tar:// base image) holding
#   - glibc from Debian's packages (libc6, libgcc-s1: all the Java runtime links against), unpacked by dpkg-deb;
#   - fontconfig and the DejaVu fonts with their libraries (the charts of the PDF reports draw text with AWT, which
#     without them fails with "Fontconfig head is null"), and a font cache made for them (fc-cache --sysroot);
#   - a Java runtime made by jlink from the JDK that runs the build ($JAVA_HOME), at /opt/java;
#   - /etc/passwd and /etc/group with the non-root user 185 (jboss), /etc/nsswitch.conf, /tmp, /deployments.
# Usage: base-image.sh <output.tar>   (run by `./mvnw package -Pimage`; README "Container image")
set -euo pipefail
out="$(realpath -m "$1")"
java_home="${JAVA_HOME:?JAVA_HOME must name the JDK whose jlink makes the runtime}"
work="$(dirname "$out")/base-image-work"
rm -rf "$work" && mkdir -p "$work/debs" "$work/rootfs"
rootfs="$work/rootfs"

# the Debian packages: the machine's package lists must know them (apt-get update once if they do not)
packages=(libc6 libgcc-s1
  libfontconfig1 fontconfig-config fonts-dejavu-core libfreetype6 libexpat1 libpng16-16 zlib1g libbrotli1 libuuid1)
if ! (cd "$work/debs" && apt-get download "${packages[@]}" >/dev/null 2>&1); then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    (cd "$work/debs" && apt-get download "${packages[@]}" >/dev/null)
  else
    echo "apt-get download ${packages[*]} failed: run 'apt-get update' (as root) first" >&2
    exit 1
  fi
fi
for deb in "$work"/debs/*.deb; do
  dpkg-deb -x "$deb" "$rootfs"
done
rm -rf "$rootfs/usr/share/doc" "$rootfs/usr/share/lintian" "$rootfs/usr/share/locale" "$rootfs/usr/share/man"
# the font cache, so that the first report does not scan the fonts (and fontconfig finds no writable cache directory
# on a read-only root: XDG_CACHE_HOME=/tmp below is where it would write one otherwise)
if command -v fc-cache >/dev/null 2>&1; then
  fc-cache --sysroot "$rootfs" --system-only >/dev/null 2>&1 || echo "fc-cache failed: the image builds its font cache at first use" >&2
fi

# the Java runtime: the Java SE modules plus what the service's libraries use outside them
"$java_home/bin/jlink" --output "$rootfs/opt/java" --strip-debug --no-man-pages --no-header-files \
  --compress=zip-6 \
  --add-modules java.se,jdk.unsupported,jdk.crypto.cryptoki,jdk.management,jdk.management.agent,jdk.jfr,jdk.zipfs,jdk.naming.dns,jdk.net,jdk.localedata,jdk.charsets

mkdir -p "$rootfs/etc" "$rootfs/tmp" "$rootfs/deployments" "$rootfs/home/jboss"
chmod 1777 "$rootfs/tmp"
cat > "$rootfs/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/sbin/nologin
jboss:x:185:185:service:/home/jboss:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
PASSWD
cat > "$rootfs/etc/group" <<'GROUP'
root:x:0:
jboss:x:185:
nogroup:x:65534:
GROUP
printf 'hosts: files dns\n' > "$rootfs/etc/nsswitch.conf"

# one layer, reproducible: sorted, everything owned by root (the service only reads it), fixed times
layer="$work/layer.tar"
(cd "$rootfs" && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort > "$work/files")
tar --create --file "$layer" --directory "$rootfs" --no-recursion --numeric-owner --owner=0 --group=0 \
  --mtime='1970-01-01 00:00:01Z' --format=posix --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
  --files-from "$work/files"
diff_id="sha256:$(sha256sum "$layer" | cut -d' ' -f1)"

java_version="$("$rootfs/opt/java/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.runtime.version = //p')"
cat > "$work/config.json" <<JSON
{"architecture":"amd64","os":"linux",
 "config":{"Env":["PATH=/opt/java/bin:/usr/sbin:/usr/bin:/sbin:/bin","JAVA_HOME=/opt/java","LANG=C.UTF-8","XDG_CACHE_HOME=/tmp"],
           "User":"185","WorkingDir":"/deployments",
           "Labels":{"org.opencontainers.image.description":"glibc (Debian) and a jlink Java runtime ${java_version}"}},
 "rootfs":{"type":"layers","diff_ids":["${diff_id}"]},
 "history":[{"created":"1970-01-01T00:00:01Z","created_by":"src/main/image/base-image.sh"}]}
JSON
printf '[{"Config":"config.json","RepoTags":["segments-base:local"],"Layers":["layer.tar"]}]\n' > "$work/manifest.json"
tar --create --file "$out" --directory "$work" --numeric-owner --owner=0 --group=0 --mtime='1970-01-01 00:00:01Z' \
  manifest.json config.json layer.tar
echo "base image: $out ($(du -h "$out" | cut -f1), Java ${java_version})"
rm -rf "$work"
