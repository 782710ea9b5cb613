# Sourced by the scripts that install what they need on Debian/Ubuntu (setup.sh, fuzz.sh,
# build_wheel.sh): one place that decides what is missing and installs it.

# Prints, one per line, the packages among "$@" that dpkg does not list as installed.
debian_missing() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || printf '%s\n' "$p"
  done
}

# Installs the packages among "$@" that are missing (apt-get update first; sudo when not
# root). Returns apt-get's status; 0 when nothing was missing.
debian_install_missing() {
  local missing=() sudo="" p
  while IFS= read -r p; do [ -n "$p" ] && missing+=("$p"); done < <(debian_missing "$@")
  [ "${#missing[@]}" -gt 0 ] || return 0
  printf '[packages] installing: %s\n' "${missing[*]}"
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}
