"""ArtDesk: a desktop painting app where data-science models draw with you."""

__version__ = "0.1.0"

# The reverse-DNS id of the desktop app: the .desktop file, the AppStream metainfo, the icon
# names and the Wayland app id all use it (packaging/).
APP_ID = "io.github.artdesk.ArtDesk"

# The print page every engine and export aims at: the T-shirt (Merch) PNG, 15 x 18 in at 300 dpi.
PRINT_SIZE = (4500, 5400)
