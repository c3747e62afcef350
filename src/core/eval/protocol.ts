/**
 * The T2L reference's evaluation protocol (SakanaAI/text-to-lora, commit 8ba7749), restated: what
 * each benchmark asks the model, how the chat prompt is built, how long an answer may be and which
 * matching rule scores it. Our own example sets get the same treatment, with a template of ours for
 * choice rows modelled on the reference's ARC prompt.
 *
 * The prompt, as vllm_eval.py builds it (eval_qa / eval_gsm8k → fishfarm QATask / LanguageRestrictedMathTask
 * → LoRAVLLMModel._into_prompt):
 *   messages = [system: system_message (always "" here), user: template.format(**row)]
 *   prompt   = apply_chat_template(messages, add_generation_prompt=True) + assistant_prefill
 * then greedy decoding (temperature 0, top_p 1, repetition_penalty 1) of at most 2^9 = 512 new
 * tokens (eval_model's SamplingParams), zero-shot (use_icl off), and the output (without the
 * prefill) is matched against str(row[response_field]).
 *
 * The templates are vllm_eval.py's (TASK_TEMPLATES / EVAL_FNS), which the paper's numbers come from.
 * tasks/<name>/metadata.yaml holds the training prompts; they are the same text except where
 * `trainingDiffers` says.
 */
import { T2LError } from '../errors';
import { renderChatPrompt, type ChatSpecials, type RenderOptions } from '../llm/chat-prompt';
import type { Example } from './examples';
import { choiceLetter } from './examples';
import { gsm8kTarget, pyFloatRepr, type MatchRule } from './matching';

/** Most new tokens per answer: vllm_eval.py eval_model, SamplingParams(max_tokens=2**9). */
export const REFERENCE_MAX_TOKENS = 512;

/**
 * The largest answer cap an accuracy run accepts, the same in `t2l eval --max-tokens` and the
 * page's "Max answer tokens" field: the reference's 512. Above it a run would no longer be the
 * reference's protocol, and the page's LLM context (1024 tokens, prompt included) could not hold
 * the answer.
 */
export const MAX_ANSWER_TOKENS = REFERENCE_MAX_TOKENS;

export type BenchmarkName =
  | 'arc_easy'
  | 'arc_challenge'
  | 'boolq'
  | 'hellaswag'
  | 'openbookqa'
  | 'piqa'
  | 'winogrande'
  | 'gsm8k';

export interface BenchmarkProtocol {
  name: BenchmarkName;
  /** The name the paper's table uses. */
  title: string;
  /** The Hugging Face dataset and the split the reference evaluates (vllm_eval.py EVAL_FNS / DS_KWARGS). */
  dataset: { repo: string; config?: string; split: string };
  /** The user message, a Python str.format template over the row's fields (vllm_eval.py). */
  userPromptTemplate: string;
  /** The system message's text (vllm_eval.py: "" for every benchmark; sent as an empty message). */
  systemMessage: string;
  /** Text appended after the chat template's generation prompt (LoRAVLLMModel prefill_text). */
  assistantPrefill: string;
  /** The row field holding the expected answer (str() of it is matched). */
  responseField: string;
  rule: MatchRule;
  /** Most new tokens per answer. */
  maxTokens: number;
  /** How metadata.yaml's training prompt differs from the evaluated one, if it does. */
  trainingDiffers?: string;
  /** ARC: pad to four choices before formatting (preprocessing.py get_preprocessing_fn("arc_*")). */
  padChoicesToFour?: boolean;
}

// vllm_eval.py ARC_TEMPLATE (= tasks/arc_*/metadata.yaml user_prompt_template).
const ARC_TEMPLATE =
  'Answer the question below by choosing the correct choice.\n\n' +
  '{question}\n\n' +
  '{choices[label][0]}: {choices[text][0]}\n{choices[label][1]}: {choices[text][1]}\n' +
  '{choices[label][2]}: {choices[text][2]}\n{choices[label][3]}: {choices[text][3]}\n\n' +
  'You must respond with the letter corresponding to the correct choice without any explanation.';

