/**
 * The workers' message loop (src/app/worker/rpc-serve.ts), driven through a fake worker scope
 * (postMessage/onmessage; Node has no worker global), and end to end with the page's client
 * (shared/worker-rpc.ts) over a pair of fake ports: queue order, calls at once, cancel, errors,
 * progress, transfers.
 */
import { describe, expect, it } from 'vitest';
import { T2LError } from '../../../src/core/errors';
import { createRpcClient, type RpcPort } from '../../../src/app/shared/worker-rpc';
import type { RpcInbound, RpcOutbound, WorkerError } from '../../../src/app/worker/rpc-protocol';
import { serveRpc, type RpcScope, type ServeOptions } from '../../../src/app/worker/rpc-serve';

interface M {
  wait: { params: { ms: number; tag: string }; result: string };
  peek: { params: null; result: string };
  stream: { params: { n: number }; result: string };
}
type P = { chunk: string };
type In = RpcInbound<M>;
type Out = RpcOutbound<P>;

class FakeScope implements RpcScope<In, Out> {
  onmessage: ((e: MessageEvent<In>) => void) | null = null;
  out: { msg: Out; transfer: Transferable[] }[] = [];
  postMessage(msg: Out, options?: { transfer?: Transferable[] }) {
    this.out.push({ msg, transfer: options?.transfer ?? [] });
  }
  send(msg: In) {
    this.onmessage?.({ data: msg } as MessageEvent<In>);
  }
  answers() {
    return this.out.map((o) => o.msg).filter((m) => m.type !== 'progress');
  }
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      reject(signal.reason);
    });
  });

const toError = (e: unknown, signal: AbortSignal): WorkerError =>
  signal.aborted
    ? { code: 'cancelled', message: 'Cancelled.' }
    : e instanceof T2LError
      ? { code: e.code, message: e.message }
      : { code: 'internal', message: String(e) };

function serve(scope: FakeScope, extra: Partial<ServeOptions<M, P>> = {}) {
  const started: string[] = [];
  serveRpc<M, P>(scope, {
    accept: (call, { signal, progress }) => {
      return async () => {
        if (call.method === 'peek') return 'peeked';
        if (call.method === 'stream') {
          let text = '';
          for (let i = 0; i < call.params.n; i++) {
            if (signal.aborted) break;
            text += String(i);
            progress({ chunk: String(i) });
            await sleep(5);
          }
          return text;
        }
        started.push(call.params.tag);
        await sleep(call.params.ms, signal);
        if (call.params.tag === 'bad') throw new T2LError('bad-input', 'x.json: bad');
        return call.params.tag;
      };
    },
    lane: (method) => (method === 'peek' ? 'now' : 'queue'),
    toError,
    ...extra,
  });
  return started;
}

const settled = (scope: FakeScope, n: number) =>
  expect.poll(() => scope.answers().length, { timeout: 5000, interval: 5 }).toBe(n);

