// Copies non-TypeScript assets that the built code reads at run time into dist/.
import { cpSync, existsSync } from 'node:fs';

const assets = [
  // [source, destination]
  ['reconciler/web/assets', 'dist/reconciler/web/assets'],
];
for (const [from, to] of assets) {
  if (existsSync(from)) cpSync(from, to, { recursive: true });
}
