// Empties dist/ before a release build (npm pack), so nothing stale from earlier builds is shipped.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './build-info.mjs';

rmSync(join(ROOT, 'dist'), { recursive: true, force: true });
