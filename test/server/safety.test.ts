/** Bad input answers 400 naming the problem; auth (401), body limit (413), CORS and Host checks. */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bytesBuffer,
  E,
  f32Buffer,
  makeFixture,
  postBinary,
  postJson,
  serve,
  type Fixture,
  type Running,
} from './helpers';
import { conformanceInputs } from '../support/conformance';

let fx: Fixture;
let open: Running; // no token, encoder, small limits
let locked: Running; // token + CORS allow-list, no encoder
let quick: Running; // a 1 s request timeout, no encoder
const TOKEN = 's3cret-token';
const APP = 'http://localhost:5199';

beforeAll(async () => {
  fx = await makeFixture();
  [open, locked, quick] = await Promise.all([
    serve({
      modelsDir: fx.modelsDir,
      encoder: fx.encoderDir,
      maxBatch: 4,
      maxBody: 64 * 1024,
      maxDescriptionChars: 40,
    }),
    serve({ modelsDir: fx.modelsDir, token: TOKEN, corsOrigins: [APP] }),
    serve({ modelsDir: fx.modelsDir, timeoutMs: 1000 }),
  ]);
});

afterAll(async () => {
  await Promise.all([open?.server.close(), locked?.server.close(), quick?.server.close()]);
  await fx?.cleanup();
});

const ROW = Array.from(conformanceInputs('L-sft').taskEmb.data.subarray(0, E));
const row = () => [...ROW];
const embInput = (extra: Record<string, unknown> = {}) => ({
  name: 'task_emb',
  shape: [1, E],
  datatype: 'FP32',
  data: row(),
  ...extra,
});

async function expect400(res: Response, message: RegExp) {
  expect(res.status).toBe(400);
  expect(res.headers.get('content-type')).toMatch(/application\/json/);
  const body = await res.json();
  expect(Object.keys(body)).toEqual(['error']);
  expect(body.error).toMatch(message);
}