/** The eight benchmarks the paper reports that need no code execution, as the reference scores them. */
export const BENCHMARKS: Readonly<Record<BenchmarkName, BenchmarkProtocol>> = {
  arc_easy: {
    name: 'arc_easy',
    title: 'ARC-Easy',
    dataset: { repo: 'allenai/ai2_arc', config: 'ARC-Easy', split: 'test' },
    userPromptTemplate: ARC_TEMPLATE,
    systemMessage: '',
    assistantPrefill: '',
    responseField: 'answerKey',
    rule: 'choice', // eval_tasks.py TASK_EVAL_FNS["arc"]
    maxTokens: REFERENCE_MAX_TOKENS,
    padChoicesToFour: true,
  },
  arc_challenge: {
    name: 'arc_challenge',
    title: 'ARC-Challenge',
    dataset: { repo: 'allenai/ai2_arc', config: 'ARC-Challenge', split: 'test' },
    userPromptTemplate: ARC_TEMPLATE,
    systemMessage: '',
    assistantPrefill: '',
    responseField: 'answerKey',
    rule: 'choice', // TASK_EVAL_FNS["arc"]
    maxTokens: REFERENCE_MAX_TOKENS,
    padChoicesToFour: true,
  },
  boolq: {
    name: 'boolq',
    title: 'BoolQ',
    dataset: { repo: 'google/boolq', split: 'validation' },
    // vllm_eval.py BOOLQ_TEMPLATE
    userPromptTemplate:
      '{passage}\n\nQuestion: {question}?\n\nPlease answer with either `true` or `false` without any explanation.',
    systemMessage: '',
    assistantPrefill: '',
    responseField: 'answer',
    rule: 'bool', // TASK_EVAL_FNS["boolq"] = get_binary_accuracy_flex
    maxTokens: REFERENCE_MAX_TOKENS,
    trainingDiffers: 'metadata.yaml says "Please answer with only `true` or `false`"',
  },
  hellaswag: {
    name: 'hellaswag',
    title: 'HellaSwag',
    dataset: { repo: 'Rowan/hellaswag', split: 'validation' },
    // vllm_eval.py HSWAG_TEMPLATE
    userPromptTemplate:
      'You are provided with an incomplete passage below as well as 4 choices of continuation ' +
      'with only one of them being the correct ending. ' +
      'Treat the endings as being labelled 0, 1, 2, 3 in order.\n\n' +
      'Passage: {ctx}\n\n' +
      '0: {endings[0]}\n1: {endings[1]}\n2: {endings[2]}\n3: {endings[3]}\n\n' +
      'You must respond with the only number corresponding to the correct ending (0,1,2,3) for the passage ' +
      'without any explanation.',
    systemMessage: '',
    assistantPrefill: '',
    responseField: 'label',
    rule: 'choice', // TASK_EVAL_FNS["hellaswag"]
    maxTokens: REFERENCE_MAX_TOKENS,
  },
  openbookqa: {
    name: 'openbookqa',
    title: 'OpenBookQA',
    dataset: { repo: 'allenai/openbookqa', config: 'main', split: 'test' },
    // vllm_eval.py OQA_TEMPLATE
    userPromptTemplate:
      'Complete the following passage or answer the question by choosing the correct choice.\n\n' +
      '{question_stem}\n\n' +
      '{choices[label][0]}: {choices[text][0]}\n{choices[label][1]}: {choices[text][1]}\n' +
      '{choices[label][2]}: {choices[text][2]}\n{choices[label][3]}: {choices[text][3]}\n\n' +
      'You must respond with the letter corresponding to the correct choice (A,B,C,D) without any explanation.',
    systemMessage: '',
    assistantPrefill: '',
    responseField: 'answerKey',
    rule: 'choice', // TASK_EVAL_FNS["openbookqa"]
    maxTokens: REFERENCE_MAX_TOKENS,
    trainingDiffers: 'metadata.yaml has three line breaks after the first sentence, not two',
  },
  piqa: {
    name: 'piqa',
    title: 'PIQA',
    dataset: { repo: 'ybisk/piqa', split: 'validation' },
    // vllm_eval.py PIQA_TEMPLATE
    userPromptTemplate:
      'Choose the option that either answers the question, completes the sentence, or solves the problem. ' +
      'Pay attention to the properties of the objects in the question and how they interact with each other. ' +
      'If both options are correct, choose the one that is more convenient or more common.\n\n"""{goal}"""\n\n' +
      '0: {sol1}\n1: {sol2}\n\n' +
      'You must respond with either `0` or `1` without any explanation.',
    systemMessage: '',
    assistantPrefill: '',
    responseField: 'label',
    rule: 'choice', // TASK_EVAL_FNS["piqa"]
    maxTokens: REFERENCE_MAX_TOKENS,
    trainingDiffers: 'metadata.yaml puts the goal between """ lines: """\\n{goal}\\n"""',
  },
  winogrande: {
    name: 'winogrande',
    title: 'Winogrande',
    dataset: { repo: 'allenai/winogrande', config: 'winogrande_debiased', split: 'validation' },
    // vllm_eval.py WINOGRANDE_TEMPLATE
    userPromptTemplate:
      'Given the following situation:\n\n{sentence}\n\nWhich option is correct?\n\n' +
      'Option 1: {option1}\n\nOption 2: {option2}\n\n' +
      'You must respond with either `1` or `2` without any explanation.',
    systemMessage: '',
    assistantPrefill: '',
    responseField: 'answer',
    rule: 'choice', // TASK_EVAL_FNS["winogrande"]
    maxTokens: REFERENCE_MAX_TOKENS,
    trainingDiffers: 'metadata.yaml has one line break between the two options, not two',
  },
  gsm8k: {
    name: 'gsm8k',
    title: 'GSM8K',
    dataset: { repo: 'openai/gsm8k', config: 'main', split: 'test' },
    // vllm_eval.py eval_gsm8k: template and prefill_text
    userPromptTemplate: 'Please answer the following question: {question}\n\n',
    systemMessage: '',
    assistantPrefill: "Let's think step by step.",
    responseField: 'answer',
    rule: 'number', // LanguageRestrictedMathTask, languages=[]
    maxTokens: REFERENCE_MAX_TOKENS,
    trainingDiffers:
      'metadata.yaml has no "\\n\\n" after the question and the prefill "Let\'s think step by step. " (a trailing space)',
  },
};

