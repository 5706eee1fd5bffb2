#!/usr/bin/env bash
# Register ArtDesk with the Linux desktop: the menu entry (.desktop), the AppStream metainfo, the
# application/x-artdesk MIME type (*.artdesk opens in ArtDesk) and the icons (hicolor theme).
#
#   bash packaging/install_desktop.sh                                 # for `artdesk` on PATH, into ~/.local
#   bash packaging/install_desktop.sh --exec "$PWD/dist/ArtDesk/artdesk"   # for the bundle
#   bash packaging/install_desktop.sh --prefix /usr/local             # system-wide (as root)
#
# (`pip install --user .` installs the same files under ~/.local/share by itself.)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
APP_ID=io.github.artdesk.ArtDesk
PREFIX="${XDG_DATA_HOME:-$HOME/.local/share}"
PREFIX="${PREFIX%/share}"
EXEC=artdesk
while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) PREFIX="$2"; shift 2;;
        --exec) EXEC="$2"; shift 2;;
        -h|--help) sed -n '2,10p' "$0"; exit 0;;
        *) echo "install_desktop: unknown option $1" >&2; exit 2;;
    esac
done
SHARE="$PREFIX/share"
case "$EXEC" in *" "*) EXEC_Q="\"$EXEC\"";; *) EXEC_Q="$EXEC";; esac

install -d "$SHARE/applications" "$SHARE/metainfo" "$SHARE/mime/packages"
sed -e "s|^Exec=artdesk |Exec=$EXEC_Q |" -e "s|^TryExec=artdesk$|TryExec=$EXEC|" \
    "$ROOT/packaging/$APP_ID.desktop" > "$SHARE/applications/$APP_ID.desktop"
install -m 644 "$ROOT/packaging/$APP_ID.metainfo.xml" "$SHARE/metainfo/$APP_ID.metainfo.xml"
install -m 644 "$ROOT/packaging/artdesk-mime.xml" "$SHARE/mime/packages/artdesk-mime.xml"
for dir in "$ROOT"/resources/icons/hicolor/*/apps; do
    size="$(basename "$(dirname "$dir")")"
    install -d "$SHARE/icons/hicolor/$size/apps"
    install -m 644 "$dir"/"$APP_ID".* "$SHARE/icons/hicolor/$size/apps/"
done

# Refresh the caches where the tools are there (a desktop without them rescans by itself).
command -v update-mime-database >/dev/null && update-mime-database "$SHARE/mime" || true
command -v update-desktop-database >/dev/null && update-desktop-database -q "$SHARE/applications" || true
command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q -t -f "$SHARE/icons/hicolor" || true
echo "install_desktop: ArtDesk registered under $SHARE (runs: $EXEC)"
