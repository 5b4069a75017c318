import { describe, expect, it } from 'vitest';
import { bearerMatches, isLoopbackHost } from '../../../src/admin/auth.js';

describe('isLoopbackHost', () => {
  it.each(['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1'])('%s is loopback', (h) => {
    expect(isLoopbackHost(h)).toBe(true);
  });
  it.each(['0.0.0.0', '::', '10.0.0.1', '192.0.2.10', 'lb.example.com', '128.0.0.1'])('%s is not', (h) => {
    expect(isLoopbackHost(h)).toBe(false);
  });
});

describe('bearerMatches', () => {
  it('matches only the exact token', () => {
    expect(bearerMatches('Bearer abcdefabcdefabcdef', 'abcdefabcdefabcdef')).toBe(true);
    expect(bearerMatches(undefined, 'abcdefabcdefabcdef')).toBe(false);
    expect(bearerMatches('Bearer abcdefabcdefabcde', 'abcdefabcdefabcdef')).toBe(false);
  });
});