/** Benchmarks of the paper that are not scored here, and why. */
export const NOT_SCORED: ReadonlyArray<{ name: string; title: string; why: string }> = [
  {
    name: 'humaneval',
    title: 'HumanEval',
    why: 'scored by running the generated code against unit tests (evalplus pass@1), which needs a sandbox to execute untrusted Python',
  },
  {
    name: 'mbpp',
    title: 'MBPP',
    why: 'scored by running the generated code against unit tests (evalplus pass@1), which needs a sandbox to execute untrusted Python',
  },
];

/**
 * The default control description: a junk string, as the reference's "random strings" description
 * kind (its maintainers report SFT-trained T2Ls often do nearly as well from one; SakanaAI/text-to-lora
 * issue #7). An adapter made from it, scored on the same examples, shows how much of a gain is the
 * description's.
 */
export const DEFAULT_CONTROL_DESCRIPTION = 'qorvath blint usk 47 zemmo prask ilt wodderan fesk';

/** One prompt to score: the chat turn, the prefill, the expected answer and its rule. */
export interface EvalItem {
  /** The example's id (row id, `line N`, or a benchmark row's index). */
  id: string;
  /** The system message ("" is sent as an empty system message, as the reference does). */
  system: string;
  /** The user message. */
  user: string;
  /** Appended to the rendered chat prompt; the model continues from it. */
  prefill: string;
  /** The expected answer, as the rule compares it. */
  expected: string;
  rule: MatchRule;
  /** Most new tokens. */
  maxTokens: number;
}

type Row = Record<string, unknown>;

/** Python str() of a dataset value: strings as they are, True/False, ints, floats in repr form. */
function pyStr(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'bigint') return String(v);
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : pyFloatRepr(v);
  if (v === null || v === undefined) return 'None';
  throw new T2LError('bad-input', `cannot write ${JSON.stringify(v)} into a prompt`);
}

/**
 * A field of a row or of a value in it, own fields only: a plain object inherits "constructor",
 * "toString", "__proto__", which are no row's fields (a template naming them is refused as naming a
 * missing field, not written into the prompt).
 */
function own(obj: object, key: string): unknown {
  return Object.hasOwn(obj, key) ? (obj as Row)[key] : undefined;
}

/**
 * Python's `template.format(**row)` for the field forms templates use: `{name}`, `{name[key]}`,
 * `{name[0]}` (chained), `{{` and `}}` for literal braces. A bracketed key of digits indexes a
 * list; another key reads an object's field. Conversions (`!r`) and format specs (`:>4`) are not
 * used by any template here and are refused.
 *
 * Throws T2LError('bad-input') naming the field when the row lacks it; `source` names the template.
 * `missing(field)`, when given, builds that error instead (checkUserTemplate's wording).
 */
