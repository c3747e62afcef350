import { Command, CommanderError, Option } from 'commander';
import { T2LError } from '../core/errors';
import { formatOptions } from './formats';

const [formatOpt, zipOpt, archOpt, nHeadOpt, nKvHeadOpt] = formatOptions();

// Commands are imported when run: the text encoder (transformers.js) and onnxruntime load slowly
// and inspect/--help need neither.

const program = new Command()
  .name('t2l')
  .description(
    'Text-to-LoRA: turn a task description (or a task embedding) into a PEFT LoRA adapter with a T2L hypernetwork.',
  )
  .version('0.1.0')
  .showHelpAfterError()
  .exitOverride();

program
  .command('inspect')
  .description('Show a checkpoint or package: variant, sizes, parameter count, module order.')
  .argument(
    '<dir>',
    'T2L checkpoint folder (hypermod.pt, args.yaml, adapter_config.json) or converted package (t2l.json), or a Hub path (owner/repo/path, hf://owner/repo/path@revision)',
  )
  .option('--json', 'print JSON instead of text')
  .action(async (dir, opts) => (await import('./inspect')).inspectCommand(dir, opts));

program
  .command('convert')
  .description(
    'Convert a T2L checkpoint folder into a package (t2l.json + model.onnx) the app, CLI and server load.',
  )
  .argument(
    '<checkpoint-dir>',
    'T2L checkpoint folder, or a Hub path (owner/repo/path, hf://…@revision)',
  )
  .requiredOption('-o, --output <package-dir>', 'folder to write the package into')
  .option(
    '--module-order <a,b>',
    'type-embedding order of the target modules (default: adapter_config.json order)',
  )
  .addOption(
    new Option(
      '--precision <precision>',
      'weight precision: fp32 (exact), fp16, int8 (per-channel) or q4 (4-bit blocks, MatMulNBits)',
    )
      .choices(['fp32', 'fp16', 'int8', 'q4'])
      .default('fp32'),
  )
  .addOption(
    new Option('--block-size <n>', 'q4: input features per quantization block')
      .choices(['16', '32', '64', '128'])
      .default('32'),
  )
  .option(
    '--no-fidelity',
    'skip measuring the adapters against float32 (recorded in t2l.json and shown by inspect)',
  )
  .action(async (dir, opts) => (await import('./convert')).convertCommand(dir, opts));

program
  .command('generate')
  .description(
    'Generate LoRA adapters: one per row of a task-embedding tensor, or one per --description. Each goes to <out-dir>/<row>/ (README.md, adapter_config.json, adapter_model.safetensors), zipped too with --format zip, or to <out-dir>/<row>.gguf for llama.cpp/Ollama with --format gguf.',
  )
  .argument(
    '<dir>',
    'T2L checkpoint folder or converted package, or a Hub path (owner/repo/path, hf://…@revision)',
  )
  .requiredOption('-o, --output <out-dir>', 'folder to write the adapters into')
  .option(
    '--embedding <file.safetensors>',
    'task embeddings, shape [E] or [N, E] (already normalized and scaled)',
  )
  .option('--tensor <name>', 'tensor to read from --embedding', 'task_emb')
  .option('--description <text...>', 'task description(s); embedded with the text encoder')
  .option(
    '--encoder <local-dir|hub-id>',
    "text encoder: a local folder or a Hub id (default: the checkpoint's emb_model, from the Hub into the Hugging Face cache)",
  )
  .option(
    '--module-order <a,b>',
    'type-embedding order of the target modules (default: adapter_config.json order)',
  )
  .addOption(
    new Option('--dtype <dtype>', 'element type of the written adapter (GGUF: float32 or float16)')
      .choices(['float32', 'float16', 'bfloat16'])
      .default('float32'),
  )
  .addOption(formatOpt)
  .addOption(zipOpt)
  .addOption(archOpt)
  .addOption(nHeadOpt)
  .addOption(nKvHeadOpt)
  .addOption(
    new Option('--backend <backend>', 'onnxruntime execution provider')
      .choices(['cpu', 'cuda'])
      .default('cpu'),
  )
  .action(async (dir, opts) => (await import('./generate')).generateCommand(dir, opts));

