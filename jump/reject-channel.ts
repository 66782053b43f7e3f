// ssh2 rejects an accepted-for-consideration channel with "connect failed"; access refusals
// must say "administratively prohibited" (RFC 4254 reason 1) with a description, so the
// failure message is rewritten for this one call.
import type { Connection } from 'ssh2';

export const ADMINISTRATIVELY_PROHIBITED = 1;

interface ProtocolLike {
  channelOpenFail(recipient: number, reason: number, desc?: string): void;
}

export function rejectChannel(client: Connection, reject: () => void, reason: number, description: string): void {
  const proto = (client as unknown as { _protocol?: ProtocolLike })._protocol;
  if (!proto || typeof proto.channelOpenFail !== 'function') return reject();
  const original = proto.channelOpenFail;
  proto.channelOpenFail = function (recipient: number) {
    return original.call(this, recipient, reason, description);
  };
  try {
    reject();
  } finally {
    proto.channelOpenFail = original;
  }
}
