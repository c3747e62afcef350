/**
 * The worker side of template-render.ts: renders one chat prompt with the core's bounded renderer
 * and posts the result or the error. It says `ready` first, so the parent's clock covers the
 * render, not the start of the worker.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { T2LError } from '../core/errors';
import { renderChatPrompt } from '../core/llm/chat-prompt';
import type { RenderJob, RenderReply } from './template-render';

const port = parentPort;
if (port === null) throw new Error('template-render-worker.ts runs as a worker thread only');
const job = workerData as RenderJob;
const post = (reply: RenderReply) => port.postMessage(reply);
post({ type: 'ready' });
try {
  const result = renderChatPrompt(job.template, job.input, job.specials, job.options);
  post({ type: 'done', result });
} catch (e) {
  post(
    e instanceof T2LError
      ? { type: 'error', code: e.code, message: e.message }
      : { type: 'error', code: 'runtime', message: e instanceof Error ? e.message : String(e) },
  );
}
