"""rsjournal -- read ringside journals into numpy / pandas.

The format is docs/journal.md: a directory of segment files seg-NNNNNN.rsj,
each a header (magic "RSJRNL01", embedded config/model bytes) followed by
frames ``u32 len | u32 crc | record (padded to 8)``, the CRC32C chained from
the previous frame (the header CRC for the first). This reader applies the
same rule as the C reader: the first bad frame (impossible length, runs past
the end of the file, CRC mismatch) ends the journal, and nothing after it is
returned. ``Journal.status`` says how the journal ended and where.

    import rsjournal
    j = rsjournal.open_journal("var/journal/paper/20261122T190000Z")
    bars = j.frame("bars")          # same columns as `ringside journal export --type bars`
    every = j.frames()              # dict kind -> DataFrame for the six export kinds
    hdr = j.records_frame()         # header columns of every record (gseq, stream, seq, type, ts, ts_local, len)
    cfg = j.blob("config")          # embedded config bytes

Uses only numpy and pandas (Debian python3-numpy / python3-pandas). CRC32C
uses python3-crcmod's C extension when installed, else a table in Python
(correct, slower: ``verify_crc=False`` skips it for journals that
`ringside journal verify` has already checked).
"""

import os
import re
import struct

import numpy as np
import pandas as pd

MAGIC = 0x31304C4E524A5352
VERSION = 1
FRAME_SEAL = 0xFFFFFFFF
HDR_FIXED = 192
REC_HDR = 32
REC_MAX = 64 * 1024
STREAM_MAX = 16

TYPES = {
    1: "trade", 2: "bbo", 3: "depth", 4: "mark", 5: "timer", 6: "freshness", 7: "raw", 8: "bad_input",
    10: "bar", 11: "features", 20: "prediction", 21: "model_swap", 30: "decision", 31: "intent",
    32: "risk", 33: "position", 40: "order", 41: "exec_report", 42: "venue_msg", 50: "control",
    51: "step", 52: "gap", 53: "alarm",
}
TYPE_IDS = {v: k for k, v in TYPES.items()}
STREAMS = {0: "recorder", 1: "md", 2: "mark", 3: "feat", 4: "pred", 5: "intent", 6: "exec", 7: "ctl", 8: "raw",
           9: "venue", 10: "mark_x", 11: "ctl_model", 12: "bar_g"}
BLOB_KINDS = {1: "config", 2: "model", 3: "other"}

# ---- CRC32C -----------------------------------------------------------------

try:  # pragma: no cover - depends on the machine
    import crcmod.predefined as _crcmod

    _crc_fun = _crcmod.mkCrcFun("crc-32c")

    def crc32c(data, crc=0):
        return _crc_fun(bytes(data), crc)
except Exception:  # noqa: BLE001 - any failure: use the table
    _T = []
    for _i in range(256):
        _c = _i
        for _ in range(8):
            _c = (_c >> 1) ^ 0x82F63B78 if _c & 1 else _c >> 1
        _T.append(_c)

    def crc32c(data, crc=0):
        c = crc ^ 0xFFFFFFFF
        t = _T
        for b in bytes(data):
            c = (c >> 8) ^ t[(c ^ b) & 0xFF]
        return c ^ 0xFFFFFFFF


# ---- record layouts (must match include/ringside/event.h) -------------------

_HDR = [("len", "<u4"), ("type", "<u2"), ("stream", "<u2"), ("seq", "<u8"), ("ts", "<i8"), ("ts_local", "<i8")]


def _dt(fields, size):
    names, formats, offsets = [], [], []
    for name, fmt, off in fields:
        names.append(name)
        formats.append(fmt)
        offsets.append(off)
    return np.dtype({"names": names, "formats": formats, "offsets": offsets, "itemsize": size})


_H = [("len", "<u4", 0), ("type", "<u2", 4), ("stream", "<u2", 6), ("seq", "<u8", 8), ("ts", "<i8", 16),
      ("ts_local", "<i8", 24)]

DT_BAR = _dt(_H + [("sym", "<u2", 32), ("flags", "<u4", 36), ("start_ns", "<i8", 40), ("end_ns", "<i8", 48),
                   ("open", "<f8", 56), ("high", "<f8", 64), ("low", "<f8", 72), ("close", "<f8", 80),
                   ("volume", "<f8", 88), ("quote_volume", "<f8", 96), ("vwap", "<f8", 104),
                   ("taker_buy_volume", "<f8", 112), ("count", "<u8", 120)], 128)
DT_FEAT = _dt(_H + [("sym", "<u2", 32), ("ready", "u1", 34), ("kind", "u1", 35), ("n", "<u4", 36),
                    ("bar_end_ns", "<i8", 40), ("layout_hash", "<u8", 48)], 56)
