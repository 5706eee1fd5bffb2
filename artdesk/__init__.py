"""ArtDesk: a desktop painting app where data-science models draw with you."""

__version__ = "0.1.0"
