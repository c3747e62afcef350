import { describe, expect, it } from 'vitest';
import { Received } from '../../../src/core/received';

const bytes = (...values: number[]) => Uint8Array.from(values);

describe('Received (the bytes of a download so far)', () => {
  it('fills the announced size in place, and gives that one buffer back', () => {
    const r = new Received();
    r.expect(5);
    r.push(bytes(1, 2));
    r.push(bytes(3, 4, 5));
    expect(r.length).toBe(5);
    const out = r.bytes();
    expect([...out]).toEqual([1, 2, 3, 4, 5]);
    expect(out.buffer.byteLength).toBe(5);
  });

  it('keeps every byte when more or fewer come than announced, or none was', () => {
    const more = new Received();
    more.expect(3);
    for (const c of [bytes(1, 2), bytes(3), bytes(4, 5)]) more.push(c);
    expect([...more.bytes()]).toEqual([1, 2, 3, 4, 5]);
    const fewer = new Received();
    fewer.expect(4);
    fewer.push(bytes(9, 8));
    expect([...fewer.bytes()]).toEqual([9, 8]);
    const unknown = new Received();
    for (const c of [bytes(7), bytes(6, 5), bytes(4)]) unknown.push(c);
    expect([unknown.length, ...unknown.bytes()]).toEqual([4, 7, 6, 5, 4]);
  });

  it('starts over after reset (a server that ignored the Range request)', () => {
    const r = new Received();
    r.expect(2);
    r.push(bytes(1, 1));
    r.reset();
    r.expect(3);
    r.push(bytes(2, 3, 4));
    expect([r.length, ...r.bytes()]).toEqual([3, 2, 3, 4]);
  });
});
