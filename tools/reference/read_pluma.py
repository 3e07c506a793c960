#!/usr/bin/python3
"""Reads a .pluma checkpoint with numpy alone (no torch, no safetensors package): proof that the format is
plain. The layout is safetensors': an 8-byte little-endian header length, a JSON header mapping tensor names
to {"dtype", "shape", "data_offsets": [begin, end]} (offsets into the data that follows the header), and
"__metadata__" (string -> string; pluma stores JSON documents there: config, tokenizer, training).

    /usr/bin/python3 tools/reference/read_pluma.py FILE.pluma [--values N]

prints the metadata and each tensor's name, dtype, shape and (with --values) its first N values.
As a module: load(path) -> (metadata dict, {name: numpy array}).
"""
import argparse
import json
import struct
import sys

import numpy as np

DTYPES = {"F32": "<f4", "F64": "<f8", "F16": "<f2", "I64": "<i8", "I32": "<i4", "U8": "u1", "I8": "i1"}


def load(path):
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise ValueError("%s is too short to be a .pluma file" % path)
    (n,) = struct.unpack("<Q", raw[:8])
    if 8 + n > len(raw):
        raise ValueError("%s is truncated: header of %d bytes, file of %d" % (path, n, len(raw)))
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    data = memoryview(raw)[8 + n:]
    metadata = header.pop("__metadata__", {})
    tensors = {}
    for name, t in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0]):
        begin, end = t["data_offsets"]
        if end > len(data):
            raise ValueError("%s is truncated: tensor %s ends at byte %d of %d" % (path, name, end, len(data)))
        dtype = np.dtype(DTYPES[t["dtype"]])
        tensors[name] = np.frombuffer(data[begin:end], dtype=dtype).reshape(t["shape"])
    return metadata, tensors


def main():
    ap = argparse.ArgumentParser(description="Print the metadata and tensors of a .pluma checkpoint.")
    ap.add_argument("path")
    ap.add_argument("--values", type=int, default=0, help="also print the first N values of each tensor")
    args = ap.parse_args()
    try:
        metadata, tensors = load(args.path)
    except (OSError, ValueError, KeyError) as e:
        print("read_pluma: %s" % e, file=sys.stderr)
        return 1
    print("metadata:")
    for k, v in metadata.items():
        try:
            v = json.dumps(json.loads(v))
        except ValueError:
            pass
        print("  %s: %s" % (k, v if len(v) <= 200 else v[:200] + "..."))
    total = sum(a.nbytes for a in tensors.values())
    print("tensors: %d (%d bytes)" % (len(tensors), total))
    for name, a in tensors.items():
        line = "  %-40s %-8s %s" % (name, a.dtype.name, list(a.shape))
        if args.values > 0:
            line += "  " + " ".join("%.6g" % x for x in a.reshape(-1)[:args.values])
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
