"""`make run` on a fresh machine: every library Qt's X11 plugin lacks, with the apt-get line."""

from artdesk import platform_check as pc

LDD = """\tlinux-vdso.so.1 (0x00007ffd)
\tlibQt6XcbQpa.so.6 => /venv/PySide6/Qt/lib/libQt6XcbQpa.so.6 (0x00007f)
\tlibxcb-cursor.so.0 => /lib/x86_64-linux-gnu/libxcb-cursor.so.0 (0x00007f)
\tlibxcb-icccm.so.4 => not found
\tlibxcb-keysyms.so.1 => not found
\tlibxkbcommon-x11.so.0 => not found
"""


def test_the_missing_libraries_and_their_packages_are_named():
    missing = pc.missing_from_ldd(LDD)
    assert missing == ["libxcb-icccm.so.4", "libxcb-keysyms.so.1", "libxkbcommon-x11.so.0"]
    text = pc.advice(missing)
    assert "sudo apt-get install libxcb-icccm4 libxcb-keysyms1 libxkbcommon-x11-0" in text
    assert "libxcb-cursor" not in text  # installed: Qt's own message named it, wrongly
    assert pc.package_for("libX11-xcb.so.1") == "libx11-xcb1"
    assert pc.package_for("libdbus-1.so.3") == "libdbus-1-3"


def test_only_the_x11_plugin_is_checked():
    assert pc.uses_xcb({}) and pc.uses_xcb({"QT_QPA_PLATFORM": "xcb"})
    assert not pc.uses_xcb({"QT_QPA_PLATFORM": "offscreen"})
    assert not pc.uses_xcb({"WAYLAND_DISPLAY": "wayland-0"})


def test_this_machine_is_checked_with_ldd(monkeypatch):
    calls = []

    def fake_run(argv, **kwargs):
        calls.append(argv)

        class Done:
            stdout = LDD
        return Done()

    monkeypatch.setattr(pc.subprocess, "run", fake_run)
    if pc.xcb_plugin() is None or pc.shutil.which("ldd") is None:
        assert pc.missing_qt_libraries() == []
        return
    assert pc.missing_qt_libraries() == ["libxcb-icccm.so.4", "libxcb-keysyms.so.1", "libxkbcommon-x11.so.0"]
    assert calls and calls[0][1].endswith("libqxcb.so")
