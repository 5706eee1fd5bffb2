"""Bounded, streaming reads of outside files: regular files only, zip members checked (no
duplicates, no encryption, stored or deflated only, decompressed size bounded absolutely, damaged
data caught), JSON without recursion blow-ups, and npy/npz arrays without unpickling anything.

Every function takes the caller's error family (ProjectFileError, ImportFailed, ModelError) and
raises only that, with a sentence for people.
"""

from __future__ import annotations

import io
import json
import math
import os
import pickletools
import stat
import struct
import zipfile
import zlib
from pathlib import Path
from typing import IO, Any

import numpy as np

from artdesk.errors import ArtDeskError

CHUNK = 1 << 20
ZIP_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
READ_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError, ValueError,
               NotImplementedError, RuntimeError, OverflowError)


# -- files ------------------------------------------------------------------------------------
def regular_file(path: str | os.PathLike, what: str, error: type[ArtDeskError], max_bytes: int | None = None) -> int:
    """Refuse anything but an existing regular file (a FIFO would block a read for ever); its size."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        raise error(f"{what} does not exist or cannot be read.") from None
    if not stat.S_ISREG(st.st_mode):
        raise error(f"{what} is not a regular file (a folder, pipe or device); ArtDesk reads files only.")
    if max_bytes is not None and st.st_size > max_bytes:
        raise error(f"{what} is {st.st_size / 1e6:.0f} MB; ArtDesk reads such files up to {max_bytes / 1e6:.0f} MB.")
    return st.st_size


def read_regular_file(path: str | os.PathLike, max_bytes: int, what: str, error: type[ArtDeskError]) -> bytes:
    regular_file(path, what, error, max_bytes)
    try:
        with open(path, "rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        raise error(f"{what} cannot be read ({exc.strerror or exc}).") from exc
    if len(data) > max_bytes:
        raise error(f"{what} grew past {max_bytes / 1e6:.0f} MB while being read; refused.")
    return data


# -- zip ----------------------------------------------------------------------------------------
def open_zip(path: str | os.PathLike, what: str, error: type[ArtDeskError], max_entries: int) -> zipfile.ZipFile:
    """A ZipFile, after reading the end record's entry count: a central directory of a million
    entries is refused before zipfile builds an object for each."""
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - 65557))
            tail = fh.read()
    except OSError as exc:
        raise error(f"{what} cannot be read ({exc.strerror or exc}).") from exc
    at = tail.rfind(b"PK\x05\x06")
    if at >= 0 and len(tail) >= at + 22:
        entries, cd_size = struct.unpack("<HI", tail[at + 10: at + 16])
        if entries > max_entries or cd_size > max_entries * 1200 + 65536:
            raise error(f"{what} has more entries inside than such a file ever has. Refused.")
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError, NotImplementedError,
            RuntimeError, OverflowError, zlib.error) as exc:
        raise error(f"{what} is damaged or not the kind of file it claims to be (not a readable zip).") from exc


def checked_zip_entries(zf: zipfile.ZipFile, what: str, error: type[ArtDeskError], max_entries: int,
                        max_member: int, max_total: int) -> dict[str, zipfile.ZipInfo]:
    """Every entry must be unique, unencrypted, stored or deflated, and within the size limits
    its header states (the reads below also stop at those limits whatever the header says)."""
    infos = zf.infolist()
    if len(infos) > max_entries:
        raise error(f"{what} has {len(infos)} entries inside, far more than it should. Refused.")
    seen: dict[str, zipfile.ZipInfo] = {}
    total = 0
    for info in infos:
        name = info.filename
        if name in seen:
            raise error(f"{what} holds '{name}' twice; a damaged or tampered file. Refused.")
        if info.flag_bits & 0x1:
            raise error(f"{what} is encrypted ('{name}'); ArtDesk cannot read encrypted files.")
        if info.compress_type not in ZIP_METHODS:
            raise error(f"{what} uses a compression method ArtDesk does not read ({info.compress_type}) for '{name}'.")
        if info.file_size > max_member:
            raise error(f"{what}: '{name}' would unpack to {info.file_size / 1e6:.0f} MB, more than "
                        f"ArtDesk allows ({max_member / 1e6:.0f} MB). Refused.")
        total += info.file_size
        seen[name] = info
    if total > max_total:
        raise error(f"{what} would unpack to {total / 1e9:.1f} GB, more than ArtDesk allows. Refused.")
    return seen


def read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int, what: str,
                error: type[ArtDeskError]) -> bytes:
    """A zip entry's bytes, streamed, never more than `limit` whatever its header claims."""
    parts, size = [], 0
    try:
        with zf.open(info) as fh:
            while True:
                block = fh.read(min(CHUNK, limit + 1 - size))
                if not block:
                    break
                size += len(block)
                if size > limit:
                    raise error(f"{what}: '{info.filename}' is larger than ArtDesk allows "
                                f"({limit / 1e6:.0f} MB). Refused.")
                parts.append(block)
    except ArtDeskError:
        raise
    except READ_ERRORS as exc:
        raise error(f"{what}: '{info.filename}' is damaged and cannot be unpacked ({type(exc).__name__}).") from exc
    return b"".join(parts)


