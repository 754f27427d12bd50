#!/usr/bin/env bash
# Builds the Debian package (go run ./build/deb), installs it on this machine
# and checks what a sysadmin gets: the user and folders with their owners and
# modes, units that systemd-analyze verify passes, the version, the man page,
# a config the user classifyd can read, "classifyd once" as that user filing
# the README's sample documents from the installed inbox into the installed
# output (type folders group-writable and setgid), and that dpkg -r keeps the
# state and the documents while dpkg -P removes the config. Then it purges the
# package and removes the user, the group and the folders the test made: the
# machine is left as it was found.
#
# Needs root on Debian (dpkg); skips otherwise. Refuses to run where
# classifyd is installed or its folders exist: they are someone's.
set -euo pipefail
cd "$(dirname "$0")/../.."

say() { printf -- '-- %s\n' "$*"; }
fail() { printf 'check.sh: FAIL: %s\n' "$*" >&2; exit 1; }

if [ "$(id -u)" != 0 ]; then
  echo "check.sh: skipped: installing a package needs root"
  exit 0
fi
if ! command -v dpkg >/dev/null || ! command -v apt-get >/dev/null; then
  echo "check.sh: skipped: not a Debian machine (no dpkg)"
  exit 0
fi
if dpkg-query -W -f '${db:Status-Status}' classifyd 2>/dev/null | grep -qv '^not-installed$'; then
  fail "the package classifyd is installed here (dpkg -l classifyd): not touching it"
fi
for p in /etc/classifyd /var/lib/classifyd /srv/classifyd; do
  [ ! -e "$p" ] || fail "$p exists: not touching it (remove it, or run this on a clean machine)"
done
had_user=0 had_group=0
getent passwd classifyd >/dev/null && had_user=1
getent group classifyd >/dev/null && had_group=1

tmp=$(mktemp -d)
cleanup() {
  set +e
  dpkg -P classifyd >/dev/null 2>&1
  rm -rf /etc/classifyd /var/lib/classifyd /srv/classifyd "$tmp"
  ((had_user)) || userdel classifyd 2>/dev/null
  ((had_group)) || { getent group classifyd >/dev/null && groupdel classifyd; }
  if getent passwd classifyd >/dev/null && ! ((had_user)); then echo "check.sh: could not remove the user classifyd" >&2; fi
}
trap cleanup EXIT

# mode PATH WANT: owner, group and octal mode of PATH.
mode() {
  local got
  got=$(stat -c '%U:%G %a' "$1") || fail "$1 is missing"
  [ "$got" = "$2" ] || fail "$1: $got, want $2"
  say "$1 $got"
}

say "build: go run ./build/deb"
deb=$(go run ./build/deb --out "$tmp")
ver=$(dpkg-deb -f "$deb" Version)
say "$deb"
dpkg-deb -f "$deb" Recommends | grep -q 'tesseract-ocr.*poppler-utils' || fail "Recommends: $(dpkg-deb -f "$deb" Recommends)"

say "dpkg -i"
dpkg -i "$deb"

