#!/usr/bin/env bash
# Put qagen-desktop in this user's applications menu (no root needed), or take it out again.
#
#   install.sh                         the bundle this script sits in, else qagen-desktop on PATH
#   install.sh PATH/TO/qagen-desktop   a given executable (a built bundle, a venv's script)
#   install.sh --uninstall             remove the menu entry and the icons
#
# Writes $XDG_DATA_HOME/applications/qagen-desktop.desktop and the icons under
# $XDG_DATA_HOME/icons/hicolor/ ($XDG_DATA_HOME defaults to ~/.local/share).
set -euo pipefail

app=qagen-desktop
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
data_home="${XDG_DATA_HOME:-$HOME/.local/share}"
applications="$data_home/applications"
hicolor="$data_home/icons/hicolor"
sizes=(16 24 32 48 64 128 256 512)

die() {
    echo "install.sh: $*" >&2
    exit 1
}

refresh_caches() {
    # Menus pick up changes without these; they only speed things up where the tools exist.
    if command -v update-desktop-database >/dev/null 2>&1; then
        update-desktop-database -q "$applications" 2>/dev/null || true
    fi
    if command -v gtk-update-icon-cache >/dev/null 2>&1 && [ -f "$hicolor/index.theme" ]; then
        gtk-update-icon-cache -q -t "$hicolor" 2>/dev/null || true
    fi
}

uninstall() {
    rm -f "$applications/$app.desktop"
    for size in "${sizes[@]}"; do
        rm -f "$hicolor/${size}x${size}/apps/$app.png"
    done
    rm -f "$hicolor/scalable/apps/$app.svg"
    refresh_caches
    echo "Removed $app from the applications menu."
}

# Quote a path for the Exec key (Desktop Entry Specification, "The Exec key").
exec_quote() {
    local path="$1"
    if [[ "$path" =~ ^[A-Za-z0-9_./+-]+$ ]]; then
        printf '%s' "$path"
        return
    fi
    path="${path//\\/\\\\}"
    path="${path//\"/\\\"}"
    path="${path//\`/\\\`}"
    path="${path//\$/\\\$}"
    # The value itself is a string whose backslashes are escaped once more.
    path="${path//\\/\\\\}"
    printf '"%s"' "$path"
}

find_icons() {
    # A PyInstaller bundle, then a source checkout, then the installed Python package.
    local exe="$1" candidate python
    for candidate in "$(dirname "$exe")/_internal/qagen_desktop/resources" "$here/../../resources"; do
        if [ -f "$candidate/icons/$app-48.png" ]; then
            (cd "$candidate" && pwd)
            return
        fi
    done
    python="$(head -n 1 "$exe" 2>/dev/null | sed -n 's/^#!\([^ ]*python[^ ]*\).*/\1/p')" || true
    if [ -n "$python" ] && [ -x "$python" ]; then
        candidate="$("$python" -c 'import importlib.resources as r; print(r.files("qagen_desktop.resources"))' 2>/dev/null)" || true
        if [ -n "$candidate" ] && [ -f "$candidate/icons/$app-48.png" ]; then
            printf '%s\n' "$candidate"
            return
        fi
    fi
    die "cannot find the icons of $exe; run this script from a source checkout or a built bundle."
}

install() {
    local exe="${1:-}"
    if [ -z "$exe" ]; then
        if [ -x "$here/$app" ] && [ -f "$here/$app" ]; then
            exe="$here/$app"
        else
            exe="$(command -v "$app" || true)"
        fi
    fi
    [ -n "$exe" ] || die "$app is not on PATH: install it (pipx install .) or pass the path of its executable."
    [ -f "$exe" ] && [ -x "$exe" ] || die "$exe is not an executable file."
    exe="$(cd "$(dirname "$exe")" && pwd)/$(basename "$exe")"

    local template="$here/$app.desktop"
    [ -f "$template" ] || die "missing $template next to this script."
    local resources
    resources="$(find_icons "$exe")"

    mkdir -p "$applications" "$hicolor/scalable/apps"
    for size in "${sizes[@]}"; do
        mkdir -p "$hicolor/${size}x${size}/apps"
        cp "$resources/icons/$app-$size.png" "$hicolor/${size}x${size}/apps/$app.png"
    done
    cp "$resources/$app.svg" "$hicolor/scalable/apps/$app.svg"

    local quoted entry
    quoted="$(exec_quote "$exe")"
    entry="$applications/$app.desktop"
    # The menu may not share the shell's PATH (~/.local/bin is often missing), so the entry
    # names the executable by its full path.
    while IFS= read -r line || [ -n "$line" ]; do
        case "$line" in
            Exec=*) printf 'Exec=%s\n' "$quoted" ;;
            TryExec=*) printf 'TryExec=%s\n' "$exe" ;;
            *) printf '%s\n' "$line" ;;
        esac
    done <"$template" >"$entry.tmp"
    mv "$entry.tmp" "$entry"
    chmod 644 "$entry"
    refresh_caches
    echo "Added $app to the applications menu ($entry, runs $exe)."
}

case "${1:-}" in
    --uninstall) uninstall ;;
    -h | --help) sed -n '2,10s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" ;;
    -*) die "unknown option $1 (use --uninstall or --help)." ;;
    *) install "${1:-}" ;;
esac
