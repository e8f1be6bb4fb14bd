# Shared by the build scripts that compile tools from Debian source packages.
# Source it; it defines functions only.

# Exits unless running as root: the scripts install Debian packages.
require_root() {
  if [ "$(id -u)" != 0 ]; then
    echo "[$1] must run as root (it installs Debian packages)" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
}

# The Debian mirror the machine's own sources use, so a local mirror keeps
# working; deb.debian.org when none is found.
debian_mirror() {
  local mirror
  mirror=$(
    { grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}'
      grep -hs '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list | awk '{print $2}'
    } | grep -v -- '-security' | grep -m1 '/debian/\?$' || true
  )
  echo "${mirror:-http://deb.debian.org/debian}"
}