DT_PRED = _dt(_H + [("sym", "<u2", 32), ("n_horizons", "u1", 34), ("ready", "u1", 35), ("bar_end_ns", "<i8", 40),
                    ("model_sha256", "V32", 48), ("raw", "<f4", (80)), ("cal", "<f4", 112),
                    ("weighted_bps", "<f8", 144), ("z_edge", "<f8", 152), ("roll_mean", "<f8", 160),
                    ("roll_std", "<f8", 168)], 176)
DT_DEC = _dt(_H + [("sym", "<u2", 32), ("action", "u1", 34), ("n", "u1", 35), ("reason", "<u2", 36),
                   ("bar_end_ns", "<i8", 40), ("z_edge", "<f8", 48), ("weighted_bps", "<f8", 56),
                   ("size", "<f8", 64)], 72)
DT_VERDICT = _dt([("gate", "<u2", 0), ("pass", "u1", 2), ("value", "<f8", 8), ("threshold", "<f8", 16)], 24)
DT_ORDER = _dt(_H + [("sym", "<u2", 32), ("side", "u1", 34), ("ord_type", "u1", 35), ("kind", "u1", 36),
                     ("tif", "u1", 37), ("reduce_only", "u1", 38), ("client_id", "<u8", 40), ("px", "<i8", 48),
                     ("qty", "<i8", 56), ("wire_bytes", "<u4", 64), ("attempt", "<u4", 68)], 72)
DT_EXEC = _dt(_H + [("sym", "<u2", 32), ("state", "u1", 34), ("side", "u1", 35), ("is_fill", "u1", 36),
                    ("liquidity", "u1", 37), ("source", "u1", 38), ("client_id", "<u8", 40),
                    ("venue_order_id", "<u8", 48), ("trade_id", "<u8", 56), ("last_px", "<i8", 64),
                    ("last_qty", "<i8", 72), ("cum_qty", "<i8", 80), ("leaves_qty", "<i8", 88),
                    ("fee", "<f8", 96), ("reject_code", "<i4", 104)], 112)

KINDS = ("bars", "features", "predictions", "decisions", "orders", "fills")


class JournalError(Exception):
    pass


class Status:
    """How reading ended: tail is 'sealed', 'open', 'torn' or 'corrupt'."""

    def __init__(self):
        self.tail = "open"
        self.bad_file = None
        self.bad_offset = None
        self.reason = None
        self.records = 0
        self.segments = 0

    def __repr__(self):
        s = f"Status(tail={self.tail}, records={self.records}, segments={self.segments}"
        if self.bad_file:
            s += f", bad={self.bad_file}@{self.bad_offset}: {self.reason}"
        return s + ")"