{
  const [, , tryArch, tryNHead, tryNKvHead] = formatOptions();
  program
    .command('try')
    .description(
      'Try an adapter before downloading it: generate it from --description, then answer --prompt with the base model GGUF (llama.cpp, greedy) without and with the adapter, side by side.',
    )
    .argument(
      '<dir>',
      'T2L checkpoint folder or converted package, or a Hub path (owner/repo/path, hf://…@revision)',
    )
    .requiredOption('--description <text>', 'task description the adapter is generated from')
    .requiredOption(
      '--base <model.gguf>',
      'the base model as a GGUF file (llama.cpp), or a Hub path to one (owner/repo/file.gguf)',
    )
    .requiredOption('--prompt <text>', 'the user message both models answer')
    .option('--system <text>', 'system prompt')
    .option('--no-chat-template', "plain prompt instead of the base model's chat template")
    .option('--scale <s>', 'adapter scale (0 = base model, 1 = as generated, up to 2)', '1')
    .option('--max-tokens <n>', 'most tokens to generate', '32')
    .option(
      '--threads <n>',
      "llama.cpp's CPU threads (default: the machine's physical cores; more than are free is slower)",
    )
    .option(
      '--encoder <local-dir|hub-id>',
      "text encoder: a local folder or a Hub id (default: the checkpoint's emb_model, from the Hub into the Hugging Face cache)",
    )
    .option(
      '--module-order <a,b>',
      'type-embedding order of the target modules (default: adapter_config.json order)',
    )
    .addOption(tryArch)
    .addOption(tryNHead)
    .addOption(tryNKvHead)
    .option(
      '--json',
      'print JSON: prompt, prompt tokens, and per model text, tokens, first-token log-probabilities',
    )
    .action(async (dir, opts) => (await import('./try')).tryCommand(dir, opts));
}

program
  .command('eval')
  .description(
    'Does the adapter help? Score the base model GGUF and the adapter of each <dir> (and precision) on the same examples with the T2L reference protocol (llama.cpp, greedy, chat template): accuracy with 95% intervals, examples gained/lost vs the base and a sign-test p (docs/eval.md).',
  )
  .argument('<dir...>', 'T2L checkpoint folders or converted packages')
  .requiredOption('--description <text>', 'task description the adapters are generated from')
  .requiredOption('--base <model.gguf>', 'the base model as a GGUF file (llama.cpp)')
  .option('--examples <file>', 'your examples: JSON Lines or CSV with prompt, answer (and choices)')
  .option('--benchmark <name>', 'a benchmark of the paper (arc_easy, boolq, gsm8k, ...)')
  .option('--limit <n>', 'benchmark: examples in the sample (default 50)')
  .option('--seed <s>', 'benchmark: seed of the sample (default 0)')
  .option(
    '--precision <p...>',
    'checkpoint folders: score at each precision (fp32, fp16, int8, q4)',
  )
  .option('--control <text>', 'description of the control adapter (default: a junk string)')
  .option('--no-control', 'no control adapter')
  .option(
    '--template <text>',
    'your examples: template of every prompt, with {prompt} and {choices}',
  )
  .option('--system <text>', 'your examples: system message of every prompt (default: empty)')
  .option('--max-tokens <n>', "most tokens per answer, 1-512 (default: the reference's 512)")
  .option('--threads <n>', "llama.cpp's CPU threads (default: the machine's physical cores)")
  .option(
    '--encoder <local-dir|hub-id>',
    "text encoder (default: the checkpoint's emb_model, from the Hugging Face Hub)",
  )
  .option('--json', "print JSON: every example with each model's answer, and the summaries")
  .action(async (dirs, opts) => (await import('./eval')).evalCommand(dirs, opts));

