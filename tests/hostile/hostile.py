"""A seeded corpus of hostile files for the four loader families, and a runner that measures them.

Families and their loaders (each must return normally or raise its own error type, nothing else):
- project: artdesk.document.project.load_project -> ProjectFileError
- image:   artdesk.document.imports.import_file (PNG/JPEG/WebP names) -> ImportFailed
- drawing: import_file and count_drawings on .ndjson / .npz -> ImportFailed
- model:   artdesk.engines.doodle.load_doodle_model (.gen.json, ArtDesk descriptions) and
           artdesk.engines.bauhaus.load_chain (.npz) -> ModelError

Every case starts from a valid file made here (no shared data needed) and breaks it: byte flips
and truncation, hostile JSON values (NaN, 1e400, strings for numbers, "false" for false, nesting
3,000 deep), zip tricks (duplicate, encrypted, unknown compression, damaged deflate, bombs),
foreign formats under a trusted name (EPS that would run Ghostscript, TIFF, BMP, GIF), pickles
that would run code, headers that claim gigabytes.

`python tests/hostile/hostile.py --cases 1200` runs a corpus with a 10 s alarm per case, the peak memory
of each case (Linux), and every way of starting a program patched to record and refuse, and
prints the counts. tests/hostile/test_fuzz.py runs a smaller corpus in CI.
"""

from __future__ import annotations

import base64
import io
import json
import math
import os
import random
import struct
import sys
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

MARKER = Path("/tmp") / f"artdesk_hostile_marker_{os.getpid()}"
FAMILIES = ("project", "image", "drawing", "model")


@dataclass
class Case:
    family: str
    label: str
    name: str  # file name (its suffix picks the loader)
    data: bytes | None  # None: a special file (see `special`)
    special: str = ""  # "fifo", "dir"


# -- hostile values ------------------------------------------------------------------------------
DEEP = "__DEEP__"
BIG_INT = "__BIGINT__"


def hostile_values(rng: random.Random) -> list:
    return [math.nan, math.inf, -math.inf, 1e308, -1e308, 1e30, -5, 0, -1, 2 ** 63, 10 ** 30, BIG_INT, DEEP,
            "x", "", "false", "true", "1.5", "#zzzzzz", "red", "A" * rng.choice([10, 5000]), True, False, None,
            [], {}, [True, 123], [1e308, -1e308], [[1, 2], [3, 4]], {"a": [1, 2]}, [math.nan] * 4,
            list(range(rng.choice([3, 5, 100]))), 0.5, 100, 1e-320]


def dumps(obj) -> bytes:
    text = json.dumps(obj)
    text = text.replace(f'"{DEEP}"', "[" * 3000 + "]" * 3000)
    text = text.replace(f'"{BIG_INT}"', "1" + "0" * 400)
    return text.encode()


def mutate_json(obj, rng: random.Random, rounds: int = 1):
    """Replace a random node (or a key's value) with a hostile value, or drop/duplicate one."""
    obj = json.loads(json.dumps(obj))
    for _ in range(rounds):
        path = []
        node = obj
        while isinstance(node, (dict, list)) and node and rng.random() < 0.8:
            key = rng.choice(list(node)) if isinstance(node, dict) else rng.randrange(len(node))
            path.append(key)
            node = node[key]
        if not path:
            return rng.choice(hostile_values(rng))
        parent = obj
        for key in path[:-1]:
            parent = parent[key]
        r = rng.random()
        if r < 0.75:
            parent[path[-1]] = rng.choice(hostile_values(rng))
        elif r < 0.85:
            del parent[path[-1]]
        elif isinstance(parent, list):
            parent.extend([parent[path[-1]]] * rng.choice([2, 50]))
        else:
            parent[path[-1]] = [parent[path[-1]]]
    return obj


def flip_bytes(data: bytes, rng: random.Random, n: int | None = None) -> bytes:
    b = bytearray(data)
    for _ in range(n or rng.choice([1, 2, 8, 64])):
        if b:
            b[rng.randrange(len(b))] = rng.randrange(256)
    return bytes(b)


def truncate(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(max(1, len(data)))]


