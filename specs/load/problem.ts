// A problem found in the fleet repository, pointing at a file, line and column.
export type Severity = 'error' | 'warning';

export interface Problem {
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  col: number;
  message: string;
  severity: Severity;
}

/** `path/to/file.yaml:LINE:COL: message` (warnings say `warning:` before the message). */
export function formatProblem(p: Problem): string {
  return `${p.file}:${p.line}:${p.col}: ${p.severity === 'warning' ? 'warning: ' : ''}${p.message}`;
}

const byCodePoint = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** By file, line, column and message; plain code-point order, so the output is the same under every locale. */
export function sortProblems(problems: Problem[]): Problem[] {
  return [...problems].sort((a, b) => byCodePoint(a.file, b.file) || a.line - b.line || a.col - b.col || byCodePoint(a.message, b.message));
}