describe('each bad inference request answers 400 with a message naming the problem', () => {
  const cases: Array<[string, unknown, RegExp]> = [
    ['not JSON', '{"inputs": [', /must be a JSON object/],
    ['a JSON array', '[1, 2]', /must be a JSON object/],
    [
      'no inputs',
      {},
      /request body: inputs: expected array, found nothing; model L-sft takes task_emb \(FP32 \[-1, 1024\]\)/,
    ],
    ['empty inputs', { inputs: [] }, /inputs: expected array to have >=1 items, found \[\]/],
    [
      'unknown input name',
      { inputs: [embInput({ name: 'task_embedding' })] },
      /unknown input "task_embedding"/,
    ],
    [
      'input without a name',
      { inputs: [{ shape: [1, E], datatype: 'FP32', data: row() }] },
      /inputs\[0\]\.name: expected string, found nothing/,
    ],
    [
      'wrong datatype',
      { inputs: [embInput({ datatype: 'FP16' })] },
      /input "task_emb": datatype must be FP32, found "FP16"/,
    ],
    [
      'missing datatype',
      { inputs: [embInput({ datatype: undefined })] },
      /inputs\[0\]\.datatype: expected string, found nothing/,
    ],
    [
      'wrong width',
      { inputs: [embInput({ shape: [1, 512], data: row().slice(0, 512) })] },
      /shape \[1, 512\] does not fit \[-1, 1024\]/,
    ],
    [
      '1-D shape',
      { inputs: [embInput({ shape: [E] })] },
      /shape \[1024\] does not fit \[-1, 1024\]/,
    ],
    [
      'negative dimension',
      { inputs: [embInput({ shape: [-1, E] })] },
      /inputs\[0\]\.shape\[0\]: expected number to be >=0, found -1/,
    ],
    [
      'fractional dimension',
      { inputs: [embInput({ shape: [1.5, E] })] },
      /inputs\[0\]\.shape\[0\]: expected an integer, found 1\.5/,
    ],
    [
      'a shape declaring more elements than can be allocated',
      { inputs: [embInput({ shape: [2 ** 20, 2 ** 20], data: [] })] },
      /inputs\[0\]\.shape: expected at most 2147483648 elements, found shape \[1048576, 1048576\]/,
    ],
    [
      'a shape of too many dimensions',
      { inputs: [embInput({ shape: new Array(9).fill(1) })] },
      /inputs\[0\]\.shape: expected array to have <=8 items/,
    ],
    [
      'a parameter that is not a scalar',
      { inputs: [embInput({ parameters: { x: { y: 1 } } })] },
      /inputs\[0\]\.parameters\.x: expected a string, number or boolean, found \{"y":1\}/,
    ],
    [
      'binary_data_size not an integer',
      { inputs: [embInput({ data: undefined, parameters: { binary_data_size: -4 } })] },
      /inputs\[0\]\.parameters\.binary_data_size: expected number to be >=0, found -4/,
    ],
    ['empty batch', { inputs: [embInput({ shape: [0, E], data: [] })] }, /the batch is empty/],
    [
      'batch over --max-batch',
      { inputs: [embInput({ shape: [5, E], data: new Array(5 * E).fill(0.1) })] },
      /batch of 5 is more than this server takes in one request \(4, --max-batch\)/,
    ],
    [
      'too few values',
      { inputs: [embInput({ data: row().slice(1) })] },
      /"data" has 1023 elements, but shape \[1, 1024\] needs 1024/,
    ],
    [
      'nested data of the wrong size',
      { inputs: [embInput({ data: [row().slice(1)] })] },
      /data\[0\] must be an array of 1024/,
    ],
    [
      'a string value',
      { inputs: [embInput({ data: ['NaN', ...row().slice(1)] })] },
      /data value 0 is "NaN", expected a number/,
    ],
    [
      'a null value (NaN in JSON encoders)',
      { inputs: [embInput({ data: [...row().slice(1), null] })] },
      /data value 1023 is null, expected a number/,
    ],
    [
      'a value overflowing FP32',
      { inputs: [embInput({ data: [1e39, ...row().slice(1)] })] },
      /value 0 is Infinity as FP32; task embeddings must be finite/,
    ],
    [
      'data not an array',
      { inputs: [embInput({ data: 'abc' })] },
      /inputs\[0\]\.data: expected array, found "abc"/,
    ],
    [
      'no data',
      { inputs: [embInput({ data: undefined })] },
      /no "data" and no parameters.binary_data_size/,
    ],
    [
      'the same input twice',
      { inputs: [embInput(), embInput()] },
      /input "task_emb" is given twice/,
    ],
    [
      'both inputs',
      { inputs: [embInput(), { name: 'description', shape: [1], datatype: 'BYTES', data: ['x'] }] },
      /give one input, task_emb or description, not both/,
    ],
    [
      'unknown output',
      { inputs: [embInput()], outputs: [{ name: 'q_proj.lora_C' }] },
      /unknown output "q_proj.lora_C"; model L-sft has q_proj.lora_A/,
    ],
    [
      'an output twice',
      { inputs: [embInput()], outputs: [{ name: 'q_proj.lora_A' }, { name: 'q_proj.lora_A' }] },
      /output "q_proj.lora_A" is requested twice/,
    ],
    [
      'task_emb output for a task_emb input',
      { inputs: [embInput()], outputs: [{ name: 'task_emb' }] },
      /output "task_emb" is the embedding of a description input/,
    ],
    [
      'binary_data not a boolean',
      {
        inputs: [embInput()],
        outputs: [{ name: 'q_proj.lora_A', parameters: { binary_data: 'yes' } }],
      },
      /outputs\[0\]\.parameters\.binary_data: expected boolean, found "yes"/,
    ],
    [
      'shared memory',
      { inputs: [embInput({ parameters: { shared_memory_region: 'r0' } })] },
      /parameter "shared_memory_region" is not supported/,
    ],
    ['id not a string', { id: 7, inputs: [embInput()] }, /id: expected string, found 7/],
    [
      'binary size without the header',
      { inputs: [embInput({ data: undefined, parameters: { binary_data_size: 4 * E } })] },
      /binary_data_size needs the Inference-Header-Content-Length header/,
    ],
    [
      'empty description',
      { inputs: [{ name: 'description', shape: [1], datatype: 'BYTES', data: ['   '] }] },
      /description 0: The task description is empty/,
    ],
    [
      'description over the limit',
      { inputs: [{ name: 'description', shape: [1], datatype: 'BYTES', data: ['x'.repeat(41)] }] },
      /description 0 has 41 characters; this server takes at most 40/,
    ],
    [
      'description not a string',
      { inputs: [{ name: 'description', shape: [1], datatype: 'BYTES', data: [42] }] },
      /element 0 is 42, expected a string/,
    ],
    [
      'description as FP32',
      { inputs: [{ name: 'description', shape: [1], datatype: 'FP32', data: [1] }] },
      /input "description": datatype must be BYTES/,
    ],
  ];
  it.each(cases)('%s', async (_name, body, message) => {
    await expect400(await postJson(`${open.url}/v2/models/L-sft/infer`, body), message);
  });

  it('a body nested 20 000 deep, to /infer and to /v1/adapters', async () => {
    const deep = '['.repeat(20000) + ']'.repeat(20000);
    await expect400(
      await postJson(`${open.url}/v2/models/L-sft/infer`, `{"inputs": ${deep}}`),
      /nested deeper than 64 levels/,
    );
    await expect400(
      await postJson(`${open.url}/v1/adapters`, `{"model": "L-sft", "description": ${deep}}`),
      /nested deeper than 64 levels/,
    );
  });

  it('description on a server without an encoder says how to enable it', async () => {
    const res = await postJson(
      `${locked.url}/v2/models/L-sft/infer`,
      { inputs: [{ name: 'description', shape: [1], datatype: 'BYTES', data: ['Summarize'] }] },
      { Authorization: `Bearer ${TOKEN}` },
    );
    await expect400(res, /no text encoder for model L-sft \(start it with --encoder\)/);
  });
});

