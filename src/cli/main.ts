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
    'T2L checkpoint folder (hypermod.pt, args.yaml, adapter_config.json) or converted package (t2l.json)',
  )
  .option('--json', 'print JSON instead of text')
  .action(async (dir, opts) => (await import('./inspect')).inspectCommand(dir, opts));

program
  .command('convert')
  .description(
    'Convert a T2L checkpoint folder into a package (t2l.json + model.onnx) the app, CLI and server load.',
  )
  .argument('<checkpoint-dir>', 'T2L checkpoint folder')
  .requiredOption('-o, --output <package-dir>', 'folder to write the package into')
  .option(
    '--module-order <a,b>',
    'type-embedding order of the target modules (default: adapter_config.json order)',
  )
  .action(async (dir, opts) => (await import('./convert')).convertCommand(dir, opts));

program
  .command('generate')
  .description(
    'Generate LoRA adapters: one per row of a task-embedding tensor, or one per --description. Each goes to <out-dir>/<row>/ (README.md, adapter_config.json, adapter_model.safetensors), zipped too with --format zip, or to <out-dir>/<row>.gguf for llama.cpp/Ollama with --format gguf.',
  )
  .argument('<dir>', 'T2L checkpoint folder or converted package')
  .requiredOption('-o, --output <out-dir>', 'folder to write the adapters into')
  .option(
    '--embedding <file.safetensors>',
    'task embeddings, shape [E] or [N, E] (already normalized and scaled)',
  )
  .option('--tensor <name>', 'tensor to read from --embedding', 'task_emb')
  .option('--description <text...>', 'task description(s); embedded with the text encoder')
  .option(
    '--encoder <local-dir|hub-id>',
    "text encoder (default: the checkpoint's emb_model, from the Hugging Face Hub)",
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

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    // Help and version exit 0; usage errors were already printed by commander.
    process.exitCode = e.exitCode;
  } else if (e instanceof T2LError) {
    process.stderr.write(`t2l: error: ${e.message}\n`);
    process.exitCode = 1;
  } else {
    process.stderr.write(`t2l: unexpected error: ${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 1;
  }
}
