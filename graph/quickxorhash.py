"""QuickXorHash: the hash OneDrive for Business and SharePoint keep for every file
(`file.hashes.quickXorHash` of a driveItem), so that a client can check an upload arrived whole.

The algorithm (OneDrive API docs, "QuickXorHash" code snippet): a 160-bit register; the byte at
position i of the content is XORed into it at bit (11 · i) mod 160, wrapping past bit 159 to bit
0; at the end the register is written little-endian (20 bytes) and the content's length, as a
64-bit little-endian integer, is XORed into its last 8 bytes. The value is base64.

Since 11 and 160 are coprime, where a byte lands depends only on i mod 160. So the content is
folded into 160 column bytes (the XOR of every byte whose position has that residue) with big
integer XORs that run in C, and the 160 columns are placed in the register once, at the end:
hashing runs at several hundred MB/s without a compiled extension.
"""

from __future__ import annotations

import base64

WIDTH_BITS = 160
ROW = WIDTH_BITS  # bytes: positions i and i + 160 land on the same bit
SHIFT = 11
_REGISTER_MASK = (1 << WIDTH_BITS) - 1


class QuickXorHash:
    """An incremental QuickXorHash, fed with `update` and read with `digest` or `b64digest`."""

    def __init__(self) -> None:
        self._columns = 0  # 160 bytes as an int: byte r is the XOR of the bytes at i ≡ r (160)
        self._length = 0

    def update(self, data: bytes | bytearray | memoryview) -> None:
        """Add the next bytes of the content."""
        if not data:
            return
        offset = self._length % ROW
        padded_length = -(-(offset + len(data)) // ROW) * ROW
        # Shifting by the offset puts each byte in the column of its position in the content.
        value = int.from_bytes(data, "little") << (8 * offset)
        self._columns ^= _fold_rows(value, padded_length // ROW)
        self._length += len(data)

    def digest(self) -> bytes:
        """The 20-byte hash of the content so far."""
        register = 0
        columns = self._columns.to_bytes(ROW, "little")
        for position, byte in enumerate(columns):
            if byte:
                placed = byte << ((SHIFT * position) % WIDTH_BITS)
                register ^= (placed & _REGISTER_MASK) | (placed >> WIDTH_BITS)
        out = bytearray(register.to_bytes(WIDTH_BITS // 8, "little"))
        for index, byte in enumerate(self._length.to_bytes(8, "little")):
            out[WIDTH_BITS // 8 - 8 + index] ^= byte
        return bytes(out)

    def b64digest(self) -> str:
        """The hash as Graph writes it (base64)."""
        return base64.b64encode(self.digest()).decode("ascii")


def _fold_rows(value: int, rows: int) -> int:
    """XOR together the `rows` 160-byte rows of `value` (row 0 in its lowest bits)."""
    result = 0
    row_bits = 8 * ROW
    while rows > 1:
        if rows % 2:
            result ^= value & ((1 << row_bits) - 1)
            value >>= row_bits
            rows -= 1
        half_bits = (rows // 2) * row_bits
        value = (value >> half_bits) ^ (value & ((1 << half_bits) - 1))
        rows //= 2
    return result ^ value


def quick_xor_hash(data: bytes) -> str:
    """The base64 QuickXorHash of `data`."""
    hasher = QuickXorHash()
    hasher.update(data)
    return hasher.b64digest()
