/**
 * The input cases of issue #22 (test/fixtures/cases/, copied from ../shared/cases; rebuilt from the
 * demo models by test/support/cases-22.ts): each is refused with the error its README names.
 */
import { describe, expect, it } from 'vitest';
import { parseArgsYaml } from '../../../src/core/checkpoint/args';
import { loadCheckpoint } from '../../../src/core/checkpoint/load';
import { readTorchStateDict } from '../../../src/core/checkpoint/torch-file';
import { memorySource } from '../../../src/core/files';
import { renderChatPrompt } from '../../../src/core/llm/chat-prompt';
import { readGgufHeader } from '../../../src/core/llm/gguf-header';
import { demoCheckpointFiles } from '../../../src/fixtures/demo';
import { refusal } from '../../support/refusal';
import {
  TEMPLATE_CASES,
  argsUnknownKey,
  caseTemplate,
  ggufLateRefusal,
  pickleStorageAlias,
  zipDuplicateMember,
} from '../../support/cases-22';

const text = (v: string | Uint8Array) => (typeof v === 'string' ? v : new TextDecoder().decode(v));

describe('zip-duplicate-member: a member stored twice is refused, naming it', () => {
  it('S-817: hypermod/data/1 twice in the central directory', async () => {
    const e = await refusal(() =>
      readTorchStateDict(zipDuplicateMember()['hypermod.pt'] as Uint8Array),
    );
    expect(e.code).toBe('bad-zip');
    expect(e.message).toMatch(
      /^hypermod\.pt is ambiguous: member hypermod\/data\/1 is named twice in the central directory/,
    );
    const l = await refusal(loadCheckpoint(memorySource('S-817', zipDuplicateMember())));
    expect(l.message).toMatch(/^S-817\/hypermod\.pt is ambiguous: member hypermod\/data\/1 /);
  });
});

describe('pickle-storage-alias: tensors naming one storage with different sizes are refused', () => {
  it('M-2004: storage 51 as 512 and as 256 elements, both tensors named', async () => {
    const e = await refusal(loadCheckpoint(memorySource('M-2004', pickleStorageAlias())));
    expect(e.code).toBe('bad-pickle');
    expect(e.message).toBe(
      'M-2004/hypermod.pt: tensors "mlp2.mlp.1.bias" and "heads.q_proj.bias" share storage 51 but disagree on it: ' +
        '256 elements of torch.FloatStorage and 512 elements of torch.FloatStorage; torch.load refuses or reinterprets such a file',
    );
  });
});

