// node-pty and better-sqlite3 are optionalDependencies: a machine that only runs agents does not
// need them (nor a compiler for them). When a command that needs one finds it missing or not
// built, this turns Node's module error into a message that says what to install.
const OPTIONAL: Record<string, string> = {
  'better-sqlite3': 'drover meta (its embedded SQLite store) and drover promote',
  'node-pty': 'drover jump (interactive shells) and drover demo',
};

/** A clear message when `err` is an optional native module that is missing or not built; null otherwise. */
export function explainMissingOptional(err: unknown): string | null {
  if (!(err instanceof Error)) return null;
  const code = (err as NodeJS.ErrnoException).code;
  const text = err.message;
  for (const [name, usedBy] of Object.entries(OPTIONAL)) {
    const missing = (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && new RegExp(`['"]${name}['"/]`).test(text);
    const unbuilt = text.includes(name) && /bindings file|\.node|NODE_MODULE_VERSION|compiled against/.test(text);
    if (missing || unbuilt) {
      return (
        `the optional module ${name} is ${missing ? 'not installed' : 'not usable on this machine'}; it is needed by ${usedBy}.\n` +
        `Install it next to drover (npm install -g ${name}, or reinstall drover without --omit=optional); ` +
        `a device that only runs the agent can use dist/drover-agent.mjs instead.`
      );
    }
  }
  return null;
}
