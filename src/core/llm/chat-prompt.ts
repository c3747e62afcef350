/**
 * The prompt string a chat model sees, from its GGUF's `tokenizer.chat_template` (the Jinja template
 * of Hugging Face's tokenizer_config.json), rendered with @huggingface/jinja. `t2l try` and the
 * app's Try panel both build prompts here, so the same inputs give the same string, and then the
 * same tokens: tokenize it with special-token parsing on and without adding BOS/EOS (node-llama-cpp
 * `model.tokenize(prompt, true)`; llama.cpp `llama_tokenize(..., add_special=false,
 * parse_special=true)`), because the string already holds every special token it needs.
 */
import { Template } from '@huggingface/jinja';
import { T2LError } from '../errors';

export interface ChatInput {
  /** System prompt (optional). */
  system?: string;
  /** The user's message. */
  user: string;
}

export interface ChatSpecials {
  /** Text of the BOS token (the template's `bos_token`). */
  bosToken?: string;
  /** Text of the EOS token (the template's `eos_token`). */
  eosToken?: string;
  /** Whether the model expects BOS first (llama.cpp's add_bos): prepended when missing. */
  addBos?: boolean;
}

export interface RenderedPrompt {
  prompt: string;
  /** Whether the chat template was used (false: plain prompt). */
  usedTemplate: boolean;
  /** What was done differently from the plain render, for the user (e.g. no template). */
  notes: string[];
}

/**
 * Renders `{system, user}` with a chat template (`messages`, `bos_token`, `eos_token`,
 * `add_generation_prompt: true`, as transformers' `apply_chat_template`).
 *
 * - No template (undefined/empty) or `useTemplate: false`: a plain prompt, `system + "\n\n" + user`,
 *   with a note saying so.
 * - A template that refuses a system message (Gemma's raise "System role not supported"): the
 *   system prompt goes before the user's message, with a note.
 * - With `addBos`, the BOS text is prepended when the result does not start with it.
 *
 * Throws T2LError('bad-input') when the template does not parse or fails for the plain user message.
 */
export function renderChatPrompt(
  template: string | undefined,
  input: ChatInput,
  specials: ChatSpecials = {},
  options: { useTemplate?: boolean } = {},
): RenderedPrompt {
  const notes: string[] = [];
  const system = input.system?.length ? input.system : undefined;
  const plain = () => (system ? `${system}\n\n${input.user}` : input.user);
  let prompt: string;
  let usedTemplate = false;
  if (!template || options.useTemplate === false) {
    notes.push(
      !template
        ? 'the base model has no chat template (tokenizer.chat_template): plain prompt'
        : 'chat template off: plain prompt',
    );
    prompt = plain();
  } else {
    let parsed: Template;
    try {
      parsed = new Template(template);
    } catch (e) {
      throw new T2LError(
        'bad-input',
        `the base model's chat template (tokenizer.chat_template) does not parse: ${(e as Error).message}`,
      );
    }
    const render = (messages: Array<{ role: string; content: string }>) =>
      parsed.render({
        messages,
        bos_token: specials.bosToken ?? '',
        eos_token: specials.eosToken ?? '',
        add_generation_prompt: true,
      });
    try {
      prompt = render([
        ...(system ? [{ role: 'system', content: system }] : []),
        { role: 'user', content: input.user },
      ]);
    } catch (e) {
      if (!system) {
        throw new T2LError(
          'bad-input',
          `the base model's chat template failed: ${(e as Error).message}`,
        );
      }
      try {
        prompt = render([{ role: 'user', content: plain() }]);
      } catch {
        throw new T2LError(
          'bad-input',
          `the base model's chat template failed: ${(e as Error).message}`,
        );
      }
      notes.push(
        `the chat template takes no system message (${(e as Error).message}): it was put before the user's message`,
      );
    }
    usedTemplate = true;
  }
  if (specials.addBos && specials.bosToken && !prompt.startsWith(specials.bosToken)) {
    prompt = specials.bosToken + prompt;
  }
  return { prompt, usedTemplate, notes };
}
