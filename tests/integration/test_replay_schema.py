"""A journal written by a build with another record schema is refused
clearly, before anything is re-run: replay --verify, journal verify and
journal stat exit 1 and say that the schema differs (both hashes shown).

The "other build" is simulated by rewriting the segment header's
schema_hash (and its header CRC, so the refusal is the schema check and not
a corruption report) of a journal this build wrote."""
import os
import shutil
import struct
import subprocess
import sys
import tempfile

src = os.environ.get("RS_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(src, "tools", "python"))
import rsjournal  # noqa: E402

ringside = os.environ.get("RINGSIDE")
if not ringside or not os.path.exists(ringside):
    print("RINGSIDE not set or missing: skip")
    sys.exit(77)

HDR_CRC_AT = 60      # docs/journal.md, segment header
SCHEMA_AT = 16


def run(*args):
    p = subprocess.run([ringside, *args], capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout + p.stderr


def main():
    tmp = tempfile.mkdtemp(prefix="rs_schema.")
    try:
        j = os.path.join(tmp, "j")
        rc, out = run("journal", "synth", j, "--bars", "10")
        assert rc == 0, out
        seg = os.path.join(j, "seg-000001.rsj")
        buf = bytearray(open(seg, "rb").read())
        hdr_len = struct.unpack_from("<I", buf, 12)[0]
        (old,) = struct.unpack_from("<Q", buf, SCHEMA_AT)
        rc, out = run("journal", "verify", j)
        assert rc == 0, f"untouched journal must verify: {out}"

        new = old ^ 0x5A5A5A5A00000001
        struct.pack_into("<Q", buf, SCHEMA_AT, new)
        crc = rsjournal.crc32c(buf[HDR_CRC_AT + 4:hdr_len],
                               rsjournal.crc32c(b"\0\0\0\0", rsjournal.crc32c(bytes(buf[:HDR_CRC_AT]))))
        struct.pack_into("<I", buf, HDR_CRC_AT, crc)
        open(seg, "wb").write(buf)

        for args in (("replay", j, "--verify"), ("journal", "verify", j), ("journal", "stat", j)):
            rc, out = run(*args)
            print(" ".join(args[:2]), "->", rc, out.strip().splitlines()[-1] if out.strip() else "")
            assert rc == 1, f"{args}: exit {rc}, want 1: {out}"
            assert "schema" in out and "another build" in out, f"{args}: message does not name the schema: {out}"
            assert f"{new:016x}" in out and f"{old:016x}" in out, f"{args}: both hashes must be shown: {out}"
            assert "Traceback" not in out and "Segmentation" not in out
        # `ringside --version` names the hash this build reads (the operator's first question)
        rc, out = run("--version")
        assert rc == 0 and f"{old:016x}" in out, out
        print("schema refusal: ok")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
