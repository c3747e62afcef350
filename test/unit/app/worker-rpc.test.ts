/**
 * The one typed client both workers' page sides use (src/app/shared/worker-rpc.ts), against a fake
 * port at the Worker boundary (postMessage/onmessage/onerror/terminate; Node has no Worker): what
 * is checked is the client's bookkeeping (ids, progress, cancel, errors, crashes, restarts).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { T2LError } from '../../../src/core/errors';
import { createWorkerClient } from '../../../src/app/shared/worker-client';
import {
  createRpcClient,
  WorkerCallError,
  type RpcOptions,
} from '../../../src/app/shared/worker-rpc';
import type { RpcInbound, RpcOutbound, WorkerError } from '../../../src/app/worker/rpc-protocol';

interface TestMethods {
  echo: { params: { text: string }; result: string };
  slow: { params: null; result: number };
}
type TestProgress = { step: number } | { type: 'guard'; ms: number } | { type: 'guard-end' };
type In = RpcInbound<TestMethods>;
type Out = RpcOutbound<TestProgress>;

class FakePort {
  onmessage: ((e: MessageEvent<Out>) => void) | null = null;
  onerror: ((e: ErrorEvent) => void) | null = null;
  sent: In[] = [];
  /** The transfer list each message was posted with. */
  transfers: Transferable[][] = [];
  terminated = false;
  postMessage(msg: In, transfer: Transferable[] = []) {
    this.sent.push(msg);
    this.transfers.push(transfer);
  }
  terminate() {
    this.terminated = true;
  }
  reply(msg: Out) {
    this.onmessage?.({ data: msg } as MessageEvent<Out>);
  }
  crash(message: string) {
    let prevented = false;
    this.onerror?.({ message, preventDefault: () => (prevented = true) } as unknown as ErrorEvent);
    return prevented;
  }
  /** The ids of the calls sent to this port. */
  callIds() {
    return this.sent.filter((m) => m.type === 'call').map((m) => m.id);
  }
}

const options = (o: Partial<RpcOptions<TestProgress>> = {}): RpcOptions<TestProgress> => ({
  name: 'test worker',
  cancel: { settle: 'by-worker' },
  ...o,
});

