import * as zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { crc32 } from '../../../src/core/checkpoint/crc32';
import { mulberry32 } from '../../../src/fixtures/random-checkpoint';

const enc = new TextEncoder();

describe('crc32', () => {
  it('matches the known vectors', () => {
    expect(crc32(enc.encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
    expect(crc32(enc.encode('The quick brown fox jumps over the lazy dog'))).toBe(0x414fa339);
    expect(crc32(new Uint8Array(32))).toBe(0x190a55ad);
  });

  it('continues from a previous CRC', () => {
    const all = enc.encode('hello, world, in two parts');
    expect(crc32(all.subarray(11), crc32(all.subarray(0, 11)))).toBe(crc32(all));
  });

  const nodeCrc32 = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;
  it.skipIf(nodeCrc32 === undefined)(
    "agrees with node:zlib's crc32 on every length to 70 and unaligned views",
    () => {
      const rand = mulberry32(7);
      const buf = new Uint8Array(100_003).map(() => Math.floor(rand() * 256));
      for (let n = 0; n <= 70; n++) {
        for (const off of [0, 1, 3, 5]) {
          const v = buf.subarray(off, off + n);
          expect(crc32(v)).toBe(nodeCrc32!(v));
        }
      }
      expect(crc32(buf)).toBe(nodeCrc32!(buf));
      expect(crc32(buf.subarray(7))).toBe(nodeCrc32!(buf.subarray(7)));
    },
  );
});