# -- foreign formats -----------------------------------------------------------------------------
def eps_bytes() -> bytes:
    """PostScript that would write a file if anything ran it (Ghostscript via Pillow's EPS plugin)."""
    return (b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n"
            + f"({MARKER}) (w) file closefile\n".encode() + b"{ } loop\nshowpage\n%%EOF\n")


def pil_bytes(fmt: str, size=(16, 12), mode="RGBA") -> bytes:
    from PIL import Image

    im = Image.new(mode, size, (200, 30, 30, 255) if mode == "RGBA" else (200, 30, 30))
    buf = io.BytesIO()
    im.save(buf, fmt)
    return buf.getvalue()


def png_with_size(w: int, h: int) -> bytes:
    raw = pil_bytes("PNG", (4, 4))
    ihdr = struct.pack(">II", w, h) + raw[24:29]
    crc = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr) & 0xFFFFFFFF)
    return raw[:16] + ihdr + crc + raw[33:]


def foreign_image(rng: random.Random) -> tuple[str, bytes]:
    choices = [("eps", eps_bytes), ("tiff", lambda: pil_bytes("TIFF")), ("bmp", lambda: pil_bytes("BMP", mode="RGB")),
               ("gif", lambda: pil_bytes("GIF", mode="RGB")), ("ico", lambda: pil_bytes("ICO")),
               ("huge-png-header", lambda: png_with_size(100_000, 100_000)),
               ("43mpx-png-header", lambda: png_with_size(6000, 7200)),
               ("zero-png-header", lambda: png_with_size(0, 5)),
               ("random", lambda: bytes(rng.randrange(256) for _ in range(rng.choice([0, 10, 1000])))),
               ("pdf", lambda: b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"),
               ("svg", lambda: b"<svg xmlns='http://www.w3.org/2000/svg'/>")]
    label, make = rng.choice(choices)
    return label, make()


# -- zip surgery ---------------------------------------------------------------------------------
def zip_bytes(members: list[tuple[str, bytes, int]]) -> bytes:
    buf = io.BytesIO()
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # duplicate names on purpose
        with zipfile.ZipFile(buf, "w") as zf:
            for name, data, method in members:
                zf.writestr(zipfile.ZipInfo(name), data, compress_type=method)
    return buf.getvalue()


def patch_zip_headers(data: bytes, flag: int | None = None, method: int | None = None) -> bytes:
    b = bytearray(data)
    for sig, flag_at, method_at in ((b"PK\x03\x04", 6, 8), (b"PK\x01\x02", 8, 10)):
        start = 0
        while (i := b.find(sig, start)) >= 0:
            if flag is not None:
                b[i + flag_at: i + flag_at + 2] = struct.pack("<H", flag | struct.unpack("<H", b[i + flag_at: i + flag_at + 2])[0])
            if method is not None:
                b[i + method_at: i + method_at + 2] = struct.pack("<H", method)
            start = i + 4
    return bytes(b)


def damage_deflate(data: bytes, rng: random.Random) -> bytes:
    """Flip bytes inside the first deflated member's data (its headers stay intact)."""
    zf = zipfile.ZipFile(io.BytesIO(data))
    infos = [i for i in zf.infolist() if i.compress_type == zipfile.ZIP_DEFLATED and i.compress_size > 8]
    if not infos:
        return flip_bytes(data, rng)
    info = rng.choice(infos)
    b = bytearray(data)
    name_len, extra_len = struct.unpack("<HH", b[info.header_offset + 26: info.header_offset + 30])
    start = info.header_offset + 30 + name_len + extra_len
    for _ in range(rng.choice([1, 4, 16])):
        b[start + rng.randrange(info.compress_size)] ^= 0xFF
    return bytes(b)


# -- valid seeds ---------------------------------------------------------------------------------
def seed_document_json() -> tuple[dict, dict[str, bytes]]:
    doc = {"format": "artdesk-project", "version": 1, "width": 900, "height": 1080, "metadata": {"seed": 3},
           "layers": [
               {"id": "aaaaaaaaaaaa", "kind": "vector", "name": "Ink", "visible": True, "opacity": 1.0,
                "metadata": {}, "strokes": [
                    {"color": "#112233", "width": 6.0,
                     "points": [[100.0, 100.0, 0.5, 0.0], [200.0, 220.0, 0.7, 0.01], [260.0, 240.0, 1.0, 0.02]]},
                    {"color": "#000000", "width": 3.0, "points": [[10.0, 10.0, 1.0, 0.0]]},
                    {"color": "#202020", "width": 8.0, "closed": True, "fill": "#ffcc00", "outline": True,
                     "brush": "marker", "points": [[300.0, 300.0, 1.0, 0.0], [400.0, 300.0, 1.0, 0.0],
                                                   [350.0, 390.0, 1.0, 0.0]]}]},
               {"id": "bbbbbbbbbbbb", "kind": "raster", "name": "Photo", "visible": True, "opacity": 0.8,
                "metadata": {"source": "x.png"}, "image": "layers/bbbbbbbbbbbb.png",
                "rect": [10.0, 20.0, 300.0, 200.0], "resample": "smooth",
                "transform": [0.9, 0.2, -0.2, 0.9, 5.0, 7.0]},
               {"id": "cccccccccccc", "kind": "text", "name": "Slogan", "visible": True, "opacity": 1.0,
                "metadata": {}, "text": "STAY WEIRD", "font": "DejaVu Sans", "size": 72.0, "color": "#202020",
                "x": 100.0, "y": 700.0, "bold": True, "italic": False, "angle": 0.0}]}
    return doc, {"layers/bbbbbbbbbbbb.png": pil_bytes("PNG", (30, 20))}


def project_bytes(doc: dict, images: dict[str, bytes], extra: list | None = None) -> bytes:
    members = [("meta.json", b'{"app": "ArtDesk"}', zipfile.ZIP_DEFLATED),
               ("document.json", dumps(doc), zipfile.ZIP_DEFLATED)]
    members += [(name, data, zipfile.ZIP_STORED) for name, data in images.items()]
    return zip_bytes(members + (extra or []))


def seed_ndjson_record(rng: random.Random) -> dict:
    strokes = []
    for _ in range(rng.randint(1, 4)):
        n = rng.randint(1, 12)
        strokes.append([[rng.randint(0, 255) for _ in range(n)], [rng.randint(0, 255) for _ in range(n)],
                        list(range(0, 10 * n, 10))])
    return {"word": "cat", "countrycode": "FR", "recognized": True, "drawing": strokes}


def npy_object_bytes(items: list) -> bytes:
    arr = np.empty(len(items), dtype=object)
    for i, item in enumerate(items):
        arr[i] = item
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=True)
    return buf.getvalue()


