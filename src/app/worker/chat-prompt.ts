/**
 * The prompt text for a loaded base model: its own chat template (GGUF `tokenizer.chat_template`)
 * rendered by the core's renderChatPrompt, which `t2l try` uses too, so both build the same string.
 */
import { renderChatPrompt } from '../../core/llm/chat-prompt';
import type { LlmModelInfo } from './llm-protocol';

/** What the page tells the user to do about a chat template it cannot render. */
export const PLAIN_PROMPT_REMEDY = 'turn on "Plain prompt" (skip the chat template) and run again';

/**
 * Renders the system prompt and the user's message with the model's template and the generation
 * prompt. renderChatPrompt's string holds BOS when the model wants it (to be tokenized without
 * adding specials), but wllama's completion tokenizes with llama.cpp's add_special on, which adds
 * BOS itself when the model's add_bos is set: so that BOS is dropped here instead of doubled.
 * The template is untrusted: the LLM worker calls this (off the page's thread), and the render is
 * bounded by the core's budget; a template past it is a T2LError naming the file and the remedy.
 */
export function renderPrompt(
  model: LlmModelInfo,
  system: string,
  user: string,
  options: { useTemplate?: boolean; source?: string; keepEmptySystem?: boolean } = {},
): string {
  let { prompt } = renderChatPrompt(
    model.chatTemplate ?? undefined,
    { system, user },
    { bosToken: model.bosToken, eosToken: model.eosToken, addBos: model.addBos },
    {
      useTemplate: options.useTemplate ?? true,
      source: options.source ?? model.name,
      remedy: PLAIN_PROMPT_REMEDY,
      ...(options.keepEmptySystem ? { keepEmptySystem: true } : {}),
    },
  );
  if (model.addBos && model.bosToken && prompt.startsWith(model.bosToken)) {
    prompt = prompt.slice(model.bosToken.length);
  }
  return prompt;
}
