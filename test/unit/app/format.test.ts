import { describe, expect, it } from 'vitest';
import { formatLowerBound } from '../../../src/app/shared/format';

describe('formatLowerBound', () => {
  it('rounds down, so a bound shown stays a bound', () => {
    expect(formatLowerBound(0.99996)).toBe('0.9999'); // toFixed(4) would say 1.0000
    expect(formatLowerBound(0.99871)).toBe('0.9987');
    expect(formatLowerBound(1)).toBe('1.0000');
    expect(formatLowerBound(0.5, 2)).toBe('0.50');
  });
});