describe('args-unknown-key: misspelled keys warn, and the settings they lose contradict the state dict', () => {
  it('M-recon-zscore-1102: a warning per unknown key with the nearest known one, then a refusal naming both sides', async () => {
    const warnings: string[] = [];
    const e = await refusal(
      loadCheckpoint(memorySource('M-1102', argsUnknownKey()), {
        onWarning: (w) => warnings.push(w),
      }),
    );
    expect(warnings).toEqual([
      'M-1102/args.yaml: unknown key pree_z_score (did you mean pred_z_score?); the reference never reads it, so pred_z_score takes its default',
      'M-1102/args.yaml: unknown key target_mOdules (did you mean target_modules?); the reference never reads it, so target_modules takes its default',
    ]);
    expect(e.code).toBe('args-mismatch');
    expect(e.message).toBe(
      "M-1102: args.yaml and hypermod.pt disagree on the heads' bias: args.yaml says training_task: recon, pred_z_score: false, " +
        'mt_lora_path: null (so the reference builds heads with a bias), but hypermod.pt has no heads.q_proj.bias; ' +
        'args.yaml also has keys the reference does not know: pree_z_score (pred_z_score?), target_mOdules (target_modules?)',
    );
  });

  it('losing training_task turns a recon z-score checkpoint into sft: refused the same way', async () => {
    const files = demoCheckpointFiles('M-recon-zscore');
    const args = text(files['args.yaml']);
    const typo = args.replace(/^training_task: recon$/m, 'trainig_task: recon');
    expect(typo).not.toBe(args);
    const warnings: string[] = [];
    const e = await refusal(
      loadCheckpoint(memorySource('ck', { ...files, 'args.yaml': typo }), {
        onWarning: (w) => warnings.push(w),
      }),
    );
    expect(warnings).toEqual([
      'ck/args.yaml: unknown key trainig_task (did you mean training_task?); the reference never reads it, so training_task takes its default',
    ]);
    expect(e.message).toMatch(
      /args\.yaml says training_task: sft, pred_z_score: true, mt_lora_path: null \(so the reference builds heads with a bias\), but hypermod\.pt has no heads\.q_proj\.bias/,
    );
  });

  it('a head bias the settings do not call for (sft from a multi-task LoRA) is refused too', async () => {
    const files = demoCheckpointFiles('M');
    const args = text(files['args.yaml']);
    const e = await refusal(
      loadCheckpoint(
        memorySource('ck', {
          ...files,
          'args.yaml': args.replace(/^mt_lora_path: null$/m, 'mt_lora_path: runs/mt'),
        }),
      ),
    );
    expect(e.message).toMatch(
      /training_task: sft, pred_z_score: false, mt_lora_path: runs\/mt \(so the reference builds heads without a bias\), but hypermod\.pt has heads\.q_proj\.bias$/,
    );
  });

  it("every demo checkpoint loads without a warning (their args are the reference's keys)", async () => {
    for (const v of [
      'S',
      'M',
      'L',
      'L-recon',
      'M-recon-zscore',
      'S-learnedpos',
      'autoreg-unshared',
    ]) {
      const c = await loadCheckpoint(memorySource(v, { ...demoCheckpointFiles(v) }));
      expect(c.warnings).toEqual([]);
    }
  });

  it('the nearest known key is named whatever the typo', () => {
    const w = parseArgsYaml(
      'shared_ab_head: true\nhypernet_latent: 64\nlearning_rate: 0.1\n',
    ).warnings;
    expect(w).toEqual([
      'args.yaml: unknown key shared_ab_head (did you mean shared_AB_head?); the reference never reads it, so shared_AB_head takes its default',
      'args.yaml: unknown key hypernet_latent (did you mean hypernet_latent_size?); the reference never reads it, so hypernet_latent_size takes its default',
      'args.yaml: unknown key learning_rate (the nearest known key is training_task); the reference never reads it',
    ]);
  });
});

describe('gguf-late-refusal: the header reader refuses at once, naming the tensor', () => {
  it('gguf-1205-230: blk.0.attn_k.weight twice', async () => {
    const e = await refusal(() =>
      readGgufHeader(ggufLateRefusal('gguf-1205-230'), { source: 'base.gguf' }),
    );
    expect(e.message).toMatch(
      /^base\.gguf: GGUF tensor blk\.0\.attn_k\.weight appears twice \(tensor #\d+\)$/,
    );
  });
  it('gguf-1205-19: blk.0.ffn_up.weight at a misaligned, overlapping offset', async () => {
    const e = await refusal(() =>
      readGgufHeader(ggufLateRefusal('gguf-1205-19'), { source: 'base.gguf' }),
    );
    expect(e.message).toMatch(
      /^base\.gguf: GGUF tensor blk\.0\.ffn_up\.weight has data offset 8, expected \d+ \(.*\); 8 is not a multiple of 32$/,
    );
  });
});

describe('chat-template-unbounded: refused within the budget, naming the file and the remedy', () => {
  for (const name of TEMPLATE_CASES) {
    it(name, async () => {
      const e = await refusal(() =>
        renderChatPrompt(
          caseTemplate(name),
          { user: 'hi' },
          {},
          { source: `${name}/base.gguf`, remedy: 'use --no-chat-template' },
        ),
      );
      expect(e.message).toMatch(
        new RegExp(
          `^${name}/base\\.gguf: the chat template \\(tokenizer\\.chat_template\\) ran past its budget \\(.+\\); use --no-chat-template$`,
        ),
      );
    });
  }
});

describe('pred_z_score under sft is ignored, as the reference ignores it', () => {
  it('an sft checkpoint that says pred_z_score: true (the reference default) loads as with false', async () => {
    const files = demoCheckpointFiles('M');
    const args = text(files['args.yaml']);
    expect(args).toMatch(/^training_task: sft$/m);
    const on = args.replace(/^pred_z_score: false$/m, 'pred_z_score: true');
    expect(on).not.toBe(args);
    const warnings: string[] = [];
    const a = await loadCheckpoint(memorySource('ck', { ...files }));
    const b = await loadCheckpoint(memorySource('ck', { ...files, 'args.yaml': on }), {
      onWarning: (w) => warnings.push(w),
    });
    expect(warnings).toEqual([]);
    expect(b.spec).toEqual({ ...a.spec, predZScore: true });
  });
});