describe('bad binary bodies answer 400', () => {
  const header = (size: number) => ({
    inputs: [
      { name: 'task_emb', shape: [1, E], datatype: 'FP32', parameters: { binary_data_size: size } },
    ],
  });
  const url = () => `${open.url}/v2/models/L-pkg/infer`;

  it('binary_data_size not matching the shape', async () => {
    await expect400(
      await postBinary(url(), header(4 * E - 4), [f32Buffer(row().slice(1))]),
      /binary_data_size is 4092, but FP32 \[1, 1024\] is 4096 bytes/,
    );
  });

  it('binary_data_size past the end of the body', async () => {
    await expect400(
      await postBinary(url(), header(4 * E), [f32Buffer(row().slice(1))]),
      /binary_data_size 4096 runs past the 4092 bytes of binary data/,
    );
  });

  it('bytes left over after the binary inputs', async () => {
    await expect400(
      await postBinary(url(), header(4 * E), [f32Buffer(row()), Buffer.alloc(8)]),
      /4104 bytes after the JSON part, but the inputs' binary_data_size add up to 4096/,
    );
  });

  it('a NaN or Infinity in binary data', async () => {
    for (const [bad, word] of [
      [NaN, 'NaN'],
      [-Infinity, '-Infinity'],
    ] as const) {
      const values = row();
      values[17] = bad;
      await expect400(
        await postBinary(url(), header(4 * E), [f32Buffer(values)]),
        new RegExp(`value 17 is ${word} as FP32; task embeddings must be finite`),
      );
    }
  });

  it('data and binary_data_size together', async () => {
    const json = { inputs: [{ ...header(4 * E).inputs[0], data: row() }] };
    await expect400(
      await postBinary(url(), json, [f32Buffer(row())]),
      /give "data" or parameters.binary_data_size, not both/,
    );
  });

  it('a header length that is not a number, or longer than the body', async () => {
    for (const [value, message] of [
      ['abc', /Inference-Header-Content-Length must be a byte count, found "abc"/],
      ['999999', /Inference-Header-Content-Length is 999999, longer than the/],
    ] as const) {
      const res = await fetch(url(), {
        method: 'POST',
        headers: { 'Inference-Header-Content-Length': value },
        body: JSON.stringify(header(0)),
      });
      await expect400(res, message);
    }
  });

  it('a header length that cuts the JSON short', async () => {
    const res = await fetch(url(), {
      method: 'POST',
      headers: { 'Inference-Header-Content-Length': '10' },
      body: JSON.stringify(header(0)),
    });
    await expect400(
      res,
      /the first 10 bytes \(Inference-Header-Content-Length\) must be a JSON object/,
    );
  });

  it('BYTES elements whose lengths do not add up, or that are not UTF-8', async () => {
    const descUrl = `${open.url}/v2/models/L-sft/infer`;
    const desc = (size: number, n = 1) => ({
      inputs: [
        {
          name: 'description',
          shape: [n],
          datatype: 'BYTES',
          parameters: { binary_data_size: size },
        },
      ],
    });
    const two = bytesBuffer(['Summarize', 'Translate']);
    await expect400(
      await postBinary(descUrl, desc(two.length), [two]),
      /bytes are left after the 1 elements the shape gives/,
    );
    await expect400(
      await postBinary(descUrl, desc(two.length, 3), [two]),
      /binary data ends inside the length prefix of element 2/,
    );
    const bad = Buffer.from([2, 0, 0, 0, 0xc3, 0x28]);
    await expect400(
      await postBinary(descUrl, desc(bad.length), [bad]),
      /element 0 is not valid UTF-8/,
    );
  });
});