program
  .command('serve')
  .description(
    'Serve every package/checkpoint under <models-dir> over the Open Inference Protocol v2 (KServe v2 / Triton REST, binary tensors too) and POST /v1/adapters. Loopback only unless --host; stops cleanly on SIGINT/SIGTERM.',
  )
  .argument(
    '<models-dir>',
    'folder holding packages (t2l.json) and/or checkpoints (hypermod.pt), or a Hub path to one model; each model is named by its folder',
  )
  .option(
    '--host <host>',
    'address to listen on (0.0.0.0: every interface; use --token then)',
    '127.0.0.1',
  )
  .option('--port <port>', 'port (0: any free port, printed in the "listening" log line)', '8000')
  .option(
    '--token <token>',
    'require "Authorization: Bearer <token>" (default: $T2L_TOKEN; health checks stay open)',
  )
  .option(
    '--cors-origin <url...>',
    'browser origins allowed to call the server, e.g. http://localhost:5173 ("*": any)',
  )
  .option(
    '--encoder <local-dir|hub-id>',
    'text encoder, enabling the "description" input and /v1/adapters with a description',
  )
  .option(
    '--max-batch <n>',
    'most rows (embeddings or descriptions) per request, and per merged run',
    '16',
  )
  .option('--max-body <bytes>', 'largest request body', String(4 * 1024 * 1024))
  .option('--max-description-chars <n>', 'longest description, in characters', '2000')
  .option(
    '--queue <n>',
    'requests that may wait for a free slot; more are answered 503 + Retry-After',
    '32',
  )
  .option(
    '--concurrency <n>',
    'requests worked on at once; their rows are merged into one run per model (dynamic batching, up to --max-batch rows)',
    '8',
  )
  .option(
    '--timeout-ms <ms>',
    'deadline of a request, waiting included (503 while queued, 504 while running)',
    '30000',
  )
  .addOption(
    new Option(
      '--backend <backend>',
      'onnxruntime execution provider (cuda falls back to cpu where not installed)',
    )
      .choices(['cpu', 'cuda'])
      .default('cpu'),
  )
  .action(async (dir, opts) => (await import('./serve')).serveCommand(dir, opts));

program
  .command('export-triton')
  .description(
    'Write a Triton Inference Server model repository entry: <repo>/<name>/config.pbtxt (ONNX Runtime backend, dynamic batching) and <repo>/<name>/1/model.onnx.',
  )
  .argument(
    '<dir>',
    'T2L checkpoint folder or converted package, or a Hub path (owner/repo/path, hf://…@revision)',
  )
  .requiredOption('-o, --output <model-repository>', 'Triton model repository folder')
  .option('--name <name>', "model name in the repository (default: the folder's name)")
  .option('--max-batch-size <n>', "Triton's max_batch_size", '16')
  .option(
    '--module-order <a,b>',
    'type-embedding order of the target modules (default: adapter_config.json order)',
  )
  .action(async (dir, opts) => (await import('./export-triton')).exportTritonCommand(dir, opts));

// --debug (anywhere on the line) or T2L_DEBUG=1: print the stack of an unexpected error.
const debug = process.argv.includes('--debug') || process.env['T2L_DEBUG'] === '1';
program.addHelpText(
  'after',
  '\nAdd --debug to any command to print the stack trace of an unexpected error.\n' +
    'Hub access: HF_ENDPOINT (a mirror; default https://huggingface.co), HF_TOKEN (sent to that endpoint only),\n' +
    'HF_HOME / HF_HUB_CACHE (the Hugging Face cache, shared with huggingface-cli), HF_HUB_OFFLINE=1 (cache only).',
);

try {
  await program.parseAsync(process.argv.filter((a) => a !== '--debug'));
} catch (e) {
  if (e instanceof CommanderError) {
    // Help and version exit 0; usage errors were already printed by commander.
    process.exitCode = e.exitCode;
  } else if (e instanceof T2LError) {
    process.stderr.write(`t2l: error: ${e.message}\n`);
    if (debug && e.stack) process.stderr.write(`${e.stack}\n`);
    process.exitCode = 1;
  } else {
    // Not a T2LError: a bug of ours, worded without the stack unless asked (issue #12).
    const err = e as Error;
    const text = debug
      ? (err?.stack ?? String(e))
      : `${err?.name ?? 'Error'}: ${err?.message ?? String(e)}`;
    process.stderr.write(
      `t2l: unexpected error: ${text}\n${debug ? '' : 't2l: run again with --debug for the stack trace, and please report it\n'}`,
    );
    process.exitCode = 1;
  }
}
