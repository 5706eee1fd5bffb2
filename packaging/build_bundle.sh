#!/usr/bin/env bash
# Build ArtDesk as a one-folder app (dist/ArtDesk/, packaging/artdesk.spec) and smoke-test the
# bundle headless: --version, `artdesk selftest` (models, each engine, the window offscreen,
# strokes, a T-shirt PNG export) and a CLI export of a sample document.
#
#   bash packaging/build_bundle.sh            # or: make bundle
#   BUNDLE_VENV=/tmp/venv-pkg bash packaging/build_bundle.sh
#   bash packaging/build_bundle.sh --smoke-only   # test an existing dist/ArtDesk
#
# The build runs in its own venv (default build/venv-bundle, made on first use) with only the
# app's runtime dependencies and PyInstaller: never torch or the training extras.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3}"
VENV="${BUNDLE_VENV:-$ROOT/build/venv-bundle}"
DIST="$ROOT/dist"
BUNDLE="$DIST/ArtDesk"
SMOKE_ONLY=0
[ "${1:-}" = "--smoke-only" ] && SMOKE_ONLY=1

fail() { echo "build_bundle: FAILED: $*" >&2; exit 1; }

if [ ! -x "$VENV/bin/pyinstaller" ]; then
    echo "== making the build venv $VENV"
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --upgrade pip
    "$VENV/bin/pip" install --quiet -e "$ROOT" pyinstaller
fi
if "$VENV/bin/python" -c "import torch" 2>/dev/null; then
    fail "$VENV has torch installed; build the bundle from a venv with only the app's dependencies"
fi

if [ "$SMOKE_ONLY" = 0 ]; then
    echo "== building $BUNDLE"
    start=$(date +%s)
    "$VENV/bin/pyinstaller" --noconfirm --clean --log-level WARN \
        --distpath "$DIST" --workpath "$ROOT/build/pyinstaller" "$ROOT/packaging/artdesk.spec"
    echo "built in $(( $(date +%s) - start )) s"
fi
[ -x "$BUNDLE/artdesk" ] || fail "$BUNDLE/artdesk is missing"

echo "== bundle: $(du -sh "$BUNDLE" | cut -f1) in $(find "$BUNDLE" -type f | wc -l) files"
if find "$BUNDLE" -iname '*torch*' | grep -q .; then
    fail "the bundle contains torch"
fi

# Run the bundle the way a user would: from elsewhere, with no hint where the checkout is, and
# with user folders of its own.
SMOKE="$(mktemp -d -t artdesk-smoke-XXXXXX)"
trap 'rm -rf "$SMOKE"' EXIT
run() {
    (cd "$SMOKE" && env -u ARTDESK_MODELS -u ARTDESK_RESOURCES -u PYTHONPATH \
        QT_QPA_PLATFORM=offscreen ARTDESK_USER_DATA="$SMOKE/userdata" ARTDESK_USER_LOG="$SMOKE/logs" \
        XDG_CONFIG_HOME="$SMOKE/config" "$BUNDLE/artdesk" "$@")
}

echo "== artdesk --version"
version="$(run --version)"
echo "$version"
case "$version" in "ArtDesk "*) ;; *) fail "--version said '$version'";; esac

echo "== artdesk selftest"
run selftest --out "$SMOKE/selftest.png" | tee "$SMOKE/selftest.log"
grep -q "^models: $BUNDLE/" "$SMOKE/selftest.log" || fail "the bundle did not use its own models/"
grep -q "^selftest: all" "$SMOKE/selftest.log" || fail "selftest"

echo "== artdesk export (CLI)"
run export "$ROOT/resources/samples/zentangle.artdesk" --out "$SMOKE/zentangle-shirt.png"
"$VENV/bin/python" -c "import sys; from artdesk.selftest import check_tshirt_png; print(check_tshirt_png(sys.argv[1]))" \
    "$SMOKE/zentangle-shirt.png" || fail "the CLI export is not a T-shirt PNG"

echo "build_bundle: OK: $BUNDLE ($(du -sh "$BUNDLE" | cut -f1))"