export function formatTemplate(
  template: string,
  row: Row,
  source = 'the template',
  missing?: (field: string) => T2LError,
): string {
  let out = '';
  let i = 0;
  while (i < template.length) {
    const ch = template[i]!;
    if (ch === '{' && template[i + 1] === '{') {
      out += '{';
      i += 2;
    } else if (ch === '}' && template[i + 1] === '}') {
      out += '}';
      i += 2;
    } else if (ch === '}') {
      // Positions are 1-based, as in the example files' messages ("at character 2").
      throw new T2LError('bad-input', `${source}: a single "}" at character ${i + 1} (write "}}")`);
    } else if (ch === '{') {
      const end = template.indexOf('}', i);
      if (end < 0)
        throw new T2LError('bad-input', `${source}: "{" at character ${i + 1} is not closed`);
      const field = template.slice(i + 1, end);
      const m = /^([A-Za-z_][A-Za-z0-9_]*)((?:\[[^\]]+\])*)$/.exec(field);
      if (!m) {
        throw new T2LError(
          'bad-input',
          `${source}: unsupported field {${field}} (expected {name} or {name[key]})`,
        );
      }
      let value: unknown = own(row, m[1]!);
      if (value === undefined) {
        throw (
          missing?.(field) ??
          new T2LError('bad-input', `${source}: the row has no field "${m[1]}" for {${field}}`)
        );
      }
      for (const [, key] of m[2]!.matchAll(/\[([^\]]+)\]/g)) {
        const k = key!;
        if (/^[0-9]+$/.test(k) && Array.isArray(value)) value = own(value, String(Number(k)));
        else if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
          value = own(value, k);
        } else value = undefined;
        if (value === undefined) {
          throw (
            missing?.(field) ??
            new T2LError('bad-input', `${source}: the row has no ${m[1]}${m[2]} for {${field}}`)
          );
        }
      }
      out += pyStr(value);
      i = end + 1;
    } else {
      out += ch;
      i++;
    }
  }
  return out;
}

/**
 * ARC rows with fewer than four choices get "N/A" choices up to four, labelled on from the last
 * (digits stay digits: "1","2","3" → "4"); restated from preprocessing.py get_preprocessing_fn("arc_*").
 * A fifth choice stays in the row but the template shows only four, as in the reference.
 */
function padArcChoices(row: Row): Row {
  const choices = row['choices'] as { text?: unknown; label?: unknown } | undefined;
  if (!choices || !Array.isArray(choices.text) || !Array.isArray(choices.label)) return row;
  const text = [...(choices.text as unknown[])];
  const label = [...(choices.label as unknown[])];
  const missing = 4 - text.length;
  for (let i = 0; i < missing; i++) text.push('N/A');
  if (label.length < 4) {
    const digits = /^[0-9]/.test(String(label[0] ?? ''));
    const n = label.length;
    for (let i = 0; i < missing; i++) label.push(digits ? String(n + i + 1) : 'ABCD'[n + i]);
  }
  return { ...row, choices: { ...choices, text, label } };
}

/**
 * One benchmark row as the reference asks it (vllm_eval.py eval_qa / eval_gsm8k). GSM8K's expected
 * answer is the integer of the answer's last number (gsm8kTarget).
 *
 * Throws T2LError('bad-input') when the row lacks a field the template or the answer needs.
 */
export function benchmarkItem(protocol: BenchmarkProtocol, row: Row, id: string): EvalItem {
  const source = `${protocol.title} row ${id}`;
  const r = protocol.padChoicesToFour ? padArcChoices(row) : row;
  const answer = r[protocol.responseField];
  if (answer === undefined) {
    throw new T2LError('bad-input', `${source}: no "${protocol.responseField}" field`);
  }
  let expected = pyStr(answer);
  if (protocol.rule === 'number') {
    const n = gsm8kTarget(expected);
    expected = n === null ? '' : String(n);
  }
  return {
    id,
    system: protocol.systemMessage,
    user: formatTemplate(protocol.userPromptTemplate, r, source),
    prefill: protocol.assistantPrefill,
    expected,
    rule: protocol.rule,
    maxTokens: protocol.maxTokens,
  };
}

/**
 * The default template of choice rows in a user's example set: the reference's ARC prompt
 * (vllm_eval.py ARC_TEMPLATE) with `{prompt}` for the question and `{choices}` for the lines
 * "A: …", one per choice, however many there are.
 */
export const DEFAULT_CHOICE_TEMPLATE =
  'Answer the question below by choosing the correct choice.\n\n' +
  '{prompt}\n\n' +
  '{choices}\n\n' +
  'You must respond with the letter corresponding to the correct choice without any explanation.';

/** The default template of free-answer rows: the prompt as it is. */
export const DEFAULT_FREE_TEMPLATE = '{prompt}';