# -- JSON -------------------------------------------------------------------------------------
class _DuplicateKey(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise _DuplicateKey("a key appears twice in one object")
    return out


def parse_json(raw: bytes | str, what: str, error: type[ArtDeskError]) -> Any:
    """JSON with a sentence for every failure; an object with a key twice is refused (readers
    disagree on which one counts, as they do on a zip member stored twice)."""
    try:
        return json.loads(raw, object_pairs_hook=_no_duplicates)
    except _DuplicateKey as exc:
        raise error(f"{what} names the same field twice in one place; a damaged or tampered file. Refused.") from exc
    except RecursionError as exc:
        raise error(f"{what} is nested too deeply to be real data. Refused.") from exc
    except (UnicodeDecodeError, ValueError) as exc:  # JSONDecodeError, over-long integers
        raise error(f"{what} is not valid JSON ({type(exc).__name__}).") from exc


def finite(value: Any, lo: float = -math.inf, hi: float = math.inf) -> float | None:
    """`value` as a float if it is a real JSON number (not a bool, not a string), finite and in
    [lo, hi]; else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        f = float(value)
    except OverflowError:
        return None
    return f if math.isfinite(f) and lo <= f <= hi else None


def whole(value: Any, lo: int, hi: int) -> int | None:
    """`value` if it is a JSON integer (not a bool) in [lo, hi]; else None."""
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        return None
    return value


# -- npy / npz ----------------------------------------------------------------------------------
NUMERIC_KINDS = "biufUS"  # numbers and fixed-width text: plain bytes, nothing to unpickle
_DESCR_OK = {"b1", "i1", "u1", "i2", "u2", "i4", "u4", "i8", "u8", "f2", "f4", "f8"}


class _Limited(io.RawIOBase):
    """A read-only view of a stream that refuses to deliver more than `limit` bytes."""

    def __init__(self, fh: IO[bytes], limit: int):
        self.fh, self.left, self.pos = fh, limit, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def tell(self) -> int:
        return self.pos

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0 or n > self.left:
            n = self.left + 1
        data = self.fh.read(n)
        self.left -= len(data)
        self.pos += len(data)
        if self.left < 0:
            raise _TooBig()
        return data

    def readline(self, size: int | None = -1) -> bytes:
        out = bytearray()
        while not out.endswith(b"\n"):
            c = self.read(1)
            if not c:
                break
            out += c
        return bytes(out)


class _TooBig(Exception):
    pass


class _Bad(Exception):
    pass


def read_npy(fh: IO[bytes], limit: int, objects: bool = False, max_objects: int = 250_000) -> np.ndarray:
    """One .npy stream -> array. Numeric arrays are read as raw bytes; object arrays (only with
    `objects`, as sketch-rnn saves lists of drawings) are decoded by `_ObjectArrayReader`, which
    understands numpy's pickle layout of arrays and nothing else: no class is ever imported or
    called, and no size in the stream is trusted before its bytes have been read."""
    stream = _Limited(fh, limit)
    version = np.lib.format.read_magic(stream)
    if version == (1, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_1_0(stream)
    elif version == (2, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_2_0(stream)
    else:
        raise _Bad(f"npy version {version}")
    if dtype.hasobject:
        if not objects:
            raise _Bad("it holds Python objects, not numbers")
        arr = _ObjectArrayReader(stream, max_objects).load()
        if arr.shape != tuple(shape):
            raise _Bad("its object list does not match its header")
        return arr
    if dtype.kind not in NUMERIC_KINDS or dtype.fields is not None or dtype.subdtype is not None:
        raise _Bad(f"it holds {dtype}, not plain numbers")
    if dtype.kind in "US" and dtype.itemsize > 1_000_000:
        raise _Bad("it holds an over-long text")
    count = math.prod(shape)
    nbytes = count * dtype.itemsize
    if nbytes > limit:
        raise _TooBig()
    data = stream.read(nbytes)
    if len(data) != nbytes:
        raise _Bad("it is truncated")
    arr = np.frombuffer(data, dtype=dtype)
    return arr.reshape(shape, order="F" if fortran else "C")


class _Global:
    def __init__(self, name: str):
        self.name = name


_GLOBALS = {("numpy.core.multiarray", "_reconstruct"): "reconstruct", ("numpy._core.multiarray", "_reconstruct"): "reconstruct",
            ("numpy", "ndarray"): "ndarray", ("numpy", "dtype"): "dtype"}


class _PendingDtype:
    def __init__(self, descr: str):
        if descr != "O8" and descr not in _DESCR_OK:
            raise _Bad(f"dtype {descr!r}")
        self.descr, self.order = descr, "|"


class _PendingArray:
    value: np.ndarray | None = None


class _ObjectArrayReader:
    """Reads numpy's pickle of an ndarray (object arrays of numeric arrays) by walking the opcodes
    with pickletools.genops, which only decodes the stream. Anything outside that layout is refused."""

    OPS_PER_OBJECT = 40  # numpy's pickle of one array takes about 20 operations

    def __init__(self, stream: Any, max_objects: int = 250_000):
        self.stream = stream
        self.max_objects = max_objects
        self.objects = 0

    def load(self) -> np.ndarray:
        stack: list[Any] = []
        marks: list[int] = []
        memo: dict[int, Any] = {}
        max_ops = self.OPS_PER_OBJECT * (self.max_objects + 2)
        for count, (op, arg_, _) in enumerate(pickletools.genops(self.stream)):
            arg: Any = arg_
            if count > max_ops:
                raise _TooBig()
            name = op.name
            if name in ("PROTO", "FRAME"):
                continue
            if name == "STOP":
                result = self._finish(stack.pop() if stack else None)
                if not isinstance(result, np.ndarray):
                    raise _Bad("it does not hold an array")
                return result
            if name == "GLOBAL":
                module, _, attr = str(arg).partition(" ")
                stack.append(self._global(module, attr))
            elif name == "STACK_GLOBAL":
                attr, module = stack.pop(), stack.pop()
                stack.append(self._global(module, attr))
            elif name in ("BINPUT", "LONG_BINPUT", "PUT"):
                memo[int(arg)] = stack[-1]
            elif name == "MEMOIZE":
                memo[len(memo)] = stack[-1]
            elif name in ("BINGET", "LONG_BINGET", "GET"):
                if int(arg) not in memo:
                    raise _Bad("a reference to nothing")
                stack.append(memo[int(arg)])
            elif name == "MARK":
                marks.append(len(stack))
            elif name in ("TUPLE", "LIST"):
                at = marks.pop()
                marked = stack[at:]
                del stack[at:]
                stack.append(tuple(marked) if name == "TUPLE" else marked)
            elif name == "EMPTY_TUPLE":
                stack.append(())
            elif name in ("TUPLE1", "TUPLE2", "TUPLE3"):
                n = int(name[-1])
                if len(stack) < n:
                    raise _Bad("a damaged tuple")
                small = tuple(stack[-n:])
                del stack[-n:]
                stack.append(small)
            elif name == "EMPTY_LIST":
                stack.append([])
            elif name == "APPEND":
                value = stack.pop()
                self._list(stack).append(value)
            elif name == "APPENDS":
                at = marks.pop()
                items = stack[at:]
                del stack[at:]
                self._list(stack).extend(items)
            elif name in ("BININT", "BININT1", "BININT2", "LONG1", "INT", "LONG"):
                stack.append(arg if isinstance(arg, int) else int(arg))
            elif name == "BINFLOAT":
                stack.append(float(arg))
            elif name == "NEWTRUE":
                stack.append(True)
            elif name == "NEWFALSE":
                stack.append(False)
            elif name == "NONE":
                stack.append(None)
            elif name in ("SHORT_BINSTRING", "BINSTRING", "STRING"):
                stack.append(str(arg).encode("latin-1"))  # a Python 2 str: raw bytes
            elif name in ("SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "UNICODE"):
                stack.append(str(arg))
            elif name in ("SHORT_BINBYTES", "BINBYTES", "BINBYTES8"):
                stack.append(bytes(arg))
            elif name == "REDUCE":
                args, fn = stack.pop(), stack.pop()
                stack.append(self._reduce(fn, args))
            elif name == "BUILD":
                state = stack.pop()
                self._build(stack[-1], state)
            else:
                raise _Bad(f"pickle operation {name}")
        raise _Bad("it is truncated")

    @staticmethod
    def _global(module: Any, attr: Any) -> _Global:
        key = _GLOBALS.get((module, attr))
        if key is None:
            raise _Bad(f"it asks for {module}.{attr}, which is refused (drawing files hold numbers only)")
        return _Global(key)

    @staticmethod
    def _list(stack: list) -> list:
        if not stack or not isinstance(stack[-1], list):
            raise _Bad("a damaged list")
        return stack[-1]

    def _reduce(self, fn: Any, args: Any) -> Any:
        if not isinstance(fn, _Global) or not isinstance(args, tuple):
            raise _Bad("an unexpected call")
        if fn.name == "reconstruct" and len(args) == 3 and isinstance(args[0], _Global) and args[0].name == "ndarray":
            self.objects += 1
            if self.objects > self.max_objects + 1:
                raise _TooBig()
            return _PendingArray()
        if fn.name == "dtype" and len(args) == 3 and isinstance(args[0], (str, bytes)):
            descr = args[0].decode("latin-1") if isinstance(args[0], bytes) else args[0]
            return _PendingDtype(descr)
        raise _Bad("an unexpected call")

    def _build(self, target: Any, state: Any) -> None:
        if isinstance(target, _PendingDtype):
            if not (isinstance(state, tuple) and len(state) >= 2):
                raise _Bad("a damaged dtype")
            order = state[1].decode("latin-1") if isinstance(state[1], bytes) else state[1]
            if order not in ("<", ">", "|", "="):
                raise _Bad("a damaged dtype")
            target.order = order
            return
        if isinstance(target, _PendingArray):
            if not (isinstance(state, tuple) and len(state) == 5):
                raise _Bad("a damaged array")
            _, shape, dtype, fortran, data = state
            if not (isinstance(shape, tuple) and all(isinstance(n, int) and 0 <= n for n in shape) and len(shape) <= 4):
                raise _Bad("a damaged array shape")
            if not isinstance(dtype, _PendingDtype):
                raise _Bad("a damaged array type")
            target.value = self._array(shape, dtype, bool(fortran), data)
            return
        raise _Bad("an unexpected object")

    @staticmethod
    def _array(shape: tuple, dtype: _PendingDtype, fortran: bool, data: Any) -> np.ndarray:
        count = math.prod(shape)
        if dtype.descr == "O8":
            if not isinstance(data, list) or len(data) != count:
                raise _Bad("an object array whose items do not match its shape")
            out = np.empty(count, dtype=object)
            for i, item in enumerate(data):
                value = item.value if isinstance(item, _PendingArray) else None
                if not isinstance(value, np.ndarray) or value.dtype == object:
                    raise _Bad("an item that is not a numeric array")
                out[i] = value
            return out.reshape(shape, order="F" if fortran else "C")
        order: Any = dtype.order if dtype.order in "<>" else "="
        dt = np.dtype(dtype.descr).newbyteorder(order)
        if not isinstance(data, (bytes, bytearray)) or len(data) != count * dt.itemsize:
            raise _Bad("an array whose bytes do not match its shape")
        return np.frombuffer(data, dtype=dt).reshape(shape, order="F" if fortran else "C")

    @staticmethod
    def _finish(value: Any) -> Any:
        return value.value if isinstance(value, _PendingArray) else None


def read_npz(path: str | os.PathLike, what: str, error: type[ArtDeskError], max_bytes: int,
             max_member: int, max_entries: int = 64, objects: bool = False,
             max_objects: int = 250_000) -> dict[str, np.ndarray]:
    """Every `.npy` member of an npz file, each bounded; nothing is unpickled."""
    regular_file(path, what, error)
    out: dict[str, np.ndarray] = {}
    try:
        with open_zip(path, what, error, max_entries) as zf:
            infos = checked_zip_entries(zf, what, error, max_entries, max_member, max_bytes)
            for name, info in infos.items():
                if not name.endswith(".npy"):
                    continue
                with zf.open(info) as fh:
                    out[name[:-4]] = read_npy(fh, max_member, objects, max_objects)
    except ArtDeskError:
        raise
    except _TooBig as exc:
        raise error(f"{what} holds more data than ArtDesk reads from such a file. Refused.") from exc
    except _Bad as exc:
        raise error(f"{what} cannot be read: {exc}.") from exc
    except MemoryError as exc:
        raise error(f"{what} needs more memory than this computer has free.") from exc
    except (*READ_ERRORS, SyntaxError, KeyError, IndexError, TypeError, struct_error()) as exc:
        raise error(f"{what} is damaged or not an npz file ({type(exc).__name__}).") from exc
    return out


def struct_error() -> type[Exception]:
    import struct

    return struct.error


def load_json_file(path: str | os.PathLike, max_bytes: int, what: str, error: type[ArtDeskError]) -> Any:
    return parse_json(read_regular_file(Path(path), max_bytes, what, error), what, error)
