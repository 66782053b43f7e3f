// What the demo's steps share: folders, tokens, addresses, and how to print a line.
import type { BuiltArtifact } from './artifacts.js';

export interface DemoContext {
  dir: string;
  fleetDir: string;
  agentToken: string;
  adminToken: string;
  /** The same tokens in files (0600): every process gets a file, never a token on its command line. */
  tokenFiles: { agent: string; admin: string; adminHeader: string; enroll: string };
  artifactHost?: string;
  built?: BuiltArtifact[];
  metaUrl?: string;
  /** `enroll`: devices/<id>.yaml declares `enroll`, so its agent enrolls with the enrollment token instead of the shared one. */
  devices: { id: string; labels: Record<string, string>; root: string; enroll: boolean }[];
  /** What to print about the jump server once the fleet is in sync. */
  jumpLines?: string[];
  say(line: string): void;
}
