#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Install into a temporary root (meson install --destdir): the CLI, the
# library with its soname links, header, pkg-config file, bash completion
# and a man page for every command; then build the example toolstack
# client against that copy through pkg-config alone and run it.
. "$(dirname "$0")/common"
SRC=$(cd "$(dirname "$0")/.." && pwd)
command -v pkg-config >/dev/null || skip "pkg-config is not installed"

meson install -C "$NDX_BUILD" --destdir "$TMP/root" --no-rebuild > "$TMP/install.log"
pc=$(find "$TMP/root" -name libndctl-xen.pc)
check "pkg-config file installed" test -n "$pc"
check "header installed" test -n "$(find "$TMP/root" -path '*include/ndctl/libndctl-xen.h')"
lib=$(find "$TMP/root" -name 'libndctl-xen.so.1' -print -quit)
check "library installed with its soname link" test -n "$lib"
libdir=$(dirname "$lib")
check "libndctl-xen.so.1 -> libndctl-xen.so.1.0.0" test "$(readlink "$libdir/libndctl-xen.so.1")" = libndctl-xen.so.1.0.0
check "libndctl-xen.so -> libndctl-xen.so.1" test "$(readlink "$libdir/libndctl-xen.so")" = libndctl-xen.so.1
check "installed library's soname is libndctl-xen.so.1" sh -c \
	"objdump -p '$libdir/libndctl-xen.so.1.0.0' | grep -q 'SONAME *libndctl-xen.so.1$'"
bin=$(find "$TMP/root" -path '*/bin/ndctl-xen' -print -quit)
check "ndctl-xen installed" test -x "$bin"
version=$("$NDX" --version)
check "installed ndctl-xen runs against the installed library" \
	test "$(LD_LIBRARY_PATH=$libdir "$bin" --version)" = "$version"
comp=$(find "$TMP/root" -path '*/bash-completion/completions/ndctl-xen' -print -quit)
check "bash completion installed" test -n "$comp"
check "bash completion is contrib's" cmp -s "$comp" "$SRC/contrib/bash-completion/ndctl-xen"
unit=$(find "$TMP/root" -path '*/systemd/system/ndctl-xen-recover.service' -print -quit)
check "the boot unit ndctl-xen-recover.service installed" test -n "$unit"
if [ -n "$unit" ]; then
	check "the unit runs the installed ndctl-xen recover" grep -qx \
		"ExecStart=${bin#"$TMP/root"} recover" "$unit"
	if command -v systemd-analyze > /dev/null; then
		# verify it as installed: ExecStart pointed at the copy in the root
		sed "s|^ExecStart=.*|ExecStart=$bin recover|; /^Documentation=/d" "$unit" > "$TMP/ndctl-xen-recover.service"
		check "systemd-analyze verify accepts the unit" sh -c \
			"systemd-analyze verify '$TMP/ndctl-xen-recover.service' 2>&1 | grep -v 'not found\|No such file' | grep . && exit 1 || exit 0"
	else
		echo "install: systemd-analyze not installed: the unit's syntax not verified"
	fi
