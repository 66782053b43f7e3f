// Reads one line typed into a session channel, echoing it (unless hidden) when the client has a
// pty, with backspace; Ctrl-C and Ctrl-D give null. Listens only while a line is being read, so the
// channel can be piped to a device afterwards (bytes typed after the line are put back).
import type { ServerChannel } from 'ssh2';

export function readLine(channel: ServerChannel, opts: { echo: boolean; pty: boolean; maxLength?: number; onInput?: () => void }): Promise<string | null> {
  const max = opts.maxLength ?? 256;
  return new Promise((resolve) => {
    let line = '';
    const done = (value: string | null): void => {
      channel.off('data', onData);
      channel.pause();
      channel.off('close', onClose);
      channel.off('end', onClose);
      if (opts.pty) channel.write('\r\n');
      resolve(value);
    };
    const onClose = (): void => done(null);
    const onData = (chunk: Buffer): void => {
      opts.onInput?.();
      const chars = [...chunk.toString('utf8')];
      for (let i = 0; i < chars.length; i++) {
        const ch = chars[i]!;
        if (ch === '\r' || ch === '\n' || ch === '\x03' || ch === '\x04') {
          let next = i + 1;
          if (ch === '\r' && chars[next] === '\n') next++;
          const rest = chars.slice(next).join('');
          done(ch === '\r' || ch === '\n' ? line : null);
          // what was typed after the line belongs to whoever reads next (unshifted once paused,
          // so it is not handed straight back to this reader)
          if (rest) channel.unshift(Buffer.from(rest, 'utf8'));
          return;
        }
        if (ch === '\x7f' || ch === '\b') {
          if (line.length) {
            line = line.slice(0, -1);
            if (opts.pty && opts.echo) channel.write('\b \b');
          }
          continue;
        }
        if (ch < ' ' || line.length >= max) continue;
        line += ch;
        if (opts.pty && opts.echo) channel.write(ch);
      }
    };
    channel.on('data', onData);
    channel.resume();
    channel.once('close', onClose);
    channel.once('end', onClose);
  });
}
