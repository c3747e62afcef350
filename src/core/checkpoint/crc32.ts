/**
 * CRC-32 as zip uses it (IEEE 802.3: reflected, polynomial 0xEDB88320, initial and final XOR
 * 0xFFFFFFFF), so that the checkpoint reader can check each member the way torch.load (miniz) does.
 * Written here because no maintained dependency exposes it for the shared browser + Node core:
 * fflate computes it internally but does not export it, and node:zlib's crc32 is Node-only.
 * Slicing-by-8 (eight 256-entry tables, eight bytes a step): a 1 GB checkpoint is checked in about
 * a second, reading the bytes where they lie (no copy).
 */
const TABLES: Uint32Array = (() => {
  const t = new Uint32Array(256 * 8);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = t[n]!;
    for (let k = 1; k < 8; k++) {
      c = t[c & 0xff]! ^ (c >>> 8);
      t[k * 256 + n] = c;
    }
  }
  return t;
})();

/** The CRC-32 of `data`, continuing from `previous` (the CRC of the bytes before it; 0 to start). */
export function crc32(data: Uint8Array, previous = 0): number {
  const t = TABLES;
  let crc = ~previous;
  let i = 0;
  const n = data.length;
  for (const end8 = n - (n % 8); i < end8; i += 8) {
    const a = crc ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24));
    crc =
      t[1792 + (a & 0xff)]! ^
      t[1536 + ((a >>> 8) & 0xff)]! ^
      t[1280 + ((a >>> 16) & 0xff)]! ^
      t[1024 + (a >>> 24)]! ^
      t[768 + data[i + 4]!]! ^
      t[512 + data[i + 5]!]! ^
      t[256 + data[i + 6]!]! ^
      t[data[i + 7]!]!;
  }
  for (; i < n; i++) crc = t[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
}
