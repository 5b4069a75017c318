/** A pino logger whose JSON lines land, parsed, in an array the test reads. */
import { Writable } from 'node:stream';
import { pino } from 'pino';

export function captureLogger(lines: Record<string, unknown>[], level: pino.Level = 'debug'): pino.Logger {
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return pino({ level }, sink);
}
