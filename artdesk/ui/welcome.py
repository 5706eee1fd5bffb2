"""The first run and the sample documents: a welcome canvas with a short guide, and one sample
per engine (resources/samples/*.artdesk, made by packaging/make_samples.py).

Samples open as new, untitled documents, so Save never writes into the installed resources.
The first run is remembered in the window's QSettings ("first_run_done"; in ARTDESK_USER_DATA
when that is set); the window itself never looks at it: the app's start-up
(artdesk.ui.app.open_startup_document) decides, after crash recovery and after a file asked for
on the command line.
"""

from __future__ import annotations

import logging
from pathlib import Path

from artdesk.document.project import EXTENSION, ProjectFileError, load_project
from artdesk.paths import resources_dir

log = logging.getLogger("artdesk.welcome")

FIRST_RUN_KEY = "first_run_done"
WELCOME = "welcome"
# (file stem, menu label): one sample per engine, in the order of the Generate tabs
SAMPLES = [
    ("doodle", "&Doodle — sheep drawn by sketch-rnn"),
    ("zentangle", "&Zentangle — shapes filled with tangles"),
    ("portrait", "&Portraits — faces from the KaoKore GAN"),
    ("bauhaus", "&Bauhaus — a Kandinsky Markov-chain painting"),
]


def samples_dir() -> Path:
    return resources_dir() / "samples"


def sample_path(name: str) -> Path:
    return samples_dir() / f"{name}{EXTENSION}"


def open_sample(window, name: str) -> bool:
    """Open a shipped sample as a new untitled document (asks to save the current one first)."""
    path = sample_path(name)
    if not window.maybe_save():
        return False
    try:
        doc = load_project(path)
    except ProjectFileError as exc:
        window.show_error("Cannot open the sample", f"{exc} Reinstall ArtDesk to get the samples back.")
        return False
    window.set_document(doc, None)
    title = doc.metadata.get("title") or name
    window.statusBar().showMessage(f"Opened the sample “{title}”; Save As keeps your own copy.", 6000)
    log.info("opened sample %s", path)
    return True


def show_welcome(window) -> bool:
    """Help > Welcome guide, and the first run: the welcome canvas."""
    return open_sample(window, WELCOME)


def is_first_run(settings) -> bool:
    return settings.value(FIRST_RUN_KEY, False) not in (True, "true", "1", 1)


def first_run(window) -> bool:
    """On the very first start, show the welcome canvas (once). True if it was shown."""
    if not is_first_run(window.settings):
        return False
    window.settings.setValue(FIRST_RUN_KEY, True)
    window.settings.sync()
    return show_welcome(window)
