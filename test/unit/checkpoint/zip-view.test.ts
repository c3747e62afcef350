import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { zipMembers } from '../../../src/core/checkpoint/zip-view';

const enc = new TextEncoder();

describe('zipMembers', () => {
  const a = new Uint8Array(1000).map((_, i) => i % 251);
  const b = enc.encode('hello, world '.repeat(50));

  it('returns stored members as views into the archive, deflated ones inflated', () => {
    const zip = zipSync({ 'r/a': [a, { level: 0 }], 'r/b': [b, { level: 6 }] });
    const m = zipMembers(zip);
    expect(Array.from(m['r/a']!)).toEqual(Array.from(a));
    expect(m['r/a']!.buffer).toBe(zip.buffer);
    expect(new TextDecoder().decode(m['r/b'])).toBe(new TextDecoder().decode(b));
    expect(m['r/b']!.buffer).not.toBe(zip.buffer);
  });

  it('reads only the members asked for', () => {
    const zip = zipSync({ 'r/a': [a, { level: 0 }], 'r/b': [b, { level: 0 }] });
    expect(Object.keys(zipMembers(zip, (n) => n.endsWith('b')))).toEqual(['r/b']);
  });

  it('reads a zip64 end of central directory', () => {
    const zip = zipSync({ 'r/a': [a, { level: 0 }] });
    // Rewrite the classic end record as zip64 record + locator + classic record with 0xffff…
    const eocd = zip.length - 22;
    const v = new DataView(zip.buffer, zip.byteOffset);
    const count = v.getUint16(eocd + 10, true);
    const size = v.getUint32(eocd + 12, true);
    const offset = v.getUint32(eocd + 16, true);
    const out = new Uint8Array(eocd + 56 + 20 + 22);
    out.set(zip.subarray(0, eocd));
    const o = new DataView(out.buffer);
    const rec = eocd;
    o.setUint32(rec, 0x06064b50, true);
    o.setBigUint64(rec + 4, 44n, true);
    o.setBigUint64(rec + 24, BigInt(count), true);
    o.setBigUint64(rec + 32, BigInt(count), true);
    o.setBigUint64(rec + 40, BigInt(size), true);
    o.setBigUint64(rec + 48, BigInt(offset), true);
    const loc = rec + 56;
    o.setUint32(loc, 0x07064b50, true);
    o.setBigUint64(loc + 8, BigInt(rec), true);
    o.setUint32(loc + 16, 1, true);
    const end = loc + 20;
    o.setUint32(end, 0x06054b50, true);
    o.setUint16(end + 8, 0xffff, true);
    o.setUint16(end + 10, 0xffff, true);
    o.setUint32(end + 12, 0xffffffff, true);
    o.setUint32(end + 16, 0xffffffff, true);
    expect(Array.from(zipMembers(out)['r/a']!)).toEqual(Array.from(a));
  });

  it('says what is wrong with a truncated or foreign file', () => {
    const zip = zipSync({ 'r/a': [a, { level: 0 }] });
    expect(() => zipMembers(zip.subarray(0, 500))).toThrow(/end-of-central-directory/);
    expect(() => zipMembers(enc.encode('not a zip'))).toThrow(/end-of-central-directory/);
  });
});
