// Renders device enrollments as `drover devices` prints them. Pure.
import { formatColumns } from './output.js';
import { ago } from './status-table.js';

export interface EnrollmentItem {
  deviceId: string;
  status: string;
  fingerprint: string;
  hostname: string | null;
  declared: string | null;
  requestedAt: string;
  lastRequestAt: string;
  decidedAt: string | null;
  decidedBy: string | null;
  reason: string | null;
}

export function formatEnrollments(items: readonly EnrollmentItem[], now: number): string {
  if (items.length === 0) return 'no enrollment requests\n';
  const header = ['DEVICE', 'STATUS', 'FINGERPRINT', 'HOSTNAME', 'LAST REQUEST', 'DECIDED BY', 'REASON'];
  const cells = items.map((e) => [e.deviceId, e.status, e.fingerprint, e.hostname ?? '-', ago(e.lastRequestAt, now), e.decidedBy ?? '-', e.reason ?? '']);
  const pending = items.filter((e) => e.status === 'pending').length;
  const hint = pending ? `${pending} pending: check each fingerprint, then drover devices accept ID (or reject ID)\n` : '';
  return formatColumns(header, cells) + hint;
}

export function formatDecision(e: EnrollmentItem): string {
  return `${e.deviceId}: ${e.status} (${e.fingerprint})${e.decidedBy ? ` by ${e.decidedBy}` : ''}${e.reason ? `: ${e.reason}` : ''}\n`;
}