def pickle_shape_claim(count: int) -> bytes:
    """An npy of 3 drawings whose pickle asks numpy for `count` objects (218 bytes asked for 3e8)."""
    raw = npy_object_bytes([np.zeros((2, 3), np.int16)] * 3)
    at = raw.index(b"K\x03\x85")  # BININT1 3, TUPLE1: the object array's shape inside the pickle
    return raw[:at] + b"J" + struct.pack("<i", min(count, 2 ** 31 - 1)) + raw[at + 2:]


class _RunsCode:
    """Unpickled, this would create the marker file."""

    def __reduce__(self):
        return (os.system, (f"touch {MARKER}",))


def seed_drawings(rng: random.Random, count: int = 3) -> list[np.ndarray]:
    out = []
    for _ in range(count):
        n = rng.randint(2, 20)
        d = np.zeros((n, 3), np.int16)
        d[:, :2] = np.array([[rng.randint(-30, 30), rng.randint(-30, 30)] for _ in range(n)])
        d[-1, 2] = 1
        out.append(d)
    return out


def npz_bytes(members: dict[str, bytes], method=zipfile.ZIP_DEFLATED) -> bytes:
    return zip_bytes([(f"{k}.npy", v, method) for k, v in members.items()])


def seed_gen_json(rng: random.Random) -> list:
    h = 4
    dims = [[h, 123], [123], [5, 4 * h], [h, 4 * h], [4 * h]]
    blobs = [base64.b64encode(np.array([rng.randint(-3000, 3000) for _ in range(int(np.prod(d)))], "<i2").tobytes()).decode()
             for d in dims]
    return [{"name": "tiny", "mode": 2, "scale_factor": 30.5, "max_seq_len": 250, "version": 6}, dims, blobs]


