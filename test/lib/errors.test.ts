import { describe, expect, it } from 'vitest';
import { errorMessage } from '../../src/lib/errors.js';

describe('errorMessage', () => {
  it("an Error's message", () => {
    expect(errorMessage(new TypeError('bad input'))).toBe('bad input');
  });

  it('the message of an error-shaped object (JSONata throws these)', () => {
    expect(errorMessage({ code: 'S0201', position: 3, message: 'Syntax error: ")"' })).toBe('Syntax error: ")"');
  });

  it('anything else as text, never undefined and never a throw', () => {
    expect(errorMessage('plain string')).toBe('plain string');
    expect(errorMessage(42)).toBe('42');
    expect(errorMessage(null)).toBe('null');
    expect(errorMessage(undefined)).toBe('undefined');
    expect(errorMessage({ message: 7 })).toBe('[object Object]');
  });
});
