/**
 * `t2l try`'s chat-template render, in a worker thread that is stopped when it runs too long or
 * too big. The core's budget (core/llm/template-budget.ts) bounds steps, sizes and time inside
 * the interpreter, and bounds the costly builtins before they run; this is the second wall, for
 * whatever one builtin call could still do between two checks: the worker gets a V8 heap limit
 * (`resourceLimits`), and a wall-clock limit after which it is terminated. Either way the user
 * gets one T2LError line that names the file and the remedy, as the core's refusals do.
 */
import { Worker } from 'node:worker_threads';
import { T2LError, type T2LErrorCode } from '../core/errors';
import {
  renderChatPrompt,
  type ChatInput,
  type ChatSpecials,
  type RenderOptions,
  type RenderedPrompt,
} from '../core/llm/chat-prompt';
import { DEFAULT_TEMPLATE_BUDGET } from '../core/llm/template-budget';

/** What the worker renders (structured-cloned: no functions, so no injected clock). */
export interface RenderJob {
  template: string;
  input: ChatInput;
  specials: ChatSpecials;
  /** The budget's clock (`now`) stays behind: functions do not cross to a worker. */
  options: RenderOptions;
}

export type RenderReply =
  | { type: 'ready' }
  | { type: 'done'; result: RenderedPrompt }
  | { type: 'error'; code: T2LErrorCode; message: string };

export interface IsolationLimits {
  /** Wall-clock limit of the render once the worker is up, ms (default: the budget's + 2 s). */
  timeoutMs?: number;
  /** V8 old-generation heap of the worker, MB (default 512). */
  heapMb?: number;
  /** Time the worker may take to start (load the renderer), ms (default 120 s: a loaded machine). */
  startMs?: number;
}

const HEAP_MB = 512;
const START_MS = 120_000;

/**
 * The worker's module URL. The CLI runs TypeScript through tsx, whose loader a worker thread does
 * not inherit: the worker's first module registers tsx, then imports template-render-worker.ts.
 */
function workerUrl(): URL {
  const entry = new URL('./template-render-worker.ts', import.meta.url).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  const code = `import { register } from ${JSON.stringify(tsx)};\nregister();\nawait import(${JSON.stringify(entry)});\n`;
  return new URL(`data:text/javascript,${encodeURIComponent(code)}`);
}

/**
 * renderChatPrompt (core/llm/chat-prompt.ts) with the template run in a worker thread under
 * `limits`. No template, or the template off: rendered here, nothing runs.
 * Throws T2LError('bad-input') naming `options.source` and `options.remedy` when the template is
 * refused, runs past the time limit or the heap limit; the template's own errors as the core's.
 */
export async function renderChatPromptIsolated(
  template: string | undefined,
  input: ChatInput,
  specials: ChatSpecials,
  options: RenderOptions,
  limits: IsolationLimits = {},
): Promise<RenderedPrompt> {
  if (!template || options.useTemplate === false) {
    return renderChatPrompt(template, input, specials, options);
  }
  const who = options.source ?? 'the base model';
  const remedy = options.remedy ?? 'render without the chat template (a plain prompt)';
  const maxMs = options.budget?.maxMs ?? DEFAULT_TEMPLATE_BUDGET.maxMs;
  // setTimeout fires at once past 2^31 - 1 ms.
  const timeoutMs = Math.min(limits.timeoutMs ?? maxMs + 2000, 2 ** 31 - 1);
  const heapMb = limits.heapMb ?? HEAP_MB;
  const refuse = (what: string) =>
    new T2LError(
      'bad-input',
      `${who}: the chat template (tokenizer.chat_template) ${what}; ${remedy}`,
    );
  const { budget, ...rest } = options;
  const job: RenderJob = {
    template,
    input,
    specials,
    options: budget ? { ...rest, budget: { ...budget, now: undefined } } : rest,
  };
  const worker = new Worker(workerUrl(), {
    workerData: job,
    resourceLimits: { maxOldGenerationSizeMb: heapMb, maxYoungGenerationSizeMb: 32 },
    stdout: false,
    stderr: false,
  });
  return new Promise<RenderedPrompt>((resolve, reject) => {
    let settled = false;
    let timer = setTimeout(
      () =>
        fail(
          new T2LError(
            'runtime',
            `the chat template renderer did not start within ${(limits.startMs ?? START_MS) / 1000} s`,
          ),
        ),
      limits.startMs ?? START_MS,
    );
    const fail = (e: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void worker.terminate();
      reject(e);
    };
    worker.on('message', (reply: RenderReply) => {
      if (settled) return;
      if (reply.type === 'ready') {
        clearTimeout(timer);
        timer = setTimeout(
          () =>
            fail(refuse(`ran past its budget (more than ${timeoutMs} ms; the render was stopped)`)),
          timeoutMs,
        );
      } else if (reply.type === 'done') {
        settled = true;
        clearTimeout(timer);
        void worker.terminate();
        resolve(reply.result);
      } else {
        fail(new T2LError(reply.code, reply.message));
      }
    });
    worker.on('error', (e: Error & { code?: string }) => {
      fail(
        e.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? refuse(`ran past its budget (more than ${heapMb} MB of memory; the render was stopped)`)
          : new T2LError('runtime', `the chat template renderer failed: ${e.message}`, {
              cause: e,
            }),
      );
    });
    worker.on('exit', (code) => {
      fail(new T2LError('runtime', `the chat template renderer stopped (exit code ${code})`));
    });
  });
}