describe('body size limit', () => {
  it('answers 413 to a body over --max-body (declared length)', async () => {
    const res = await postJson(`${open.url}/v2/models/L-sft/infer`, {
      inputs: [embInput({ data: new Array(20000).fill(0.123456789) })],
    });
    expect(res.status).toBe(413);
    expect((await res.json()).error).toMatch(/at most 65536 \(--max-body\)/);
  });

  it('answers 413 to a chunked body that grows over --max-body', async () => {
    const url = new URL(`${open.url}/v2/models/L-sft/infer`);
    const status = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          headers: { 'Transfer-Encoding': 'chunked' },
        },
        (res) => {
          let body = '';
          res.on('data', (c) => (body += c));
          res.on('end', () => resolve({ status: res.statusCode!, body }));
        },
      );
      req.on('error', reject);
      for (let i = 0; i < 10; i++) req.write('x'.repeat(10_000));
      req.end();
    });
    expect(status.status).toBe(413);
    expect(JSON.parse(status.body).error).toMatch(/more than 65536/);
  });

  it("answers 408 to a body that stalls, within the request timeout (not at Node's 30 s check)", async () => {
    const url = new URL(`${quick.url}/v2/models/L-sft/infer`);
    let timer: NodeJS.Timeout | undefined;
    const answer = await Promise.race([
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request(
          {
            host: url.hostname,
            port: url.port,
            path: url.pathname,
            method: 'POST',
            headers: { 'Content-Type': 'application/json', 'Content-Length': 4 << 20 },
          },
          (res) => {
            let body = '';
            res.on('data', (c) => (body += c));
            res.on('end', () => resolve({ status: res.statusCode!, body }));
          },
        );
        req.on('error', reject);
        req.write('{"inputs":'); // 10 of the 4 MiB declared, then nothing
      }),
      // Far past the 1 s timeout (and its 5% check interval), far before Node's default 30 s.
      new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), 15_000))),
    ]);
    clearTimeout(timer);
    expect(answer?.status).toBe(408);
  }, 30_000);

  it('answers 415 to a compressed body', async () => {
    const res = await fetch(`${open.url}/v2/models/L-sft/infer`, {
      method: 'POST',
      headers: { 'Content-Encoding': 'gzip' },
      body: 'xx',
    });
    expect(res.status).toBe(415);
  });
});

describe('bearer token', () => {
  it('answers 401 with WWW-Authenticate without a token, or with a wrong one', async () => {
    const none = await fetch(`${locked.url}/v2/models/L-sft`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="t2l"');
    expect((await none.json()).error).toMatch(/Authorization: Bearer/);
    for (const auth of [`Bearer wrong`, `Basic ${TOKEN}`, `Bearer ${TOKEN}x`]) {
      const res = await fetch(`${locked.url}/v2/models/L-sft/infer`, {
        method: 'POST',
        headers: { Authorization: auth },
        body: '{}',
      });
      expect(res.status, auth).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="t2l"/);
    }
    expect((await fetch(`${locked.url}/v2`)).status).toBe(401);
    expect((await fetch(`${locked.url}/v1/adapters`, { method: 'POST', body: '{}' })).status).toBe(
      401,
    );
  });

  it('accepts the right token; health checks need none', async () => {
    const ok = await fetch(`${locked.url}/v2/models/L-sft`, {
      headers: { Authorization: `Bearer ${TOKEN}` },
    });
    expect(ok.status).toBe(200);
    expect((await fetch(`${locked.url}/v2/health/live`)).status).toBe(200);
    expect((await fetch(`${locked.url}/v2/health/ready`)).status).toBe(200);
  });
});