def seed_description() -> dict:
    return {"format": 1, "category": "sheep", "kind": "sketch-rnn-vae", "scale_factor": 12.5, "max_seq_len": 250,
            "start_token": [0, 0, 1, 0, 0], "n_mixture": 20, "hparams": {"z_size": 64, "dec_units": 512},
            "files": {"encoder": "sheep.encoder.onnx", "decoder": "sheep.decoder.onnx"}}


def chain_arrays() -> dict[str, np.ndarray]:
    path = ROOT / "models" / "bauhaus" / "kandinsky_2d_o2.npz"
    with np.load(path, allow_pickle=False) as data:
        return {k: data[k] for k in data.files}


def arrays_npz(arrays: dict[str, np.ndarray], compressed: bool = True) -> bytes:
    buf = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buf, **arrays)
    return buf.getvalue()


# -- the corpus ----------------------------------------------------------------------------------
def project_case(rng: random.Random, big: bool = True) -> Case:
    doc, images = seed_document_json()
    kind = rng.choice(["json", "json", "json", "bytes", "truncate", "duplicate", "encrypted", "method",
                       "deflate", "foreign-layer", "shared-image", "bomb", "many-strokes", "random", "special",
                       "layer-missing", "deep", "json-text"])
    label = kind
    if kind == "json":
        data = project_bytes(mutate_json(doc, rng, rng.choice([1, 1, 2, 3])), images)
    elif kind == "bytes":
        data = flip_bytes(project_bytes(doc, images), rng)
    elif kind == "truncate":
        data = truncate(project_bytes(doc, images), rng)
    elif kind == "duplicate":
        other = mutate_json(doc, rng)
        data = project_bytes(doc, images, [("document.json", dumps(other), zipfile.ZIP_DEFLATED)])
    elif kind == "encrypted":
        data = patch_zip_headers(project_bytes(doc, images), flag=0x1)
    elif kind == "method":
        method = rng.choice([1, 6, 9, 12, 14, 93, 95, 98, 99])
        label = f"method-{method}"
        data = patch_zip_headers(project_bytes(doc, images), method=method)
    elif kind == "deflate":
        data = damage_deflate(project_bytes(doc, images), rng)
    elif kind == "foreign-layer":
        label, raw = foreign_image(rng)
        label = f"layer-{label}"
        data = project_bytes(doc, {"layers/bbbbbbbbbbbb.png": raw})
    elif kind == "shared-image":
        layer = doc["layers"][1]
        doc["layers"] = [dict(layer, id=f"{i:012d}") for i in range(rng.choice([2, 12, 20]))]
        data = project_bytes(doc, {"layers/bbbbbbbbbbbb.png": png_with_size(6000, 7200)})
    elif kind == "bomb":
        data = zip_bytes([("document.json", b" " * (rng.choice([150, 300]) if big else 2) * 1024 * 1024,
                           zipfile.ZIP_DEFLATED)])
    elif kind == "many-strokes":
        stroke = doc["layers"][0]["strokes"][0]
        doc["layers"][0]["strokes"] = [stroke] * (rng.choice([20_000, 700_000]) if big else 2_000)
        data = project_bytes(doc, images)
    elif kind == "random":
        data = bytes(rng.randrange(256) for _ in range(rng.choice([0, 22, 500])))
    elif kind == "special":
        return Case("project", "fifo" if rng.random() < 0.5 else "dir", "x.artdesk", None,
                    rng.choice(["fifo", "dir"]))
    elif kind == "layer-missing":
        data = project_bytes(doc, {})
    elif kind == "deep":
        doc["metadata"] = DEEP
        data = project_bytes(doc, images)
    else:  # json-text: raw text that is not the schema
        data = zip_bytes([("document.json", rng.choice([b"[]", b"null", b"{", b"\xff\xfe", b"NaN", b'"x"',
                                                        b'{"format": "artdesk-project", "version": 1e400}']),
                           zipfile.ZIP_DEFLATED)])
    return Case("project", label, "x.artdesk", data)


