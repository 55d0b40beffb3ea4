#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Install into a temporary root (meson install --destdir), then build the
# example toolstack client against that copy through pkg-config alone and
# run it.
. "$(dirname "$0")/common"
SRC=$(cd "$(dirname "$0")/.." && pwd)
command -v pkg-config >/dev/null || skip "pkg-config is not installed"

meson install -C "$NDX_BUILD" --destdir "$TMP/root" --no-rebuild > "$TMP/install.log"
pc=$(find "$TMP/root" -name libndctl-xen.pc)
check "pkg-config file installed" test -n "$pc"
check "header installed" test -n "$(find "$TMP/root" -path '*include/ndctl/libndctl-xen.h')"
lib=$(find "$TMP/root" -name 'libndctl-xen.so.1' -print -quit)
check "library installed with its soname link" test -n "$lib"
if [ -e "$NDX_BUILD/Documentation/ndctl-create-namespace-xen.1" ]; then
	check "man page ndctl-create-namespace-xen(1) installed" \
		test -n "$(find "$TMP/root" -name 'ndctl-create-namespace-xen.1')"
else
	echo "install: man pages not built in this build (docs disabled): not checked"
fi
export PKG_CONFIG_SYSROOT_DIR="$TMP/root" PKG_CONFIG_PATH
PKG_CONFIG_PATH=$(dirname "$pc")
flags=$(pkg-config --cflags --libs libndctl-xen)
# a sanitizer build's library needs its runtime first in the program
if ldd "$lib" | grep libasan > /dev/null; then flags="-fsanitize=address,undefined $flags"; fi
check "pkg-config points into the install root" sh -c "echo '$flags' | grep -q -- '-I$TMP/root'"
check "example builds with pkg-config alone" \
	cc -Wall -Wextra -Werror "$SRC/examples/xen-toolstack.c" $flags -o "$TMP/xen-toolstack"
LD_LIBRARY_PATH=$(dirname "$lib") "$TMP/xen-toolstack" > "$TMP/out"
check "example runs and reports" grep -Eq '^[0-9]+ reserved namespaces?$' "$TMP/out"
check "example uses the installed library" sh -c \
	"LD_LIBRARY_PATH='$(dirname "$lib")' ldd '$TMP/xen-toolstack' | grep -q '$TMP/root'"
finish
