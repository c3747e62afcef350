import { describe, expect, it } from 'vitest';
import { urlSource } from '../../../src/core/files';

/** A fetch answering with a body streamed in chunks and the given headers. */
function fakeFetch(body: Uint8Array, headers: Record<string, string>, chunk = 7): typeof fetch {
  return (async () => {
    let at = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        if (at >= body.length) return c.close();
        c.enqueue(body.slice(at, at + chunk));
        at += chunk;
      },
    });
    return new Response(stream, { status: 200, headers });
  }) as typeof fetch;
}

describe('urlSource reads whole bodies', () => {
  const body = new Uint8Array(1000).map((_, i) => (i * 31) % 256);

  it('into one buffer of the announced length', async () => {
    const f = fakeFetch(body, { 'content-length': '1000' });
    const bytes = await urlSource('http://x/', { fetch: f }).read('a.bin');
    expect(bytes.buffer.byteLength).toBe(1000);
    expect(Array.from(bytes)).toEqual(Array.from(body));
  });

  it('without a length, or with a wrong one', async () => {
    const cases: Record<string, string>[] = [
      {},
      { 'content-length': '10' },
      { 'content-length': '5000' },
    ];
    for (const headers of cases) {
      const bytes = await urlSource('http://x/', { fetch: fakeFetch(body, headers) }).read('a');
      expect(Array.from(bytes)).toEqual(Array.from(body));
    }
  });
});