export interface UserSetOptions {
  /**
   * A template for every row, with `{prompt}` (required) and `{choices}` (the lines "A: …");
   * `{{`/`}}` for literal braces. Default: DEFAULT_FREE_TEMPLATE / DEFAULT_CHOICE_TEMPLATE.
   */
  template?: string;
  /** A system message for every row (default "", sent as an empty system message). */
  system?: string;
  /** Most new tokens per answer (default REFERENCE_MAX_TOKENS). */
  maxTokens?: number;
}

/**
 * Checks a user's template once, before any row: `{prompt}` present, no other field but `{choices}`.
 * A user template reads only those two (userSetItem), so another field is refused as such, not as
 * one "the row has no": the user's rows may well hold it.
 */
export function checkUserTemplate(template: string): void {
  formatTemplate(template, { prompt: 'p', choices: 'c' }, 'the template', (field) => {
    return new T2LError(
      'bad-input',
      `the template may use only {prompt} and {choices} (other fields of a row are not read); found {${field}}`,
    );
  });
  if (!template.replaceAll('{{', '').includes('{prompt}')) {
    throw new T2LError('bad-input', 'the template must hold {prompt}, where each row goes');
  }
}

/**
 * The template a user gave (`t2l eval --template`, the page's template field) as it is used:
 * absent or '' mean none, the defaults (DEFAULT_FREE_TEMPLATE / DEFAULT_CHOICE_TEMPLATE), and give
 * null; any other text is checked by {@link checkUserTemplate} (so "  " is refused: it holds no
 * `{prompt}`) and returned as it is. One rule for the CLI and the page.
 */
export function userTemplate(template: string | undefined): string | null {
  if (template === undefined || template === '') return null;
  checkUserTemplate(template);
  return template;
}

/**
 * What a valid user template probably does not do as meant, or null: `\n` or `\t` written as a
 * backslash and a letter (a shell's "…\n…" passes them so; the template keeps them as they are,
 * as Python's str.format does), and `choiceRows` multiple-choice rows asked by a template without
 * `{choices}` (the model never sees their choices). Said, not refused: either may be meant.
 */
export function userTemplateNote(template: string, choiceRows: number): string | null {
  const notes: string[] = [];
  const escape = /\\[nt]/.exec(template);
  if (escape) {
    notes.push(
      `the template holds "${escape[0]}" as two characters (a backslash and a letter), not a ${escape[0] === '\\n' ? 'line break' : 'tab'} (in bash or zsh, --template $'Q: {prompt}\\n{choices}' gives one; in the page, type the line break)`,
    );
  }
  if (choiceRows > 0 && !template.replaceAll('{{', '').includes('{choices}')) {
    notes.push(
      `the template has no {choices}: the ${choiceRows} multiple-choice rows are asked without their choices`,
    );
  }
  return notes.length > 0 ? notes.join('; ') : null;
}

/**
 * One row of a user's example set as an EvalItem: the template applied, the choice rule for rows
 * with choices (the expected letter), the numeric rule for a JSON number answer, the free-answer
 * rule otherwise.
 */
export function userSetItem(example: Example, options: UserSetOptions = {}): EvalItem {
  const choices = example.choices;
  const template = options.template ?? (choices ? DEFAULT_CHOICE_TEMPLATE : DEFAULT_FREE_TEMPLATE);
  const user = formatTemplate(
    template,
    {
      prompt: example.prompt,
      choices: choices ? choices.map((c, i) => `${choiceLetter(i)}: ${c}`).join('\n') : '',
    },
    'the template',
  );
  return {
    id: example.id,
    system: options.system ?? '',
    user,
    prefill: '',
    expected: example.answer,
    rule: choices ? 'choice' : example.numeric ? 'number' : 'free',
    maxTokens: options.maxTokens ?? REFERENCE_MAX_TOKENS,
  };
}

/**
 * The prompt string of an item for a base model: its chat template applied to
 * `[system, user]` with the generation prompt (renderChatPrompt, budgeted; an empty system message
 * kept, as the reference sends one), then the prefill. Throws what renderChatPrompt throws.
 */
export function renderItemPrompt(
  item: EvalItem,
  chatTemplate: string | undefined,
  specials: ChatSpecials,
  options: Omit<RenderOptions, 'keepEmptySystem'> = {},
): string {
  const rendered = renderChatPrompt(
    chatTemplate,
    { system: item.system, user: item.user },
    specials,
    { ...options, keepEmptySystem: true },
  );
  return rendered.prompt + item.prefill;
}
