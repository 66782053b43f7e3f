// The whole fleet repository at one revision, after loading and validation.
import type { ApprovedCommandSpec } from './command.js';
import type { DeviceSpec } from './device.js';
import type { FleetSettings } from './fleet.js';
import type { PackageSpec } from './package.js';
import type { UserSpec } from './user.js';

/** Where a definition came from, for messages that point back into the repository. */
export interface SourceRef {
  file: string;
  line: number;
  col: number;
}

export interface FleetSpec {
  /** The git commit (or a directory's content hash) this spec was read from. */
  revision: string | null;
  fleet: FleetSettings;
  packages: PackageSpec[];
  devices: DeviceSpec[];
  commands: ApprovedCommandSpec[];
  users: UserSpec[];
  /** Source of each named definition: `package:NAME`, `device:ID`, `command:NAME`, `user:NAME`. */
  sources: Record<string, SourceRef>;
}
