# Shell functions the scripts share (sourced, not run).

# apt_install WHO PKG...: install Debian packages, with sudo unless root; WHO names the
# script in the message.
apt_install() {
  local who=$1 sudo=""
  shift
  [ "$(id -u)" != 0 ] && sudo="sudo"
  echo "$who: installing $*" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" \
    >/dev/null
}

# free_port: a TCP port on 127.0.0.1 that is free now.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
