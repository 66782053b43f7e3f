// One way every data-printing command prints: `-o table` (the default, for people), `-o json`
// or `-o yaml` (for scripts: the same data as the API answered, keys unchanged). `--json` is
// kept as an alias of `-o json`.
import { createRequire } from 'node:module';
import type { OptionSpec } from '../lib/config.js';
import { DroverError } from '../lib/errors.js';

export const OUTPUT_FORMATS = ['table', 'json', 'yaml'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export const OUTPUT_OPTIONS: OptionSpec[] = [
  {
    name: 'output', short: 'o', type: 'string', metavar: 'FORMAT', default: 'table', choices: OUTPUT_FORMATS,
    help: 'table (default), json or yaml',
    check: (v) => (OUTPUT_FORMATS.includes(v as OutputFormat) ? undefined : `must be one of ${OUTPUT_FORMATS.join(', ')}`),
  },
  { name: 'json', type: 'boolean', help: 'the same as -o json', default: false, env: false },
];

/** The format asked for: `--json` wins over a default `-o`, and conflicts with an explicit other one. */
export function outputFormat(values: Record<string, unknown>, sources: Record<string, string> = {}): OutputFormat {
  const output = (values.output as OutputFormat | undefined) ?? 'table';
  if (values.json !== true) return output;
  if (sources.output === 'flag' && output !== 'json') throw new DroverError('CONFIG_INVALID', `--json and -o ${output} disagree: keep one`);
  return 'json';
}

/** Renders `data` as JSON or YAML, or calls `table` for the human form. Ends with a newline. */
export function formatOutput(format: OutputFormat, data: unknown, table: () => string): string {
  if (format === 'json') return JSON.stringify(data, null, 2) + '\n';
  if (format === 'yaml') {
    const { stringify } = createRequire(import.meta.url)('yaml') as typeof import('yaml');
    return stringify(data, { lineWidth: 0 });
  }
  const text = table();
  return text.endsWith('\n') || text === '' ? text : text + '\n';
}

/** Writes what formatOutput renders to standard output. */
export function printOutput(format: OutputFormat, data: unknown, table: () => string): void {
  process.stdout.write(formatOutput(format, data, table));
}

/** Aligned columns: a header and rows of cells, the last column not padded. */
export function formatColumns(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((v, i) => (i === cells.length - 1 ? v : v.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}
