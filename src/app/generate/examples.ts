/**
 * Example descriptions in the style T2L was trained on (task descriptions written for each
 * training dataset: math word problems, coding, commonsense reasoning, classification).
 */
export interface Example {
  label: string;
  text: string;
}

export const EXAMPLES: Example[] = [
  {
    label: 'Math word problems',
    text: 'This task challenges your problem-solving abilities through mathematical reasoning. Carefully read each word problem, work through the quantities step by step, and compute the final numerical answer.',
  },
  {
    label: 'Python coding',
    text: 'Write Python functions that solve short programming problems: read the specification and the examples, handle edge cases, and return correct, readable code.',
  },
  {
    label: 'Commonsense reasoning',
    text: 'Use everyday commonsense knowledge about people, objects and events to pick the most plausible answer or continuation for a given situation.',
  },
  {
    label: 'Sentiment',
    text: 'Read a short review or social media post and decide whether the writer’s sentiment is positive or negative.',
  },
  {
    label: 'Sarcasm',
    text: 'Decide whether a sentence is sarcastic: whether the speaker means the opposite of what the words literally say, judging from tone and context.',
  },
  {
    label: 'Science questions',
    text: 'Answer grade-school science multiple-choice questions by reasoning about the underlying physical, biological or earth-science concept before choosing an option.',
  },
];
