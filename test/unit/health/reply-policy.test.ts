import { describe, expect, it } from 'vitest';
import { isSiplbError } from '../../../src/errors.js';
import { compileReplyCodes, DEFAULT_OK_CODES, parseReplyCodes } from '../../../src/health/reply-policy.js';

describe('reply policy (okCodes)', () => {
  it('defaults to any 2xx', () => {
    expect(DEFAULT_OK_CODES).toEqual(['2xx']);
    const ok = compileReplyCodes();
    expect([199, 200, 202, 299, 300, 404, 503].map(ok)).toEqual([false, true, true, true, false, false, false]);
  });

  it("accepts a list mixing classes and codes, like ['2xx', 404, 405, 488]", () => {
    const ok = compileReplyCodes(['2xx', 404, 405, '488']);
    expect([200, 250, 403, 404, 405, 406, 488, 489, 500].map(ok)).toEqual([
      true, true, false, true, true, false, true, false, false,
    ]);
  });

  it("accepts a range string '200-299', and a comma/space separated string", () => {
    expect([199, 200, 299, 300].map(compileReplyCodes('200-299'))).toEqual([false, true, true, false]);
    const r = parseReplyCodes('2XX, 404 480-486');
    expect(r.ok && r.codes.filter((c) => c >= 300)).toEqual([404, 480, 481, 482, 483, 484, 485, 486]);
  });

  it('is false for anything that is not a status code', () => {
    const ok = compileReplyCodes(['1xx', '6xx']);
    expect([100, 699, 700, 99, -1, 100.5, Number.NaN, 1e9].map(ok)).toEqual([true, true, false, false, false, false, false, false]);
  });

  it.each([[[]], [''], [['7xx']], [[99]], [[200.5]], [['2x']], [['300-200']], [['abc']], [['200-700']]])(
    'rejects %j with a message naming okCodes',
    (spec) => {
      const r = parseReplyCodes(spec);
      expect(r.ok).toBe(false);
      expect(!r.ok && r.error).toMatch(/okCodes/);
      try {
        compileReplyCodes(spec);
        expect.fail('should throw');
      } catch (err) {
        expect(isSiplbError(err) && err.code).toBe('SIPLB_ERR_CONFIG_INVALID');
      }
    },
  );
});
