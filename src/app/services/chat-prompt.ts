/**
 * The prompt text for a loaded base model: its own chat template (GGUF `tokenizer.chat_template`)
 * rendered with the system prompt and the user's message, as the CLI's `t2l try` renders it.
 */
import { Template } from '@huggingface/jinja';
import { T2LError } from '../../core/errors';
import type { LlmModelInfo } from '../worker/llm-protocol';

/**
 * Renders [system?, user] with the model's template and the generation prompt. llama.cpp adds BOS
 * itself when it tokenizes (model.addBos), so a BOS the template wrote is dropped here rather than
 * doubled. Without a template the message is the prompt as is.
 */
export function renderPrompt(model: LlmModelInfo, system: string, user: string): string {
  if (!model.chatTemplate) return system ? `${system}\n\n${user}` : user;
  const messages = [
    ...(system ? [{ role: 'system', content: system }] : []),
    { role: 'user', content: user },
  ];
  let text: string;
  try {
    text = new Template(model.chatTemplate).render({
      messages,
      bos_token: model.bosToken,
      eos_token: model.eosToken,
      add_generation_prompt: true,
    });
  } catch (e) {
    throw new T2LError(
      'bad-input',
      `${model.name}: its chat template (tokenizer.chat_template) failed: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  if (model.addBos && model.bosToken && text.startsWith(model.bosToken)) {
    text = text.slice(model.bosToken.length);
  }
  return text;
}
