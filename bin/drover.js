#!/usr/bin/env node
// Entry point of the `drover` command: runs the built CLI, or the TypeScript
// sources through tsx when working from a checkout that was not built yet.
import { existsSync } from 'node:fs';

const built = new URL('../dist/cli/main.js', import.meta.url);
if (existsSync(built)) {
  await import(built.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('../cli/main.ts', import.meta.url).href);
}
