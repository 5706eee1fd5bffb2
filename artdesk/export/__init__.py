"""Getting pictures out: print PNG presets, SVG, Quick, Draw! ndjson, OpenRaster."""