describe('the workers’ message loop', () => {
  it('runs queued calls one at a time in arrival order; a "now" call does not wait', async () => {
    const scope = new FakeScope();
    const started = serve(scope);
    scope.send({ type: 'call', id: 1, method: 'wait', params: { ms: 40, tag: 'a' } });
    scope.send({ type: 'call', id: 2, method: 'wait', params: { ms: 1, tag: 'b' } });
    scope.send({ type: 'call', id: 3, method: 'peek', params: null });
    await settled(scope, 3);
    expect(scope.answers()).toEqual([
      { type: 'result', id: 3, result: 'peeked' },
      { type: 'result', id: 1, result: 'a' },
      { type: 'result', id: 2, result: 'b' },
    ]);
    expect(started).toEqual(['a', 'b']);
  });

  it('a cancel aborts a running or queued call, which answers cancelled; the next runs', async () => {
    const scope = new FakeScope();
    const started = serve(scope);
    scope.send({ type: 'call', id: 1, method: 'wait', params: { ms: 10_000, tag: 'long' } });
    scope.send({ type: 'call', id: 2, method: 'wait', params: { ms: 10_000, tag: 'queued' } });
    scope.send({ type: 'call', id: 3, method: 'wait', params: { ms: 1, tag: 'next' } });
    await expect.poll(() => started, { interval: 5 }).toEqual(['long']);
    scope.send({ type: 'cancel', id: 2 });
    scope.send({ type: 'cancel', id: 1 });
    await settled(scope, 3);
    const cancelled = { code: 'cancelled', message: 'Cancelled.' };
    expect(scope.answers()).toEqual([
      { type: 'error', id: 1, error: cancelled },
      { type: 'error', id: 2, error: cancelled },
      { type: 'result', id: 3, result: 'next' },
    ]);
    expect(started).toEqual(['long', 'next']); // the queued one never started
  });

  it('an error is answered with the code toError gives (a T2LError keeps its code)', async () => {
    const scope = new FakeScope();
    serve(scope);
    scope.send({ type: 'call', id: 7, method: 'wait', params: { ms: 1, tag: 'bad' } });
    await settled(scope, 1);
    expect(scope.answers()).toEqual([
      { type: 'error', id: 7, error: { code: 'bad-input', message: 'x.json: bad' } },
    ]);
  });

  it('progress goes out under the call’s id; a method that keeps its result answers it when stopped', async () => {
    const scope = new FakeScope();
    serve(scope, { keepsResultWhenCancelled: (m) => m === 'stream' });
    scope.send({ type: 'call', id: 4, method: 'stream', params: { n: 1000 } });
    await expect.poll(() => scope.out.length, { interval: 5 }).toBeGreaterThan(2);
    scope.send({ type: 'cancel', id: 4 });
    await settled(scope, 1);
    const progress = scope.out.filter((o) => o.msg.type === 'progress').map((o) => o.msg);
    expect(progress.every((m) => m.id === 4)).toBe(true);
    const text = progress.map((m) => (m.type === 'progress' ? m.progress.chunk : '')).join('');
    expect(scope.answers()).toEqual([{ type: 'result', id: 4, result: text }]);
    expect(text.length).toBeLessThan(1000);
  });

  it('a method that does not keep its result answers cancelled when stopped', async () => {
    const scope = new FakeScope();
    serve(scope);
    scope.send({ type: 'call', id: 5, method: 'stream', params: { n: 1000 } });
    await expect.poll(() => scope.out.length, { interval: 5 }).toBeGreaterThan(2);
    scope.send({ type: 'cancel', id: 5 });
    await settled(scope, 1);
    expect(scope.answers()).toEqual([
      { type: 'error', id: 5, error: { code: 'cancelled', message: 'Cancelled.' } },
    ]);
  });

  it('moves the buffers transfer() names and says when each call was answered', async () => {
    const scope = new FakeScope();
    const buffer = new ArrayBuffer(8);
    const answered: string[] = [];
    serve(scope, {
      transfer: (r) => (r === 'peeked' ? [buffer] : []),
      answered: (m, arrivedAt) => {
        expect(arrivedAt).toBeLessThanOrEqual(performance.now());
        answered.push(String(m));
      },
    });
    scope.send({ type: 'call', id: 1, method: 'peek', params: null });
    scope.send({ type: 'call', id: 2, method: 'wait', params: { ms: 1, tag: 't' } });
    await settled(scope, 2);
    expect(scope.out.find((o) => o.msg.id === 1)?.transfer).toEqual([buffer]);
    expect(scope.out.find((o) => o.msg.id === 2)?.transfer).toEqual([]);
    await expect.poll(() => answered).toEqual(['peek', 'wait']);
  });

  it('the page’s client and the loop speak the same protocol', async () => {
    const scope = new FakeScope();
    serve(scope);
    // A port pair: the client's postMessage feeds the loop; the loop's answers feed the client.
    const port: RpcPort<In, Out> = {
      onmessage: null,
      onerror: null,
      postMessage: (msg) => queueMicrotask(() => scope.send(msg)),
      terminate: () => undefined,
    };
    scope.postMessage = (msg) => queueMicrotask(() => port.onmessage?.({ data: msg } as never));
    const client = createRpcClient<M, P>(() => port, {
      name: 'w',
      cancel: { settle: 'by-worker' },
    });
    const chunks: string[] = [];
    await expect(
      client.call('stream', { n: 3 }, { onProgress: (p) => chunks.push(p.chunk) }),
    ).resolves.toBe('012');
    expect(chunks).toEqual(['0', '1', '2']);
    await expect(client.call('wait', { ms: 1, tag: 'bad' })).rejects.toMatchObject({
      detail: { code: 'bad-input', message: 'x.json: bad' },
    });
    const stop = new AbortController();
    const long = client.call('wait', { ms: 10_000, tag: 'long' }, { signal: stop.signal });
    setTimeout(() => stop.abort(), 5);
    await expect(long).rejects.toMatchObject({ detail: { code: 'cancelled' } });
  });
});