describe('the typed worker client', () => {
  let ports: FakePort[];
  const spawn = () => {
    const p = new FakePort();
    ports.push(p);
    return p;
  };
  beforeEach(() => {
    ports = [];
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('sends typed calls with fresh ids and matches each reply to its call, in any order', async () => {
    const client = createRpcClient<TestMethods, TestProgress>(spawn, options());
    const a = client.call('echo', { text: 'a' });
    const b = client.call('echo', { text: 'b' });
    expect(ports).toHaveLength(1);
    const [p] = ports;
    expect(p!.sent).toEqual([
      { type: 'call', id: 1, method: 'echo', params: { text: 'a' } },
      { type: 'call', id: 2, method: 'echo', params: { text: 'b' } },
    ]);
    p!.reply({ type: 'result', id: 2, result: 'B' });
    p!.reply({ type: 'result', id: 1, result: 'A' });
    await expect(a).resolves.toBe('A');
    await expect(b).resolves.toBe('B');
    // A reply for no call (or a second reply) is ignored.
    p!.reply({ type: 'result', id: 1, result: 'again' });
    p!.reply({ type: 'result', id: 99, result: 'stray' });
  });

  it("delivers each call's progress to its own callback, in order, until it settles", async () => {
    const client = createRpcClient<TestMethods, TestProgress>(spawn, options());
    const seenA: TestProgress[] = [];
    const seenB: TestProgress[] = [];
    const a = client.call('slow', null, { onProgress: (p) => seenA.push(p) });
    const b = client.call('slow', null, { onProgress: (p) => seenB.push(p) });
    const p = ports[0]!;
    p.reply({ type: 'progress', id: 1, progress: { step: 1 } });
    p.reply({ type: 'progress', id: 2, progress: { step: 10 } });
    p.reply({ type: 'progress', id: 1, progress: { step: 2 } });
    p.reply({ type: 'result', id: 1, result: 3 });
    p.reply({ type: 'progress', id: 1, progress: { step: 3 } });
    p.reply({ type: 'result', id: 2, result: 4 });
    await expect(a).resolves.toBe(3);
    await expect(b).resolves.toBe(4);
    expect(seenA).toEqual([{ step: 1 }, { step: 2 }]);
    expect(seenB).toEqual([{ step: 10 }]);
  });

  it("turns the worker's error into a WorkerCallError with its code, message and HTTP facts", async () => {
    const client = createRpcClient<TestMethods, TestProgress>(spawn, options());
    const call = client.call('echo', { text: 'x' });
    const error: WorkerError = {
      code: 'http',
      message: 'GET https://hub/x.onnx: 404',
      status: 404,
      url: 'https://hub/x.onnx',
    };
    ports[0]!.reply({ type: 'error', id: 1, error });
    const e = await call.catch((x: unknown) => x);
    expect(e).toBeInstanceOf(WorkerCallError);
    expect((e as WorkerCallError).detail).toEqual(error);
    expect((e as WorkerCallError).message).toBe(error.message);

    // A T2LError's code crosses unchanged.
    const bad = client.call('echo', { text: 'y' });
    ports[0]!.reply({
      type: 'error',
      id: 2,
      error: { code: 'bad-package', message: 't2l.json: moduleOrder is not a permutation' },
    });
    await expect(bad).rejects.toMatchObject({
      name: 'WorkerCallError',
      detail: { code: 'bad-package' },
    });
  });

  it("is the project's error type: the worker's codes are T2LError codes, an unknown one 'internal'", async () => {
    const client = createRpcClient<TestMethods, TestProgress>(spawn, options());
    const sent: WorkerError[] = [
      {
        code: 'http',
        message: 'GET https://hub/x.onnx: 503',
        status: 503,
        url: 'https://hub/x.onnx',
      },
      { code: 'cancelled', message: 'Cancelled.' },
      { code: 'internal', message: 'out of memory' },
      { code: 'bad-safetensors', message: 'x.safetensors: header is not JSON' },
      // A worker of another version may send a code this page does not know.
      { code: 'no-such-code' as WorkerError['code'], message: 'something new' },
    ];
    const calls = sent.map(() => client.call('echo', { text: 'x' }).catch((e: unknown) => e));
    for (const [i, error] of sent.entries()) ports[0]!.reply({ type: 'error', id: i + 1, error });
    const got = await Promise.all(calls);
    for (const e of got) expect(e).toBeInstanceOf(T2LError);
    expect(got.map((e) => (e as T2LError).code)).toEqual([
      'http',
      'cancelled',
      'internal',
      'bad-safetensors',
      'internal',
    ]);
    // The worker's own words are kept whole, the unknown code included.
    expect(got.map((e) => (e as WorkerCallError).detail)).toEqual(sent);
    expect(got.map((e) => (e as Error).message)).toEqual(sent.map((s) => s.message));

    // Cancelled in the page (no worker answer) and a crashed worker: T2LError codes as well.
    const aborted = new AbortController();
    aborted.abort();
    await expect(
      client.call('echo', { text: 'z' }, { signal: aborted.signal }),
    ).rejects.toMatchObject({ code: 'cancelled', name: 'WorkerCallError' });
    const held = client.call('slow', null).catch((e: unknown) => e);
    ports[0]!.crash('lost');
    expect(await held).toMatchObject({ code: 'internal' });
    expect(await held).toBeInstanceOf(T2LError);
  });

  it('a worker that crashes fails every call it held; the next call starts a new worker', async () => {
    const client = createRpcClient<TestMethods, TestProgress>(spawn, options());
    const a = client.call('echo', { text: 'a' });
    const b = client.call('slow', null);
    const first = ports[0]!;
    expect(first.crash('out of memory')).toBe(true);
    const message = 'The test worker stopped: out of memory';
    await expect(a).rejects.toMatchObject({ detail: { code: 'internal', message } });
    await expect(b).rejects.toMatchObject({ detail: { code: 'internal', message } });
    await expect(a).rejects.toBeInstanceOf(WorkerCallError);
    expect(first.terminated).toBe(true);

    const c = client.call('echo', { text: 'c' });
    expect(ports).toHaveLength(2);
    expect(ports[1]!.callIds()).toEqual([3]);
    ports[1]!.reply({ type: 'result', id: 3, result: 'C' });
    await expect(c).resolves.toBe('C');
    // One that could not be loaded says so.
    const d = client.call('slow', null);
    ports[1]!.crash('');
    await expect(d).rejects.toMatchObject({
      detail: { message: 'The test worker stopped: it could not be loaded' },
    });
  });

  it('an already-aborted signal rejects as cancelled without sending anything', async () => {
    const client = createRpcClient<TestMethods, TestProgress>(spawn, options());
    const call = client.call('slow', null, { signal: AbortSignal.abort() });
    await expect(call).rejects.toMatchObject({ detail: { code: 'cancelled' } });
    expect(ports.flatMap((p) => p.sent)).toEqual([]);
  });

  it("'by-worker' cancel: sends the cancel and settles with what the worker answers", async () => {
    const client = createRpcClient<TestMethods, TestProgress>(spawn, options());
    const stop = new AbortController();
    const call = client.call('echo', { text: 'long' }, { signal: stop.signal });
    const settled = vi.fn();
    void call.then(settled, settled);
    stop.abort();
    const p = ports[0]!;
    expect(p.sent.at(-1)).toEqual({ type: 'cancel', id: 1 });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(settled).not.toHaveBeenCalled();
    expect(p.terminated).toBe(false);
    p.reply({ type: 'result', id: 1, result: 'the text so far' });
    await expect(call).resolves.toBe('the text so far');
    expect(client.restarts).toBe(0);
  });

  it("'at-once' cancel: rejects at once; a worker that lets go in time is kept", async () => {
    const client = createRpcClient<TestMethods, TestProgress>(
      spawn,
      options({ cancel: { settle: 'at-once', graceMs: 1500 } }),
    );
    const stop = new AbortController();
    const call = client.call('slow', null, { signal: stop.signal });
    stop.abort();
    await expect(call).rejects.toMatchObject({
      detail: { code: 'cancelled', message: 'Cancelled.' },
    });
    const p = ports[0]!;
    expect(p.sent.at(-1)).toEqual({ type: 'cancel', id: 1 });
    p.reply({ type: 'error', id: 1, error: { code: 'cancelled', message: 'Cancelled.' } });
    await vi.advanceTimersByTimeAsync(2000);
    expect(p.terminated).toBe(false);
    expect(client.restarts).toBe(0);
  });

  it("'at-once' cancel: a worker still busy after the grace is replaced and the waiting calls re-sent", async () => {
    const client = createRpcClient<TestMethods, TestProgress>(
      spawn,
      options({ cancel: { settle: 'at-once', graceMs: 1500 } }),
    );
    const stop = new AbortController();
    const stuck = client.call('slow', null, { signal: stop.signal });
    const waiting = client.call('echo', { text: 'next' });
    stop.abort();
    await expect(stuck).rejects.toMatchObject({ detail: { code: 'cancelled' } });
    await vi.advanceTimersByTimeAsync(1499);
    expect(ports).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(ports[0]!.terminated).toBe(true);
    expect(ports).toHaveLength(2);
    expect(client.restarts).toBe(1);
    expect(ports[1]!.sent).toEqual([
      { type: 'call', id: 2, method: 'echo', params: { text: 'next' } },
    ]);
    ports[1]!.reply({ type: 'result', id: 2, result: 'NEXT' });
    await expect(waiting).resolves.toBe('NEXT');
  });

  it("'at-once' cancel: progress from the cancelled call is not letting go of it", async () => {
    const client = createRpcClient<TestMethods, TestProgress>(
      spawn,
      options({ cancel: { settle: 'at-once', graceMs: 1500 } }),
    );
    const stop = new AbortController();
    const stuck = client.call('slow', null, { signal: stop.signal });
    const waiting = client.call('echo', { text: 'next' });
    stop.abort();
    await expect(stuck).rejects.toMatchObject({ detail: { code: 'cancelled' } });
    // Still working on it (a download that does not look at the cancel): not done with it.
    ports[0]!.reply({ type: 'progress', id: 1, progress: { step: 1 } });
    await vi.advanceTimersByTimeAsync(1500);
    expect(ports[0]!.terminated).toBe(true);
    expect(client.restarts).toBe(1);
    expect(ports[1]!.callIds()).toEqual([2]);
    ports[1]!.reply({ type: 'result', id: 2, result: 'NEXT' });
    await expect(waiting).resolves.toBe('NEXT');
  });

  it('moves the buffers a call names to the worker; such a call is failed, not re-sent, when its worker is replaced', async () => {
    const client = createRpcClient<TestMethods, TestProgress>(
      spawn,
      options({ cancel: { settle: 'at-once', graceMs: 1500 } }),
    );
    const buffer = new ArrayBuffer(8);
    const stop = new AbortController();
    const stuck = client.call('slow', null, { signal: stop.signal });
    const moved = client.call('echo', { text: 'big' }, { transfer: [buffer] });
    const plain = client.call('echo', { text: 'small' });
    expect(ports[0]!.transfers).toEqual([[], [buffer], []]);
    // Settled while the timers run below: its outcome is taken now, so no rejection goes unhandled.
    const movedOutcome = moved.then(
      () => null,
      (e: unknown) => e,
    );
    stop.abort();
    await expect(stuck).rejects.toMatchObject({ detail: { code: 'cancelled' } });
    await vi.advanceTimersByTimeAsync(1500);
    expect(ports).toHaveLength(2);
    // Its buffer stayed with the old worker: re-sending it would send nothing.
    expect(await movedOutcome).toMatchObject({
      detail: { code: 'internal', message: expect.stringMatching(/restarted while holding/) },
    });
    expect(ports[1]!.callIds()).toEqual([3]);
    ports[1]!.reply({ type: 'result', id: 3, result: 'SMALL' });
    await expect(plain).resolves.toBe('SMALL');
  });

  it('a watchdog a progress event arms stops the worker when it is not disarmed in time', async () => {
    const client = createRpcClient<TestMethods, TestProgress>(
      spawn,
      options({
        watch: (p) =>
          'type' in p
            ? p.type === 'guard'
              ? {
                  ms: p.ms,
                  error: { code: 'bad-input', message: 'too slow' },
                  othersMessage: 'stopped for another call',
                }
              : 'disarm'
            : undefined,
      }),
    );
    const seen: TestProgress[] = [];
    const kept = client.call('slow', null, { onProgress: (p) => seen.push(p) });
    const p = ports[0]!;
    p.reply({ type: 'progress', id: 1, progress: { type: 'guard', ms: 100 } });
    await vi.advanceTimersByTimeAsync(99);
    p.reply({ type: 'progress', id: 1, progress: { type: 'guard-end' } });
    await vi.advanceTimersByTimeAsync(1000);
    expect(p.terminated).toBe(false);
    expect(seen).toEqual([]); // the client's own events are not passed on
    p.reply({ type: 'result', id: 1, result: 1 });
    await expect(kept).resolves.toBe(1);

    const slow = client.call('slow', null);
    const other = client.call('echo', { text: 'o' });
    const slowFailed = expect(slow).rejects.toMatchObject({
      detail: { code: 'bad-input', message: 'too slow' },
    });
    const otherFailed = expect(other).rejects.toMatchObject({
      detail: { message: 'stopped for another call' },
    });
    p.reply({ type: 'progress', id: 2, progress: { type: 'guard', ms: 100 } });
    await vi.advanceTimersByTimeAsync(99);
    expect(p.terminated).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(p.terminated).toBe(true);
    await slowFailed;
    await otherFailed;
  });

  it('a call that settles while its watchdog is armed takes the watchdog with it', async () => {
    const client = createRpcClient<TestMethods, TestProgress>(
      spawn,
      options({
        watch: (p) =>
          'type' in p && p.type === 'guard'
            ? {
                ms: p.ms,
                error: { code: 'bad-input', message: 'too slow' },
                othersMessage: 'stopped for another call',
              }
            : undefined,
      }),
    );
    const first = client.call('slow', null);
    const p = ports[0]!;
    p.reply({ type: 'progress', id: 1, progress: { type: 'guard', ms: 100 } });
    // Answered (an error, say) without the event that disarms: the call is over all the same.
    p.reply({ type: 'result', id: 1, result: 1 });
    await expect(first).resolves.toBe(1);
    const next = client.call('echo', { text: 'n' });
    await vi.advanceTimersByTimeAsync(1000);
    expect(p.terminated).toBe(false);
    p.reply({ type: 'result', id: 2, result: 'N' });
    await expect(next).resolves.toBe('N');
  });

  it('terminate() fails what the worker held and the next call starts a new one', async () => {
    const client = createRpcClient<TestMethods, TestProgress>(spawn, options());
    const a = client.call('slow', null);
    client.terminate();
    expect(ports[0]!.terminated).toBe(true);
    await expect(a).rejects.toMatchObject({ detail: { message: 'The test worker was stopped.' } });
    void client.call('slow', null);
    expect(ports).toHaveLength(2);
  });

  it("the T2L worker's client replaces a worker stuck in a cancelled call within 2 s", async () => {
    const t2lPorts: FakePort[] = [];
    const client = createWorkerClient(() => {
      const p = new FakePort();
      t2lPorts.push(p);
      return p as never;
    });
    const stop = new AbortController();
    const stuck = client.call('release', null, { signal: stop.signal });
    stop.abort();
    await expect(stuck).rejects.toMatchObject({ detail: { code: 'cancelled' } });
    // A moment to let go (a run between two steps notices the cancel), then a fresh worker: the
    // next generation does not wait for a synchronous wasm run that cannot be interrupted.
    await vi.advanceTimersByTimeAsync(100);
    expect(client.restarts).toBe(0);
    await vi.advanceTimersByTimeAsync(1900);
    expect(t2lPorts[0]!.terminated).toBe(true);
    expect(client.restarts).toBe(1);
  });

  it("the T2L worker's client names the generation worker when it crashes", async () => {
    const t2lPorts: FakePort[] = [];
    const client = createWorkerClient(() => {
      const p = new FakePort();
      t2lPorts.push(p);
      return p as never;
    });
    const call = client.call('release', null);
    t2lPorts[0]!.crash('boom');
    await expect(call).rejects.toMatchObject({
      detail: { code: 'internal', message: 'The generation worker stopped: boom' },
    });
  });
});
