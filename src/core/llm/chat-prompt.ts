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
import {
  DEFAULT_TEMPLATE_BUDGET,
  MAX_TEMPLATE_CHARS,
  TemplateBudgetError,
  renderBounded,
  type TemplateBudget,
} from './template-budget';

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

export interface RenderOptions {
  /** false: a plain prompt, the template is not run. */
  useTemplate?: boolean;
  /** Names the model file in errors (default: "the base model"). */
  source?: string;
  /** What the user can do when the template is refused (e.g. "run with --no-chat-template"). */
  remedy?: string;
  /** The render's limits (default DEFAULT_TEMPLATE_BUDGET). */
  budget?: TemplateBudget;
  /**
   * Pass an empty `system` ("") to the template as a system message instead of leaving it out.
   * The T2L reference's evaluation does (fishfarm's QATask sends `Message("system", "")` first),
   * and some templates render a system header even for empty text. Default false.
   */
  keepEmptySystem?: boolean;
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
 * The template is untrusted code: it renders within `options.budget` (template-budget.ts: steps,
 * nesting, string and list sizes, time), and a template longer than MAX_TEMPLATE_CHARS is refused.
 *
 * Throws T2LError('bad-input') when the template does not parse, fails for the plain user message,
 * or runs past its budget; the message names `options.source` and says `options.remedy`.
 */
export function renderChatPrompt(
  template: string | undefined,
  input: ChatInput,
  specials: ChatSpecials = {},
  options: RenderOptions = {},
): RenderedPrompt {
  const who = options.source ?? 'the base model';
  const remedy = options.remedy ?? 'render without the chat template (a plain prompt)';
  const refuse = (what: string) =>
    new T2LError(
      'bad-input',
      `${who}: the chat template (tokenizer.chat_template) ${what}; ${remedy}`,
    );
  const notes: string[] = [];
  const system =
    input.system !== undefined && (input.system.length > 0 || options.keepEmptySystem)
      ? input.system
      : undefined;
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
    if (template.length > MAX_TEMPLATE_CHARS) {
      throw refuse(
        `is ${template.length} characters long, more than the ${MAX_TEMPLATE_CHARS} accepted`,
      );
    }
    let parsed: Template;
    try {
      parsed = new Template(template);
    } catch (e) {
      throw refuse(`does not parse: ${(e as Error).message}`);
    }
    const budget = options.budget ?? DEFAULT_TEMPLATE_BUDGET;
    const render = (messages: Array<{ role: string; content: string }>) => {
      try {
        return renderBounded(
          parsed,
          {
            messages,
            bos_token: specials.bosToken ?? '',
            eos_token: specials.eosToken ?? '',
            add_generation_prompt: true,
          },
          budget,
        );
      } catch (e) {
        if (e instanceof TemplateBudgetError) throw refuse(e.message);
        if (e instanceof RangeError) throw refuse(`failed (${e.message})`); // stack or string length
        throw e;
      }
    };
    try {
      prompt = render([
        ...(system !== undefined ? [{ role: 'system', content: system }] : []),
        { role: 'user', content: input.user },
      ]);
    } catch (e) {
      if (e instanceof T2LError) throw e; // the budget: not a refused system message
      if (system === undefined) {
        throw new T2LError(
          'bad-input',
          `the base model's chat template failed: ${(e as Error).message}`,
        );
      }
      try {
        prompt = render([{ role: 'user', content: plain() }]);
      } catch (e2) {
        if (e2 instanceof T2LError) throw e2;
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