fi
# a region that appears after boot (CXL, after cxl create-region): the
# udev rule starts recover on that region (ndctl-xen-recover@REGION)
tmpl=$(find "$TMP/root" -path '*/systemd/system/ndctl-xen-recover@.service' -print -quit)
rule=$(find "$TMP/root" -path '*/udev/rules.d/90-ndctl-xen-recover.rules' -print -quit)
check "the per-region unit ndctl-xen-recover@.service installed" test -n "$tmpl"
check "the udev rule 90-ndctl-xen-recover.rules installed" test -n "$rule"
if [ -n "$tmpl" ] && [ -n "$rule" ]; then
	check "the per-region unit runs the installed ndctl-xen recover on its region" grep -qx \
		"ExecStart=${bin#"$TMP/root"} recover -r %I" "$tmpl"
	check "the rule starts it for every nd region added" grep -qx \
		'ACTION=="add", SUBSYSTEM=="nd", KERNEL=="region\[0-9\]\*", TAG+="systemd", ENV{SYSTEMD_WANTS}+="ndctl-xen-recover@%k.service"' "$rule"
	check "the per-region unit runs after the boot unit" grep -q '^After=ndctl-xen-recover.service' "$tmpl"
	if command -v systemd-analyze > /dev/null; then
		sed "s|^ExecStart=.*|ExecStart=$bin recover -r %I|; /^Documentation=/d" "$tmpl" > "$TMP/ndctl-xen-recover@.service"
		check "systemd-analyze verify accepts an instance of the per-region unit" sh -c \
			"cd '$TMP' && systemd-analyze verify 'ndctl-xen-recover@region0.service' 2>&1 | grep -v 'not found\|No such file' | grep . && exit 1 || exit 0"
	fi
fi

# a man page for the tool, the library, the format and every command of
# the command table: ndctl-xen-CMD(1), or ndctl-CMD-xen(1) as ndctl names it
if [ -e "$NDX_BUILD/Documentation/ndctl-xen.1" ]; then
	mandir=$(dirname "$(dirname "$(find "$TMP/root" -name ndctl-xen.1 -print -quit)")")
	check "man page ndctl-xen(1) installed" test -s "$mandir/man1/ndctl-xen.1"
	check "man page libndctl-xen(3) installed" test -s "$mandir/man3/libndctl-xen.3"
	check "man page ndctl-xen-pfn-reserve-format(7) installed" \
		test -s "$mandir/man7/ndctl-xen-pfn-reserve-format.7"
	for cmd in $("$NDX" --list-cmds); do
		page=
		[ -s "$mandir/man1/ndctl-xen-$cmd.1" ] && page=ndctl-xen-$cmd
		check "man page for command '$cmd' installed (ndctl-xen-$cmd(1))" test -n "$page"
		if [ -n "$page" ] && command -v man > /dev/null; then
			check "man -w finds $page" sh -c "man -M '$mandir' -w '$page' > /dev/null"
		fi
	done
	check "the old page name ndctl-create-namespace-xen(1) is a link to the new one" \
		grep -qx '.so man1/ndctl-xen-create-namespace.1' "$mandir/man1/ndctl-create-namespace-xen.1"
	if command -v man > /dev/null; then
		check "man opens the old name" sh -c "man -M '$mandir' ndctl-create-namespace-xen 2>/dev/null |
			grep -q ndctl-xen-create-namespace"
	fi
else
	echo "install: man pages not built in this build (docs disabled): not checked"
fi
export PKG_CONFIG_SYSROOT_DIR="$TMP/root" PKG_CONFIG_PATH
PKG_CONFIG_PATH=$(dirname "$pc")
check "pkg-config version is the project's, --version's after +xen ($version)" \
	test "$version" = "$(pkg-config --modversion libndctl)+xen$(pkg-config --modversion libndctl-xen)"
flags=$(pkg-config --cflags --libs libndctl-xen)
# a sanitizer build's library needs its runtime first in the program
if ldd "$lib" | grep libasan > /dev/null; then flags="-fsanitize=address,undefined $flags"; fi
check "pkg-config points into the install root" sh -c "echo '$flags' | grep -q -- '-I$TMP/root'"
check "example builds with pkg-config alone" \
	cc -Wall -Wextra -Werror "$SRC/examples/xen-toolstack.c" $flags -o "$TMP/xen-toolstack"
LD_LIBRARY_PATH=$(dirname "$lib") "$TMP/xen-toolstack" > "$TMP/out"
check "example runs and reports" grep -Eq '^[0-9]+ namespaces? reserved for the hypervisor$' "$TMP/out"
check "example uses the installed library" sh -c \
	"LD_LIBRARY_PATH='$(dirname "$lib")' ldd '$TMP/xen-toolstack' | grep -q '$TMP/root'"
finish