class Journal:
    def __init__(self, path, verify_crc=True):
        self.path = path
        self.verify_crc = verify_crc
        if os.path.isdir(path):
            segs = []
            for name in os.listdir(path):
                m = re.fullmatch(r"seg-(\d{6})\.rsj", name)
                if m:
                    segs.append((int(m.group(1)), os.path.join(path, name)))
            segs.sort()
        else:
            segs = [(None, path)]
        if not segs:
            raise JournalError(f"{path}: no journal segments (seg-NNNNNN.rsj)")
        self.status = Status()
        self.status.segments = len(segs)
        self._bufs = []      # (segment bytes)
        self._index = []     # (buf index, record offset, len, type, stream)
        self.header = None
        self.blobs = []
        self._read(segs)
        self.status.records = len(self._index)

    # -- parsing ---------------------------------------------------------------

    def _bad(self, tail, path, off, reason):
        st = self.status
        st.tail, st.bad_file, st.bad_offset, st.reason = tail, path, off, reason

    def _header(self, buf, path, first):
        if len(buf) < HDR_FIXED:
            return None, "file shorter than a segment header"
        magic, version, hdr_len, schema, seg_no, first_gseq, start_ns, created_ns, n_blobs, hdr_crc = \
            struct.unpack_from("<QIIQQQqqII", buf, 0)
        if magic != MAGIC:
            return None, "bad magic (not a ringside journal segment)"
        if version != VERSION:
            return None, f"journal format version {version}, this reader reads {VERSION}"
        if hdr_len < HDR_FIXED or hdr_len > len(buf) or hdr_len % 8:
            return None, f"header length {hdr_len} out of range"
        at = 60  # offset of hdr_crc
        calc = crc32c(buf[at + 4:hdr_len], crc32c(b"\0\0\0\0", crc32c(buf[:at])))
        if calc != hdr_crc:
            return None, "header CRC mismatch"
        inst = bytes(buf[72:120]).split(b"\0", 1)[0].decode("utf-8", "replace")
        h = dict(version=version, hdr_len=hdr_len, schema_hash=schema, segment_no=seg_no, first_gseq=first_gseq,
                 start_ns=start_ns, created_ns=created_ns, n_blobs=n_blobs, hdr_crc=hdr_crc, instance=inst)
        if first:
            off = HDR_FIXED
            for _ in range(n_blobs):
                kind, nlen, size = struct.unpack_from("<IIQ", buf, off)
                name = bytes(buf[off + 16:off + 16 + nlen]).split(b"\0", 1)[0].decode("utf-8", "replace")
                data = bytes(buf[off + 16 + nlen:off + 16 + nlen + size])
                self.blobs.append((BLOB_KINDS.get(kind, str(kind)), name, data))
                off = (off + 16 + nlen + size + 7) & ~7
        return h, None

    def _read(self, segs):
        gseq = 0
        for i, (no, path) in enumerate(segs):
            with open(path, "rb") as f:
                buf = memoryview(f.read())
            bi = len(self._bufs)
            self._bufs.append(buf)
            h, why = self._header(buf, path, i == 0)
            if h is None:
                if i == 0:
                    raise JournalError(f"{path} offset 0: {why}")
                self._bad("corrupt", path, 0, why)
                return
            if i == 0:
                self.header = h
            if h["first_gseq"] != gseq + 1:
                self._bad("corrupt", path, 0, f"segment starts at global seq {h['first_gseq']}, expected {gseq + 1}")
                return
            off = h["hdr_len"]
            chain = h["hdr_crc"]
            seg_records = 0
            n = len(buf)
            sealed = False
            while True:
                left = n - off
                if left == 0:
                    break
                if left < 8:
                    self._bad("torn", path, off, f"{left} bytes at the end, less than a frame header")
                    return
                ln, crc = struct.unpack_from("<II", buf, off)
                if ln == FRAME_SEAL:
                    if left < 16:
                        self._bad("torn", path, off, "seal frame cut short")
                        return
                    cnt = struct.unpack_from("<Q", buf, off + 8)[0]
                    if crc32c(buf[off + 8:off + 16], crc32c(buf[off:off + 4], chain)) != crc:
                        self._bad("corrupt", path, off, "seal frame CRC mismatch")
                        return
                    if cnt != seg_records:
                        self._bad("corrupt", path, off, f"seal counts {cnt} records, segment has {seg_records}")
                        return
                    if left != 16:
                        self._bad("corrupt", path, off + 16, "bytes after the seal")
                        return
                    sealed = True
                    break
                if ln < REC_HDR or ln > REC_MAX:
                    if not any(bytes(buf[off:])):
                        self._bad("torn", path, off, "zero-filled tail")
                    else:
                        self._bad("corrupt", path, off, f"impossible record length {ln}")
                    return
                padded = (ln + 7) & ~7
                if 8 + padded > left:
                    self._bad("torn", path, off, f"record of {ln} bytes runs past the end of the file")
                    return
                if self.verify_crc:
                    c = crc32c(buf[off + 8:off + 8 + padded], crc32c(buf[off:off + 4], chain))
                    if c != crc:
                        self._bad("corrupt", path, off, f"CRC mismatch (stored {crc:08x}, computed {c:08x})")
                        return
                rlen, rtype, rstream = struct.unpack_from("<IHH", buf, off + 8)
                if rlen != ln or rstream >= STREAM_MAX:
                    self._bad("corrupt", path, off, "frame and record header disagree")
                    return
                chain = crc
                seg_records += 1
                gseq += 1
                self._index.append((bi, off + 8, ln, rtype, rstream))
                off += 8 + padded
            if not sealed:
                if i + 1 < len(segs):
                    self._bad("corrupt", path, off, "segment ends without a seal but a later segment exists")
                    return
                self.status.tail = "open"
            else:
                self.status.tail = "sealed"

    # -- access ------------------------------------------------------------------

    def __len__(self):
        return len(self._index)

    def records(self):
        """Yield (gseq, type_name, stream_name, bytes) in global order."""
        for g, (bi, off, ln, t, s) in enumerate(self._index, 1):
            yield g, TYPES.get(t, str(t)), STREAMS.get(s, str(s)), bytes(self._bufs[bi][off:off + ln])

    def blob(self, kind):
        for k, _name, data in self.blobs:
            if k == kind:
                return data
        return None

    def _select(self, pred):
        return [(g, bi, off, ln) for g, (bi, off, ln, t, s) in enumerate(self._index, 1) if pred(t, s, bi, off)]

    def _struct(self, sel, dt):
        raw = bytearray(len(sel) * dt.itemsize)
        for i, (_g, bi, off, ln) in enumerate(sel):
            take = min(ln, dt.itemsize)
            raw[i * dt.itemsize:i * dt.itemsize + take] = self._bufs[bi][off:off + take]
        return np.frombuffer(bytes(raw), dtype=dt, count=len(sel))

    def records_frame(self):
        """Header columns of every record, in global order."""
        sel = self._select(lambda t, s, bi, off: True)
        a = self._struct(sel, _dt(_H, 32))
        df = pd.DataFrame({"gseq": np.arange(1, len(sel) + 1, dtype=np.uint64),
                           "stream": a["stream"], "seq": a["seq"], "type": a["type"],
                           "ts": a["ts"], "ts_local": a["ts_local"], "len": a["len"]})
        df["type_name"] = df["type"].map(lambda t: TYPES.get(int(t), str(t)))
        df["stream_name"] = df["stream"].map(lambda s: STREAMS.get(int(s), str(s)))
        return df

    def frame(self, kind):
        """DataFrame of one export kind, same columns and values as
        `ringside journal export --type KIND`."""
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}")
        tid = {"bars": 10, "features": 11, "predictions": 20, "decisions": 30, "orders": 40, "fills": 41}[kind]
        mins = {"bars": 128, "features": 56, "predictions": 176, "decisions": 72, "orders": 72, "fills": 112}[kind]

        def want(t, s, bi, off):
            if t != tid:
                return False
            if struct.unpack_from("<I", self._bufs[bi], off)[0] < mins:
                return False
            if kind == "fills":
                return self._bufs[bi][off + 36] != 0
            return True

        sel = self._select(want)
        dt = {"bars": DT_BAR, "features": DT_FEAT, "predictions": DT_PRED, "decisions": DT_DEC,
              "orders": DT_ORDER, "fills": DT_EXEC}[kind]
        a = self._struct(sel, dt)
        cols = {"gseq": np.array([g for g, *_ in sel], dtype=np.int64), "stream": a["stream"], "seq": a["seq"],
                "ts": a["ts"], "ts_local": a["ts_local"]}
        skip = {"len", "type", "stream", "seq", "ts", "ts_local", "is_fill"}
        if kind == "predictions":
            for name in dt.names:
                if name in skip or name in ("raw", "cal"):
                    continue
                if name == "model_sha256":
                    cols[name] = [bytes(x).hex() for x in a[name]]
                else:
                    cols[name] = a[name]
                if name == "model_sha256":
                    for p in ("raw", "cal"):
                        off = dt.fields[p][1]
                        for h in range(8):
                            v = np.array([struct.unpack_from("<f", self._bufs[bi], o + off + 4 * h)[0]
                                          for _g, bi, o, _l in sel], dtype=np.float64)
                            cols[f"{p}{h}"] = v
        else:
            for name in dt.names:
                if name not in skip:
                    cols[name] = a[name]
        df = pd.DataFrame(cols)
        if kind == "features":
            width = int(a["n"].max()) if len(a) else 0
            vals = np.full((len(sel), width), np.nan)
            present = np.zeros((len(sel), width), dtype=bool)
            for i, (_g, bi, off, ln) in enumerate(sel):
                n = min(int(a["n"][i]), (ln - 56) // 8)
                vals[i, :n] = np.frombuffer(self._bufs[bi][off + 56:off + 56 + 8 * n], dtype="<f8")
                present[i, :n] = True
            for k in range(width):
                df[f"f{k}"] = vals[:, k]
        elif kind == "decisions":
            width = int(a["n"].max()) if len(a) else 0
            for k in range(width):
                gate = np.full(len(sel), np.nan)
                ps = np.full(len(sel), np.nan)
                val = np.full(len(sel), np.nan)
                thr = np.full(len(sel), np.nan)
                for i, (_g, bi, off, ln) in enumerate(sel):
                    n = min(int(a["n"][i]), (ln - 72) // 24)
                    if k < n:
                        v = np.frombuffer(self._bufs[bi][off + 72 + 24 * k:off + 96 + 24 * k], dtype=DT_VERDICT)[0]
                        gate[i], ps[i], val[i], thr[i] = v["gate"], v["pass"], v["value"], v["threshold"]
                df[f"g{k}_gate"], df[f"g{k}_pass"], df[f"g{k}_value"], df[f"g{k}_threshold"] = gate, ps, val, thr
        return df

    def frames(self):
        return {k: self.frame(k) for k in KINDS}


def open_journal(path, verify_crc=True):
    """Open a journal directory (or one segment file) and index its records."""
    return Journal(path, verify_crc=verify_crc)


if __name__ == "__main__":  # pragma: no cover
    import sys

    j = open_journal(sys.argv[1])
    print(j.status)
    print(j.records_frame().groupby(["stream_name", "type_name"]).size())
