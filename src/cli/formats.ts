/** `t2l generate` output-format options (kept here so main.ts stays light to load). */
import { InvalidArgumentError, Option } from 'commander';

export type CliFormat = 'peft' | 'zip' | 'gguf';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n <= 0) {
    throw new InvalidArgumentError('expected a positive integer.');
  }
  return n;
}

/** --format, --zip, --arch, --n-head, --n-kv-head */
export const formatOptions = (): [Option, Option, Option, Option, Option] => [
  new Option(
    '--format <format>',
    'peft: <out-dir>/<row>/ (README.md model card, adapter_config.json, adapter_model.safetensors); ' +
      'zip: that folder and <out-dir>/<row>.zip of it; gguf: <out-dir>/<row>.gguf for llama.cpp --lora / Ollama ADAPTER',
  )
    .choices(['peft', 'zip', 'gguf'])
    .default('peft'),
  new Option('--zip', 'same as --format zip'),
  new Option(
    '--arch <arch>',
    "GGUF: llama.cpp architecture of the base model (llama for Llama/Mistral, gemma2 for Gemma-2; default: known from the checkpoint's base model)",
  ).choices(['llama', 'gemma2']),
  new Option(
    '--n-head <n>',
    "GGUF, llama arch: the base model's num_attention_heads (q_proj rows are permuted by head)",
  ).argParser(positiveInt),
  new Option(
    '--n-kv-head <n>',
    "GGUF, llama arch: the base model's num_key_value_heads (k_proj rows are permuted by head)",
  ).argParser(positiveInt),
];
