"""The Doodle engine's defaults, shared by the tab, the CLI's help and the engine. Plain numbers
with no imports, so that `artdesk doodle --help` builds its parser without loading the engine."""

CANDIDATES = 9
APP_TEMPERATURE = 0.25  # the Doodle tab's and the CLI's default temperature
PICK_FROM = 3  # "Pick the clearest": draw this many candidates for each cell of the grid
PICK_DEFAULT = True  # the tab picks unless the user turned it off; the CLI does the same
MORPH_STEPS = 10
