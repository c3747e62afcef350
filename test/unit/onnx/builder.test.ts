import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { DataType, GraphBuilder, MS_DOMAIN } from '../../../src/core/onnx/builder';
import { createNodeRunner } from '../../../src/runtime/node';

const { onnx } = onnxProto;

describe('GraphBuilder encoding', () => {
  it('writes a model protobufjs decodes, raw data 64-byte aligned and filled in place', async () => {
    const g = new GraphBuilder('t');
    const x = g.input('x', ['N', 3]);
    const sizes = [3, 5, 1, 130, 7];
    let prev = x;
    const names: string[] = [];
    let width = 3;
    for (const [i, n] of sizes.entries()) {
      const w = new Float32Array(width * n).map((_, j) => (j % 7) - 3 + i);
      names.push(g.weight(`w${i}`, [width, n], w));
      prev = g.op('MatMul', [prev, names[i]!]);
      width = n;
    }
    let filled = 0;
    const lazy = g.lazyInitializer('bias', [width], DataType.FLOAT, 4 * width, (dst) => {
      expect(dst.byteOffset % 64).toBe(0);
      new Float32Array(dst.buffer, dst.byteOffset, width).fill(0.5);
      filled++;
    });
    g.output('y', g.op('Add', [prev, lazy]), ['N', width]);
    const bytes = g.toModel({ producer: 'test', metadata: { a: 'b' } });
    expect(filled).toBe(1);

    const model = onnx.ModelProto.decode(bytes);
    expect(model.opsetImport!.map((o) => o.domain)).toEqual(['']);
    expect(model.metadataProps![0]).toMatchObject({ key: 'a', value: 'b' });
    const inits = model.graph!.initializer!;
    expect(inits.map((t) => t.name)).toEqual([...names, lazy]);
    for (const t of inits) {
      const raw = t.rawData!;
      expect((raw.byteOffset - bytes.byteOffset) % 64).toBe(0);
    }
    const bias = inits.at(-1)!;
    expect(Array.from(new Float32Array(bias.rawData!.slice().buffer))).toEqual(
      Array(width).fill(0.5),
    );

    const runner = await createNodeRunner(bytes);
    const out = await runner.run({ x: { dims: [1, 3], data: Float32Array.of(1, 2, 3) } });
    expect(out['y']!.dims).toEqual([1, width]);
    await runner.release();
  });

  it('refuses an initializer whose byte length does not match its shape', () => {
    const g = new GraphBuilder('t');
    expect(() => g.lazyInitializer('w', [2, 3], DataType.FLOAT, 20, () => {})).toThrow(/24 bytes/);
  });

  it('imports the com.microsoft domain only when a node uses it', () => {
    const g = new GraphBuilder('t');
    const x = g.input('x', [1, 16]);
    g.output('y', g.op('Identity', [x], {}, MS_DOMAIN), [1, 16]);
    const model = onnx.ModelProto.decode(g.toModel({ producer: 'test' }));
    expect(model.opsetImport!.map((o) => o.domain)).toEqual(['', MS_DOMAIN]);
    expect(model.graph!.node![0]!.domain).toBe(MS_DOMAIN);
  });
});
