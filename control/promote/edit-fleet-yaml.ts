// The YAML edits of a promotion, on file texts: take a trial command out of a device file and add
// it to control.yaml with a selector and a rollout. Uses the yaml Document API, so the comments
// and formatting of everything not touched (and of the moved command itself) are kept.
import { isMap, isScalar, isSeq, parseDocument, YAMLMap, YAMLSeq, type Document } from 'yaml';
import { DroverError } from '../../lib/errors.js';
import type { Selector } from '../../specs/schema/selector.js';
import type { RolloutStep } from '../../specs/schema/primitives.js';

/** Never fold long lines: a promotion must not reformat the commands it does not touch. */
const TO_STRING = { lineWidth: 0 } as const;

export interface PromotionRollout {
  steps: RolloutStep[];
  maxFailures: number;
}

function parse(file: string, text: string): Document.Parsed {
  const doc = parseDocument(text, { keepSourceTokens: false });
  if (doc.errors.length) throw new DroverError('PROMOTE_YAML', `${file}: ${doc.errors[0]!.message.split('\n')[0]}`);
  return doc;
}

function commandsSeq(doc: Document, file: string): YAMLSeq | undefined {
  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) return undefined;
  if (!isMap(doc.contents)) throw new DroverError('PROMOTE_YAML', `${file}: expected a map of fields`);
  const seq = doc.contents.get('commands', true);
  if (seq === undefined || (isScalar(seq) && seq.value === null)) return undefined;
  if (!isSeq(seq)) throw new DroverError('PROMOTE_YAML', `${file}: commands must be a list`);
  return seq;
}

function indexOfCommand(seq: YAMLSeq, name: string): number {
  return seq.items.findIndex((item) => isMap(item) && String((item as YAMLMap).get('name')) === name);
}

export interface RemovedTrial {
  /** The device file without the command. */
  text: string;
  /** The command as plain data, as written. */
  value: Record<string, unknown>;
  /** The command's YAML node (with its comments), to move into control.yaml. */
  node: YAMLMap;
}

/** Removes command `name` from a device file's `commands:`; drops the key when the list becomes empty. */
export function removeTrialCommand(file: string, text: string, name: string): RemovedTrial {
  const doc = parse(file, text);
  const seq = commandsSeq(doc, file);
  const index = seq ? indexOfCommand(seq, name) : -1;
  if (!seq || index === -1) throw new DroverError('PROMOTE_NOT_FOUND', `${file}: no command "${name}" under commands:`);
  const node = seq.items[index] as YAMLMap;
  const value = node.toJSON() as Record<string, unknown>;
  seq.items.splice(index, 1);
  if (seq.items.length === 0) (doc.contents as YAMLMap).delete('commands');
  return { text: doc.toString(TO_STRING), value, node: node.clone() as YAMLMap };
}

const HEADER = ' Approved bash commands: promoted from device trials with `drover promote`.';

/** Adds a command to control.yaml (creating the file's content when it is missing or empty). */
export function addApprovedCommand(
  file: string,
  text: string | null,
  command: YAMLMap | Record<string, unknown>,
  opts: { select?: Selector; rollout: PromotionRollout },
): string {
  const doc = text === null || text.trim() === '' ? parseDocument('commands: []\n') : parse(file, text);
  if (text === null || text.trim() === '') doc.commentBefore = (text ?? '').replace(/^#/gm, '').trimEnd() || HEADER;
  let seq = commandsSeq(doc, file);
  if (!seq) {
    if (doc.contents === null || !isMap(doc.contents)) doc.contents = doc.createNode({}) as never;
    seq = new YAMLSeq();
    (doc.contents as YAMLMap).set('commands', seq);
  }
  seq.flow = false;
  const name = String(command instanceof YAMLMap ? command.get('name') : command.name);
  if (indexOfCommand(seq, name) !== -1) {
    throw new DroverError('PROMOTE_EXISTS', `${file}: an approved command named "${name}" already exists: rename the trial or edit the approved one`);
  }
  const node = command instanceof YAMLMap ? (command.clone() as YAMLMap) : (doc.createNode(command) as YAMLMap);
  node.flow = false;
  for (const key of ['select', 'rollout']) node.delete(key);
  if (opts.select) {
    const sel = doc.createNode(opts.select);
    (sel as YAMLMap).flow = true;
    node.set('select', sel);
  }
  const rollout = doc.createNode({ steps: opts.rollout.steps, maxFailures: opts.rollout.maxFailures });
  (rollout as YAMLMap).flow = true;
  node.set('rollout', rollout);
  seq.items.push(node);
  return doc.toString(TO_STRING);
}
