#!/bin/sh
# House style checks: no banned C functions, and clang-format's layout.
set -u
cd "$(dirname "$0")/.."
files=$(git ls-files '*.c' '*.h' 2>/dev/null)
[ -n "$files" ] || files=$(find include lib src tests bench fuzz -name '*.[ch]' 2>/dev/null)
status=0
banned='\b(sprintf|vsprintf|strcpy|strcat|atoi|atol|atof|gets|strtok|tmpnam)[[:space:]]*\('
if grep -nE "$banned" $files; then
	echo "style: banned functions above (use snprintf, ds_strlcpy, ds_buf, strtol, strtok_r, mkstemp)" >&2
	status=1
fi
if command -v clang-format >/dev/null 2>&1; then
	if ! clang-format --dry-run --Werror $files 2>/tmp/doorstep-format.$$; then
		head -40 /tmp/doorstep-format.$$ >&2
		echo "style: layout differs from .clang-format (run 'make format')" >&2
		status=1
	fi
	rm -f /tmp/doorstep-format.$$
fi
[ $status -eq 0 ] && echo "style: ok"
exit $status
