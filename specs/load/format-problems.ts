// Problems in the formats a pull-request check wants: text (file:line:col), JSON, and GitHub
// Actions workflow commands (annotations shown on the pull request's diff).
import { formatProblem, type Problem } from './problem.js';

export const PROBLEM_FORMATS = ['text', 'json', 'github'] as const;
export type ProblemFormat = (typeof PROBLEM_FORMATS)[number];

/** GitHub's escaping for a workflow command's message (data). */
const escapeData = (s: string): string => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
/** ...and for a property value (file=…), where ':' and ',' separate properties. */
const escapeProperty = (s: string): string => escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

/** `::error file=F,line=L,col=C,title=drover validate::message` (or `::warning …`). */
export function githubAnnotation(p: Problem, root = ''): string {
  const file = root ? `${root.replace(/\/+$/, '')}/${p.file}` : p.file;
  return `::${p.severity === 'warning' ? 'warning' : 'error'} file=${escapeProperty(file)},line=${p.line},col=${p.col},title=${escapeProperty('drover validate')}::${escapeData(p.message)}`;
}

/** One line per problem in the given line format. */
export function formatProblemLine(p: Problem, format: Exclude<ProblemFormat, 'json'>, root = ''): string {
  return format === 'github' ? githubAnnotation(p, root) : formatProblem(p);
}