def image_case(rng: random.Random, big: bool = True) -> Case:
    kind = rng.choice(["foreign", "foreign", "flip", "truncate", "valid", "special"])
    suffix = rng.choice([".png", ".jpg", ".jpeg", ".webp"])
    if kind == "foreign":
        label, data = foreign_image(rng)
    elif kind in ("flip", "truncate", "valid"):
        fmt = rng.choice(["PNG", "JPEG", "WEBP"])
        data = pil_bytes(fmt, (rng.randint(1, 64), rng.randint(1, 64)), "RGB" if fmt == "JPEG" else "RGBA")
        label = f"{kind}-{fmt}"
        data = flip_bytes(data, rng) if kind == "flip" else truncate(data, rng) if kind == "truncate" else data
    else:
        return Case("image", "fifo", f"x{suffix}", None, rng.choice(["fifo", "dir"]))
    return Case("image", label, f"x{suffix}", data)


def drawing_case(rng: random.Random, big: bool = True) -> Case:
    if rng.random() < 0.5:
        kind = rng.choice(["json", "json", "json", "flip", "no-newline", "garbage", "deep", "special", "many-lines"])
        records = [seed_ndjson_record(rng) for _ in range(rng.randint(1, 3))]
        if kind == "json":
            records[0] = mutate_json(records[0], rng, rng.choice([1, 2]))
            data = b"\n".join(dumps(r) for r in records) + b"\n"
        elif kind == "flip":
            data = flip_bytes(b"\n".join(dumps(r) for r in records), rng)
        elif kind == "no-newline":
            data = b'{"word": "cat", "drawing": [[[' + b"1," * (rng.choice([100, 3_000_000]) if big else 100) + b"1]]]}"
        elif kind == "garbage":
            data = bytes(rng.randrange(256) for _ in range(rng.choice([0, 1, 100])))
        elif kind == "deep":
            data = dumps({"word": "cat", "drawing": DEEP}) + b"\n"
        elif kind == "many-lines":
            data = b"\n" * 1000 + dumps(records[0]) + b"\n"
        else:
            return Case("drawing", "ndjson-special", "x.ndjson", None, rng.choice(["fifo", "dir"]))
        return Case("drawing", f"ndjson-{kind}", "x.ndjson", data)
    kind = rng.choice(["valid", "pickle-code", "strings", "header-claims", "pickle-shape", "numeric-2d", "nan", "deflate", "flip",
                       "truncate", "method", "encrypted", "duplicate", "huge-values", "many-strokes", "nested-object"])
    drawings = seed_drawings(rng)
    if kind == "valid":
        data = npz_bytes({"test": npy_object_bytes(drawings)})
    elif kind == "pickle-code":
        data = npz_bytes({"test": npy_object_bytes([_RunsCode()])})
    elif kind == "strings":
        data = npz_bytes({"test": npy_object_bytes(["abc", {"a": 1}, 3])})
    elif kind == "header-claims":
        raw = npy_object_bytes(drawings)
        payload = raw[raw.index(b"\n", 10) + 1:]  # the pickle after the npy header
        head = io.BytesIO()
        np.lib.format.write_array_header_1_0(head, {"descr": rng.choice(["|O", "<f8"]), "fortran_order": False,
                                                    "shape": rng.choice([(300_000_000,), (10 ** 11,), (3, 10 ** 11)])})
        data = npz_bytes({"test": head.getvalue() + payload})
    elif kind == "pickle-shape":
        data = npz_bytes({"test": pickle_shape_claim(rng.choice([300_000_000, 2 ** 40]))})
    elif kind == "numeric-2d":
        buf = io.BytesIO()
        np.save(buf, np.zeros((rng.choice([5, 100]), 3), np.float32))
        data = npz_bytes({"test": buf.getvalue()})
    elif kind == "nan":
        drawings[0] = drawings[0].astype(np.float64)
        drawings[0][0, 0] = rng.choice([np.nan, np.inf, 1e308])
        data = npz_bytes({"test": npy_object_bytes(drawings)})
    elif kind == "deflate":
        data = damage_deflate(npz_bytes({"test": npy_object_bytes(drawings)}), rng)
    elif kind == "flip":
        data = flip_bytes(npz_bytes({"test": npy_object_bytes(drawings)}), rng)
    elif kind == "truncate":
        data = truncate(npz_bytes({"test": npy_object_bytes(drawings)}), rng)
    elif kind == "method":
        data = patch_zip_headers(npz_bytes({"test": npy_object_bytes(drawings)}), method=rng.choice([1, 9, 99]))
    elif kind == "encrypted":
        data = patch_zip_headers(npz_bytes({"test": npy_object_bytes(drawings)}), flag=0x1)
    elif kind == "duplicate":
        raw = npy_object_bytes(drawings)
        data = zip_bytes([("test.npy", raw, 8), ("test.npy", npy_object_bytes([_RunsCode()]), 8)])
    elif kind == "huge-values":
        drawings[0] = np.array([[1e308, -1e308, 0], [1e308, 1e308, 1]], np.float64)
        data = npz_bytes({"test": npy_object_bytes(drawings)})
    elif kind == "many-strokes":
        one = np.array([[1, 1, 0], [2, 2, 1]], np.int16)
        data = npz_bytes({"test": npy_object_bytes([one] * (rng.choice([1000, 300_000]) if big else 1000))})
    else:
        data = npz_bytes({"test": npy_object_bytes([np.array([drawings[0]], dtype=object)])})
    return Case("drawing", f"npz-{kind}", "x.npz", data)