# --- what the install made ------------------------------------------------------
id classifyd
getent group classifyd >/dev/null || fail "no group classifyd"
mode /usr/bin/classifyd "root:root 755"
mode /etc/classifyd "root:root 755"
mode /etc/classifyd/classifyd.yaml "root:root 644"
mode /var/lib/classifyd "classifyd:classifyd 750"
mode /srv/classifyd "root:root 755"
mode /srv/classifyd/inbox "classifyd:classifyd 2770"
mode /srv/classifyd/sorted "classifyd:classifyd 2770"
dpkg-query -W -f '${Conffiles}\n' classifyd | grep -q '^ /etc/classifyd/classifyd.yaml ' || fail "classifyd.yaml is not a conffile"
# Installed, not enabled, not started.
for w in /etc/systemd/system/*.wants/classifyd*.service; do
  [ ! -e "$w" ] || fail "the install enabled $w"
done
if [ -d /run/systemd/system ] && systemctl is-active --quiet classifyd; then fail "the install started classifyd"; fi

say "systemd-analyze verify (installed units, man page included)"
cp /usr/lib/systemd/system/classifyd@.service "$tmp/classifyd@check.service"
out=$(systemd-analyze verify /usr/lib/systemd/system/classifyd.service "$tmp/classifyd@check.service" 2>&1) || fail "systemd-analyze verify: $out"
[ -z "$out" ] || fail "systemd-analyze verify warned: $out"

say "classifyd version"
got=$(classifyd version)
echo "$got"
[[ $got == "classifyd $ver "* ]] || fail "classifyd version: $got, want $ver"

say "man classifyd"
[ -f /usr/share/man/man1/classifyd.1.gz ] || fail "no /usr/share/man/man1/classifyd.1.gz (a dpkg path-exclude for /usr/share/man?)"
page=$(MANWIDTH=80 man -P cat -l /usr/share/man/man1/classifyd.1.gz 2>&1) || fail "man -l: $page"
grep -q 'classifyd - sort a drop folder by document type' <<<"$page" || fail "the man page has no NAME line"
for c in run once classify eval rules serve status undo retry version man completion; do
  grep -q "^   classifyd $c\$" <<<"$page" || fail "the man page has no section for classifyd $c"
done
page=$(MANWIDTH=80 man -P cat classifyd 2>&1) || fail "man classifyd: $page"
say "man classifyd: $(wc -l <<<"$page") lines"
bash -n /usr/share/bash-completion/completions/classifyd || fail "bash completion"

say "the user classifyd reads its config"
runuser -u classifyd -- cat /etc/classifyd/classifyd.yaml >/dev/null || fail "classifyd cannot read /etc/classifyd/classifyd.yaml"
runuser -u classifyd -- test ! -r /etc/shadow || fail "runuser did not drop privileges"

say "classifyd once as classifyd (UMask=0002, as in the unit): examples/inbox → /srv/classifyd/sorted"
cp examples/inbox/* /srv/classifyd/inbox/
n=$(ls examples/inbox | wc -l)
out=$(cd /var/lib/classifyd && runuser -u classifyd -- sh -c 'umask 0002 && exec classifyd once --quiet --config /etc/classifyd/classifyd.yaml' 2>&1) || fail "classifyd once: $out"
echo "$out"
grep -q "filed $n, failed 0" <<<"$out" || fail "classifyd once did not file $n files"
[ -z "$(ls -A /srv/classifyd/inbox)" ] || fail "files left in the inbox: $(ls -A /srv/classifyd/inbox)"
filed=$(find /srv/classifyd/sorted -type f ! -name _journal.jsonl | wc -l)
[ "$filed" = "$n" ] || fail "$filed files under /srv/classifyd/sorted, want $n"
[ -z "$(ls -A /srv/classifyd/sorted/_failed)" ] || fail "files failed: $(ls /srv/classifyd/sorted/_failed)"
while read -r d; do
  mode "$d" "classifyd:classifyd 2775"
done < <(find /srv/classifyd/sorted -mindepth 1 -type d)
[ "$(stat -c %U:%G /var/lib/classifyd/classifyd.db)" = classifyd:classifyd ] || fail "the state file is not the user classifyd's"

say "a member of the group classifyd (not the user) corrects a filing"
f=$(find /srv/classifyd/sorted/receipt -type f | head -1)
[ -n "$f" ] || fail "nothing filed under receipt/"
setpriv --reuid=nobody --regid=nogroup --groups=classifyd mv "$f" /srv/classifyd/sorted/invoice/ || fail "the group cannot move $f to invoice/"
setpriv --reuid=nobody --regid=nogroup --groups=classifyd mv "/srv/classifyd/sorted/invoice/${f##*/}" "$f" || fail "the group cannot move it back"

say "dpkg -i again (an upgrade): an admin's config and folder modes are kept"
echo "# edited by check.sh" >>/etc/classifyd/classifyd.yaml
chmod 2775 /srv/classifyd/inbox
dpkg -i "$deb" >/dev/null
grep -q '^# edited by check.sh$' /etc/classifyd/classifyd.yaml || fail "the reinstall replaced the edited config"
mode /srv/classifyd/inbox "classifyd:classifyd 2775"

say "dpkg -r: the state, the documents and the config stay"
dpkg -r classifyd
[ ! -e /usr/bin/classifyd ] || fail "dpkg -r left /usr/bin/classifyd"
[ -f /etc/classifyd/classifyd.yaml ] || fail "dpkg -r removed the config"
[ -f /var/lib/classifyd/classifyd.db ] || fail "dpkg -r removed the state"
filed=$(find /srv/classifyd/sorted -type f ! -name _journal.jsonl | wc -l)
[ "$filed" = "$n" ] || fail "dpkg -r left $filed of $n filed documents"

say "dpkg -P: the config goes, the state and the documents stay"
dpkg -P classifyd
[ ! -e /etc/classifyd ] || fail "dpkg -P left /etc/classifyd"
[ -f /var/lib/classifyd/classifyd.db ] || fail "dpkg -P removed the state"
filed=$(find /srv/classifyd/sorted -type f ! -name _journal.jsonl | wc -l)
[ "$filed" = "$n" ] || fail "dpkg -P left $filed of $n filed documents"

echo "Debian package OK ($ver)"