describe('CORS allow-list', () => {
  it('answers a preflight from a listed origin, allowing the headers the client sends', async () => {
    const res = await fetch(`${locked.url}/v2/models/L-sft/infer`, {
      method: 'OPTIONS',
      headers: {
        Origin: APP,
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers':
          'authorization,content-type,inference-header-content-length',
        'Access-Control-Request-Private-Network': 'true',
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(APP);
    expect(res.headers.get('access-control-allow-methods')).toMatch(/POST/);
    const allowed = res.headers.get('access-control-allow-headers')!.toLowerCase();
    for (const h of ['authorization', 'content-type', 'inference-header-content-length'])
      expect(allowed).toContain(h);
    expect(res.headers.get('access-control-allow-private-network')).toBe('true');
    expect(res.headers.get('vary')).toBe('Origin');
  });

  it('exposes Inference-Header-Content-Length to a listed origin', async () => {
    const res = await postBinary(
      `${locked.url}/v2/models/L-sft/infer`,
      {
        inputs: [
          {
            name: 'task_emb',
            shape: [1, E],
            datatype: 'FP32',
            parameters: { binary_data_size: 4 * E },
          },
        ],
        outputs: [{ name: 'v_proj.lora_B', parameters: { binary_data: true } }],
      },
      [f32Buffer(row())],
      { Origin: APP, Authorization: `Bearer ${TOKEN}` },
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(APP);
    expect(res.headers.get('access-control-expose-headers')).toMatch(
      /Inference-Header-Content-Length/,
    );
  });

  it('refuses other origins (preflight and request), without Access-Control-Allow-Origin', async () => {
    const pre = await fetch(`${locked.url}/v2/models/L-sft/infer`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'POST' },
    });
    expect(pre.status).toBe(403);
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
    const req = await fetch(`${locked.url}/v2/models/L-sft`, {
      headers: { Origin: 'https://evil.example', Authorization: `Bearer ${TOKEN}` },
    });
    expect(req.status).toBe(403);
    expect(req.headers.get('access-control-allow-origin')).toBeNull();
    expect((await req.json()).error).toMatch(/--cors-origin https:\/\/evil.example/);
    // With no --cors-origin at all, no browser origin gets in.
    const none = await fetch(`${open.url}/v2/models/L-sft`, { headers: { Origin: APP } });
    expect(none.status).toBe(403);
  });

  it('refuses a non-loopback Host on a loopback server (DNS rebinding)', async () => {
    const url = new URL(`${open.url}/v2/models/L-sft`);
    const status = await new Promise<number>((resolve, reject) => {
      request(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          headers: { Host: 'evil.example:80' },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode!);
        },
      )
        .on('error', reject)
        .end();
    });
    expect(status).toBe(403);
  });
});

describe('response size', () => {
  it('asks for binary outputs when the JSON answer would be too large', async () => {
    const { parseInferRequest } = await import('../../src/server/infer');
    const io = {
      name: 'big',
      taskEmbSize: 4,
      inputs: [{ name: 'task_emb', datatype: 'FP32', shape: [-1, 4] }],
      outputs: [
        { name: 'q_proj.lora_A', datatype: 'FP32', shape: [-1, 2, 8, 100] },
        { name: 'q_proj.lora_B', datatype: 'FP32', shape: [-1, 2, 100, 8] },
      ],
    };
    const body = (binary: boolean) =>
      new TextEncoder().encode(
        JSON.stringify({
          parameters: { binary_data_output: binary },
          inputs: [
            { name: 'task_emb', shape: [2, 4], datatype: 'FP32', data: new Array(8).fill(1) },
          ],
        }),
      );
    const limits = { maxBatch: 4, maxDescriptionChars: 10, maxJsonOutputValues: 6000 };
    expect(() => parseInferRequest(body(false), undefined, io, limits)).toThrow(
      /hold 6400 values, more than 6000; ask for them in binary/,
    );
    expect(parseInferRequest(body(true), undefined, io, limits).outputs).toHaveLength(2);
  });
});
