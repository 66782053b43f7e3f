// A meta logger for rollout tests: collects each "rollout step released" line (which meta, step,
// devices newly released) into `released`; DEBUG_LOG=1 shows every line on stderr.
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../lib/log.js';

export interface ReleaseLine {
  meta: string;
  step: number;
  newly: number;
  selected: number;
}

export function releaseLogger(name: string, released: ReleaseLine[]): Logger {
  return createLogger({
    name, level: 'info',
    destination: new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString().split('\n')) {
          if (process.env.DEBUG_LOG && line) process.stderr.write(line + '\n');
          if (!line.includes('rollout step released')) continue;
          const j = JSON.parse(line) as Omit<ReleaseLine, 'meta'>;
          released.push({ meta: name, step: j.step, newly: j.newly, selected: j.selected });
        }
        done();
      },
    }),
  });
}
