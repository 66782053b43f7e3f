// What every `drover` subcommand module exports.
export interface CliCommand {
  summary: string;
  /** Runs the command; resolves to the process exit code. */
  run(argv: string[]): Promise<number>;
}
