/** adapter_config.json and args.yaml are parsed by schemas: typed, in range, errors naming the key. */
import { describe, expect, it } from 'vitest';
import { parseAdapterConfig } from '../../../src/core/checkpoint/adapter-config';
import { parseArgsYaml } from '../../../src/core/checkpoint/args';
import { T2LError } from '../../../src/core/errors';

const config = (extra: Record<string, unknown>) =>
  JSON.stringify({ r: 8, lora_alpha: 16, target_modules: ['q_proj', 'v_proj'], ...extra });

function refused(fn: () => unknown): T2LError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(T2LError);
    return e as T2LError;
  }
  throw new Error('expected a T2LError');
}

describe('adapter_config.json', () => {
  it('reads PEFT defaults for absent fields', () => {
    const c = parseAdapterConfig(JSON.stringify({ r: 4, target_modules: 'q_proj' }));
    expect(c).toMatchObject({ r: 4, loraAlpha: 8, useRslora: false, loraDropout: 0, bias: 'none' });
    expect(c.targetModules).toEqual(['q_proj']);
  });

  it.each([
    [{ use_rslora: 'true' }, 'use_rslora: expected boolean, found "true"'],
    [{ lora_alpha: 0 }, 'lora_alpha: expected number to be >0, found 0'],
    [{ lora_alpha: -16 }, 'lora_alpha: expected number to be >0, found -16'],
    [{ r: 1.5 }, 'r: expected an integer, found 1.5'],
    [{ r: '8' }, 'r: expected number, found "8"'],
    [{ target_modules: [] }, 'target_modules: '],
    [{ lora_dropout: 1 }, 'lora_dropout: '],
    [{ bias: 'some' }, 'bias: '],
  ])('refuses %j', (extra, message) => {
    const e = refused(() => parseAdapterConfig(config(extra), 'ck/adapter_config.json'));
    expect(e.code).toBe('bad-config');
    expect(e.message).toContain(`ck/adapter_config.json: ${message}`);
  });

  it('refuses lora_alpha 1e999 (Infinity) and fan_in_fan_out', () => {
    expect(refused(() => parseAdapterConfig(config({}).replace('16', '1e999'))).message).toContain(
      'lora_alpha: expected number, found Infinity',
    );
    expect(refused(() => parseAdapterConfig(config({ fan_in_fan_out: true }))).code).toBe(
      'unsupported',
    );
  });
});

describe('args.yaml', () => {
  it('reads YAML 1.1 booleans as PyYAML does', () => {
    const a = parseArgsYaml('shared_AB_head: yes\nautoreg_gen: off\n');
    expect(a.sharedABHead).toBe(true);
    expect(a.autoregGen).toBe(false);
  });

  it.each([
    ['delta_w_scaling: 0', 'delta_w_scaling: expected number to be >0, found 0'],
    ['delta_w_scaling: -.inf', 'delta_w_scaling: expected number, found -Infinity'],
    ['shared_AB_head: "true"', 'shared_AB_head: expected boolean, found "true"'],
    ['hypernet_latent_size: 0', 'hypernet_latent_size: expected number to be >0, found 0'],
    ['target_modules: q_proj', 'target_modules: expected array, found "q_proj"'],
  ])('refuses %s', (yaml, message) => {
    const e = refused(() => parseArgsYaml(`${yaml}\n`, 'ck/args.yaml'));
    expect(e.code).toBe('bad-config');
    expect(e.message).toContain(`ck/args.yaml: ${message}`);
  });

  it('refuses a billion-laughs document instead of expanding it', () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++) {
      const [prev, name] = [String.fromCharCode(96 + i), String.fromCharCode(97 + i)];
      lines.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(', ')}]`);
    }
    const e = refused(() => parseArgsYaml(lines.join('\n')));
    expect(e.code).toBe('bad-config');
    expect(e.message).toMatch(/not valid YAML.*alias/i);
  });
});