def model_case(rng: random.Random, big: bool = True) -> Case:
    which = rng.choice(["gen", "gen", "description", "chain", "chain"])
    if which == "gen":
        kind = rng.choice(["json", "json", "dims", "blob", "flip", "truncate", "deep", "valid"])
        gen = seed_gen_json(rng)
        if kind == "json":
            gen = mutate_json(gen, rng, rng.choice([1, 2]))
        elif kind == "dims":
            gen[1][rng.randrange(5)] = rng.choice([[True, 123], [10 ** 9, 10 ** 9], [-4, 123], [1e400], ["4", 123],
                                                    [4.0, 123], []])
        elif kind == "blob":
            gen[2][rng.randrange(5)] = rng.choice(["!!!", "", "AAAA", 5, None])
        elif kind == "deep":
            gen[0]["name"] = DEEP
        data = dumps(gen)
        if kind == "flip":
            data = flip_bytes(data, rng)
        elif kind == "truncate":
            data = truncate(data, rng)
        return Case("model", f"gen-{kind}", "x.gen.json", data)
    if which == "description":
        kind = rng.choice(["json", "json", "valid", "flip", "deep"])
        meta = seed_description()
        if kind == "json":
            meta = mutate_json(meta, rng, rng.choice([1, 2]))
        elif kind == "deep":
            meta["hparams"] = DEEP
        data = dumps(meta)
        if kind == "flip":
            data = flip_bytes(data, rng)
        return Case("model", f"description-{kind}", "sheep.json", data)
    kind = rng.choice(["array", "array", "meta", "flip", "deflate", "truncate", "pickle", "method", "valid", "huge"])
    arrays = chain_arrays()
    if kind == "array":
        key = rng.choice(sorted(k for k in arrays if k != "meta"))
        arr = arrays[key]
        arrays[key] = rng.choice([arr.astype(np.float64), arr[:-1], np.concatenate([arr, arr]), -arr.astype(np.int64),
                                  arr.reshape(1, -1), np.full_like(arr, np.iinfo(arr.dtype).max if arr.dtype.kind in "iu" else 0),
                                  np.array([], arr.dtype), np.array("text")])
        data = arrays_npz(arrays)
    elif kind == "meta":
        meta = json.loads(str(arrays["meta"]))
        arrays["meta"] = np.array(dumps(mutate_json(meta, rng)).decode())
        data = arrays_npz(arrays)
    elif kind == "pickle":
        data = npz_bytes({"meta": npy_object_bytes([_RunsCode()]), "palette": npy_object_bytes([1])})
    elif kind == "huge":
        data = zip_bytes([("meta.npy", b"\x93NUMPY\x01\x00v\x00{'descr': '<f8', 'fortran_order': False, 'shape': (100000000000,), }"
                           .ljust(127, b" ") + b"\n", zipfile.ZIP_DEFLATED)])
    else:
        data = arrays_npz(arrays)
        if kind == "flip":
            data = flip_bytes(data, rng)
        elif kind == "deflate":
            data = damage_deflate(data, rng)
        elif kind == "truncate":
            data = truncate(data, rng)
        elif kind == "method":
            data = patch_zip_headers(data, method=rng.choice([1, 9, 99]))
    return Case("model", f"chain-{kind}", "chain.npz", data)


MAKERS: dict[str, Callable[[random.Random, bool], Case]] = {"project": project_case, "image": image_case,
                                                      "drawing": drawing_case, "model": model_case}


