/**
 * The page's accuracy report layout (accuracy/accuracy-report.ts): the "where they differ" filter,
 * the CSV's columns and quoting (read back with the RFC 4180 rules restated here), the
 * JSON round trip, and the Compare chart's table.
 */
import { describe, expect, it } from 'vitest';
import {
  accuracyTable,
  reportCsv,
  reportJson,
  rowsWhereTheyDiffer,
  type EvalReport,
} from '../../../src/app/accuracy/accuracy-report';

const report: EvalReport = {
  at: 0,
  set: { kind: 'own', name: 'set.jsonl', total: 3 },
  baseName: 'tiny',
  maxTokens: 4,
  template: 'Q: {prompt}, "briefly"\n{choices}',
  system: 'Be brief.',
  control: 'junk',
  models: [
    { key: 'base', label: 'Base model', kind: 'base' },
    { key: 'adapter', label: 'This adapter', kind: 'adapter' },
    { key: 'control', label: 'Control', kind: 'control' },
  ],
  rows: [
    {
      id: 'line 1',
      prompt: 'Say "hi", please',
      expected: 'hi',
      answers: [
        { text: 'hi', correct: true },
        { text: 'hi', correct: true },
        { text: 'hi', correct: true },
      ],
    },
    {
      id: 'line 2',
      prompt: 'two\nlines',
      expected: 'B',
      answers: [
        { text: 'A', correct: false },
        { text: 'B', correct: true },
        { text: 'A', correct: false },
      ],
    },
    {
      id: 'line 3',
      prompt: 'p3',
      expected: '5',
      answers: [
        { text: '4', correct: false },
        { text: '3', correct: false },
        { text: '2', correct: false },
      ],
    },
  ],
  summaries: [
    { key: 'base', n: 3, correct: 1, accuracy: 1 / 3, low: 0.06, high: 0.79, vsBase: null },
    {
      key: 'adapter',
      n: 3,
      correct: 2,
      accuracy: 2 / 3,
      low: 0.21,
      high: 0.94,
      vsBase: { gained: 1, lost: 0, pValue: 1 },
    },
    {
      key: 'control',
      n: 3,
      correct: 1,
      accuracy: 1 / 3,
      low: 0.06,
      high: 0.79,
      vsBase: { gained: 0, lost: 0, pValue: 1 },
    },
  ],
  complete: true,
};

/** RFC 4180 read back: quoted cells may hold commas, quotes (doubled) and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += c;
  }
  return rows;
}

describe('accuracy report', () => {
  it('keeps only rows whose verdicts differ between models', () => {
    expect(rowsWhereTheyDiffer(report.rows).map((r) => r.id)).toEqual(['line 2']);
  });

  it('writes the CSV with id, prompt, expected, answer and 1/0 per model in order, then the template and system', () => {
    const rows = parseCsv(reportCsv(report));
    expect(rows[0]).toEqual([
      'id',
      'prompt',
      'expected',
      'Base model answer',
      'Base model correct',
      'This adapter answer',
      'This adapter correct',
      'Control answer',
      'Control correct',
      'template',
      'system',
    ]);
    const how = ['Q: {prompt}, "briefly"\n{choices}', 'Be brief.'];
    expect(rows[1]).toEqual([
      'line 1',
      'Say "hi", please',
      'hi',
      'hi',
      '1',
      'hi',
      '1',
      'hi',
      '1',
      ...how,
    ]);
    expect(rows[2]).toEqual(['line 2', 'two\nlines', 'B', 'A', '0', 'B', '1', 'A', '0', ...how]);
    expect(rows).toHaveLength(4);
    // The defaults (no template, an empty system message): empty cells.
    const plain = parseCsv(reportCsv({ ...report, template: null, system: '' }));
    expect(plain[1]!.slice(-2)).toEqual(['', '']);
  });

  it('writes JSON that reads back as the same report', () => {
    expect(JSON.parse(reportJson(report))).toEqual(report);
  });

  it('lays out the chart table: accuracy, interval and counts per model', () => {
    const t = accuracyTable(report);
    expect(t.header).toEqual([
      'model',
      'accuracy',
      'low (95%)',
      'high (95%)',
      'correct',
      'examples',
    ]);
    expect(t.rows.map((r) => r.label)).toEqual(['Base model', 'This adapter', 'Control']);
    expect(t.rows[1]!.values).toEqual([2 / 3, 0.21, 0.94, 2, 3]);
  });
});
