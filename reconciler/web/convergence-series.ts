// How many devices reached the current revision over time: a small in-memory series, restarted at
// each new revision. The caller samples (coalesced, at most about once a second); a point is kept
// only when the figures changed, and the series is thinned (every other point dropped) when full.

export interface ConvergencePoint {
  /** Epoch ms. */
  at: number;
  /** Devices whose applied etag is their current desired etag. */
  reached: number;
  /** Devices meta knows (seen or declared). */
  total: number;
}

export interface ConvergenceView {
  revision: string | null;
  /** When meta applied the revision (epoch ms). */
  since: number | null;
  points: ConvergencePoint[];
}

export class ConvergenceSeries {
  private revision: string | null = null;
  private since: number | null = null;
  private points: ConvergencePoint[] = [];

  constructor(private readonly limit = 400) {}

  /** Starts over for a new revision. */
  restart(revision: string | null, at: number): void {
    this.revision = revision;
    this.since = at;
    this.points = [];
  }

  get current(): string | null {
    return this.revision;
  }

  /** Records a sample; returns true when it changed the series. */
  add(point: ConvergencePoint): boolean {
    const last = this.points[this.points.length - 1];
    if (last && last.reached === point.reached && last.total === point.total) return false;
    if (last && point.at < last.at) return false;
    this.points.push(point);
    if (this.points.length > this.limit) this.thin();
    return true;
  }

  private thin(): void {
    const last = this.points[this.points.length - 1]!;
    const kept = this.points.filter((_, i) => i % 2 === 0);
    if (kept[kept.length - 1] !== last) kept.push(last);
    this.points = kept;
  }

  view(): ConvergenceView {
    return { revision: this.revision, since: this.since, points: [...this.points] };
  }
}