def corpus(seed: int, count: int, families=FAMILIES, big: bool = True) -> list[Case]:
    """`count` cases, families in turn; without `big`, the cases that would write tens of MB
    (zip bombs, 700,000 strokes, a 6 MB line) are made small (CI)."""
    rng = random.Random(seed)
    out: list[Case] = []
    while len(out) < count:
        family = families[len(out) % len(families)]
        out.append(MAKERS[family](rng, big))
    return out


# -- running a case ------------------------------------------------------------------------------
def write_case(case: Case, folder: Path) -> Path:
    path = folder / case.name
    if case.special == "fifo" and hasattr(os, "mkfifo"):
        os.mkfifo(path)
    elif case.special:
        path.mkdir()
    else:
        path.write_bytes(case.data or b"")
    return path


def run_case(case: Case, folder: Path) -> str:
    """'accepted' or 'refused' (the family's error); any other exception propagates."""
    from artdesk.document.imports import ImportFailed, count_drawings, import_file
    from artdesk.document.model import Document
    from artdesk.document.project import ProjectFileError, load_project
    from artdesk.engines import bauhaus
    from artdesk.engines.doodle import load_doodle_model
    from artdesk.errors import ModelError

    path = write_case(case, folder)
    try:
        if case.family == "project":
            load_project(path)
        elif case.family in ("image", "drawing"):
            if case.family == "drawing":
                count_drawings(path)
            import_file(path, Document.blank())
        elif case.name.endswith(".npz"):
            bauhaus.load_chain(path)
        else:
            load_doodle_model(path)
    except (ProjectFileError, ImportFailed, ModelError) as exc:
        expected = {"project": ProjectFileError, "image": ImportFailed, "drawing": ImportFailed,
                    "model": ModelError}[case.family]
        if not isinstance(exc, expected):
            raise AssertionError(f"{case.family} loader raised {type(exc).__name__}: {exc}") from exc
        if not str(exc).strip() or "Traceback" in str(exc):
            raise AssertionError(f"an error without a sentence: {exc!r}") from exc
        return "refused"
    return "accepted"


def run_cli_case(case: Case, folder: Path) -> str:
    """`artdesk export FILE --out o.png --preset screen` in this process: exit status 0 or 2 and,
    on 2, one sentence on stderr (never a traceback). Returns 'exported' or 'refused'."""
    import contextlib

    from artdesk.cli import main

    path = write_case(case, folder)
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(["export", str(path), "--out", str(folder / "out.png"), "--preset", "screen"])
    text = err.getvalue()
    if code not in (0, 2) or "Traceback" in text or (code == 2 and not text.strip()):
        raise AssertionError(f"artdesk export exited {code}: {text[-300:]}")
    return "exported" if code == 0 else "refused"


class ProcessGuard:
    """Records and refuses every way of starting a program while it is active."""

    NAMES = [("subprocess", "Popen.__init__"), ("os", "system"), ("os", "popen"), ("os", "fork"), ("os", "forkpty"),
             ("os", "posix_spawn"), ("os", "posix_spawnp"), ("os", "execv"), ("os", "execve"), ("os", "execvp"),
             ("os", "execvpe"), ("os", "execl"), ("os", "execlp"), ("os", "spawnv"), ("os", "spawnl")]

    def __init__(self):
        self.started: list[str] = []
        self._saved: list = []

    def __enter__(self):
        import subprocess

        for module_name, attr in self.NAMES:
            owner = subprocess if module_name == "subprocess" else os
            parts = attr.split(".")
            for p in parts[:-1]:
                owner = getattr(owner, p)
            if not hasattr(owner, parts[-1]):
                continue
            original = getattr(owner, parts[-1])
            label = f"{module_name}.{attr}"

            def refuse(*args, _label=label, **kwargs):
                what = next((a for a in args if isinstance(a, (str, bytes, list, tuple))), "")
                self.started.append(f"{_label} {str(what)[:80]}")
                raise PermissionError(f"hostile-file test: {_label} refused")

            self._saved.append((owner, parts[-1], original))
            setattr(owner, parts[-1], refuse)
        return self

    def __exit__(self, *exc):
        for owner, name, original in reversed(self._saved):
            setattr(owner, name, original)
        self._saved.clear()


