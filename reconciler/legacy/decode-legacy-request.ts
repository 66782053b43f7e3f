// Reads a legacy POST /heartbeat body with ops-meta's rules and error messages (http/heartbeat.go):
//   r.ContentLength == 0          → 400 "body is blank"
//   json Decode fails             → 400 "body format error"
//   req.Hostname == ""            → 400 "hostname is blank"
// Decoding follows encoding/json into model.HeartbeatRequest: a value of the wrong type fails the
// whole decode, null leaves a field empty, unknown keys are ignored, trailing data is ignored.
// Pure.
import type { LegacyHeartbeatRequest, LegacyRealAgent } from '../../specs/wire/legacy.js';
import { decodeFirstValue, goField } from './go-json.js';
import { DroverError } from '../../lib/errors.js';

export type DecodeResult = { ok: true; request: LegacyHeartbeatRequest } | { ok: false; message: 'body is blank' | 'body format error' | 'hostname is blank' };

const FORMAT_ERROR = { ok: false, message: 'body format error' } as const;

const typeMismatch = (key: string): DroverError => new DroverError('BAD_JSON', `${key} has the wrong type`);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function goString(obj: Record<string, unknown>, key: string): string {
  const v = goField(obj, key);
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw typeMismatch(key);
  return v;
}

function goInt64(obj: Record<string, unknown>, key: string): number {
  const v = goField(obj, key);
  if (v === undefined || v === null) return 0;
  if (typeof v !== 'number' || !Number.isInteger(v) || !Number.isSafeInteger(v)) throw typeMismatch(key);
  return v;
}

/**
 * @param body the raw body, undefined when the request had none
 * @param declaredEmpty true when the request says its body is empty (`Content-Length: 0`, or
 *   neither Content-Length nor Transfer-Encoding), which is what Go reports as ContentLength 0
 */
export function decodeLegacyRequest(body: Buffer | undefined, declaredEmpty: boolean): DecodeResult {
  if (declaredEmpty) return { ok: false, message: 'body is blank' };
  const first = decodeFirstValue(body ? body.toString('utf8') : '');
  if (!first) return FORMAT_ERROR;
  const v = first.value;
  if (v !== null && !isObject(v)) return FORMAT_ERROR;
  let hostname = '';
  let realAgents: LegacyRealAgent[] | null = null;
  try {
    if (v !== null) {
      hostname = goString(v, 'hostname');
      const list = goField(v, 'realAgents');
      if (list !== undefined && list !== null) {
        if (!Array.isArray(list)) throw typeMismatch('realAgents');
        realAgents = [];
        for (const item of list) {
          if (item === null) continue; // a nil *RealAgent: ops-meta would crash on it; skipped here
          if (!isObject(item)) throw typeMismatch('realAgents[]');
          realAgents.push({
            name: goString(item, 'name'),
            version: goString(item, 'version'),
            status: goString(item, 'status'),
            timestamp: goInt64(item, 'timestamp'),
          });
        }
      }
    }
  } catch (err) {
    if (err instanceof DroverError && err.code === 'BAD_JSON') return FORMAT_ERROR;
    throw err;
  }
  if (hostname === '') return { ok: false, message: 'hostname is blank' };
  return { ok: true, request: { hostname, realAgents } };
}
