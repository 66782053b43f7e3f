// What the demo's steps share: folders, tokens, addresses, and how to print a line.
import type { BuiltArtifact } from './artifacts.js';

export interface DemoContext {
  dir: string;
  fleetDir: string;
  agentToken: string;
  adminToken: string;
  artifactHost?: string;
  built?: BuiltArtifact[];
  metaUrl?: string;
  devices: { id: string; labels: Record<string, string>; root: string }[];
  /** What to print about the jump server once the fleet is in sync. */
  jumpLines?: string[];
  say(line: string): void;
}