def _reset_peak() -> None:
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        pass


def _peak_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    import argparse
    import signal
    import tempfile
    import time
    import traceback
    from collections import Counter

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=1200)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--timeout", type=int, default=10)
    parser.add_argument("--cli", type=int, default=60, help="cases also run through `artdesk export`")
    args = parser.parse_args(argv)

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    cases = corpus(args.seed, args.cases)
    cli_cases = [c for c in corpus(args.seed + 1, args.cli * 4 // 3, big=False) if c.family != "model"][:args.cli]
    outcomes: Counter = Counter()
    per_family: dict[str, Counter] = {f: Counter() for f in FAMILIES}
    uncaught, hangs, heavy = [], [], []
    slowest = (0.0, "")
    largest = (0.0, "")

    def alarm(*_):
        raise TimeoutError("hang")

    signal.signal(signal.SIGALRM, alarm)
    started_all = time.perf_counter()
    with ProcessGuard() as guard, tempfile.TemporaryDirectory() as tmp:
        for i, case in enumerate(cases):
            folder = Path(tmp) / str(i)
            folder.mkdir()
            _reset_peak()
            t0 = time.perf_counter()
            signal.alarm(args.timeout)
            try:
                result = run_case(case, folder)
            except TimeoutError:
                result = "hang"
                hangs.append(f"{case.family}/{case.label}")
            except BaseException as exc:  # noqa: BLE001 - counting is the point
                result = "uncaught"
                uncaught.append(f"{case.family}/{case.label}: {type(exc).__name__}: {str(exc)[:120]}")
                if len(uncaught) <= 3:
                    traceback.print_exc()
            finally:
                signal.alarm(0)
            seconds = time.perf_counter() - t0
            peak = _peak_mb()
            if peak > 1536:
                heavy.append(f"{case.family}/{case.label}: {peak:.0f} MB")
            if peak > largest[0]:
                largest = (peak, f"{case.family}/{case.label}")
            if seconds > slowest[0]:
                slowest = (seconds, f"{case.family}/{case.label}")
            outcomes[result] += 1
            per_family[case.family][result] += 1
            for p in folder.iterdir():
                if p.is_dir():
                    p.rmdir()
                else:
                    p.unlink()
            folder.rmdir()
        cli = Counter()
        for i, case in enumerate(cli_cases):
            folder = Path(tmp) / f"cli{i}"
            folder.mkdir()
            signal.alarm(args.timeout)
            try:
                cli[run_cli_case(case, folder)] += 1
            except TimeoutError:
                cli["hang"] += 1
                hangs.append(f"cli/{case.family}/{case.label}")
            except BaseException as exc:  # noqa: BLE001
                cli["uncaught"] += 1
                uncaught.append(f"cli/{case.family}/{case.label}: {type(exc).__name__}: {str(exc)[:120]}")
            finally:
                signal.alarm(0)
    elapsed = time.perf_counter() - started_all
    print(f"hostile corpus: {len(cases)} cases (seed {args.seed}) in {elapsed:.0f} s")
    for family in FAMILIES:
        c = per_family[family]
        print(f"  {family:8s} {sum(c.values()):5d} cases: {c['refused']} refused, {c['accepted']} accepted, "
              f"{c['uncaught']} uncaught, {c['hang']} hangs")
    print(f"  artdesk export {sum(cli.values()):4d} cases: {cli['refused']} refused (exit 2), {cli['exported']} "
          f"exported, {cli['uncaught']} tracebacks or other exits, {cli['hang']} hangs")
    print(f"uncaught exceptions: {len(uncaught)}")
    for line in uncaught[:20]:
        print(f"  {line}")
    print(f"hangs over {args.timeout} s: {len(hangs)} {hangs[:10]}")
    print(f"peaks over 1.5 GB: {len(heavy)} {heavy[:10]}; largest peak {largest[0]:.0f} MB ({largest[1]}), "
          "the process's resident high-water mark reset before each case")
    print(f"slowest case: {slowest[0]:.2f} s ({slowest[1]})")
    print(f"external programs started: {len(guard.started)} {guard.started[:5]}")
    print(f"marker file written by hostile content: {MARKER.exists()}")
    bad = uncaught or hangs or heavy or guard.started or MARKER.exists()
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
