// Meta's artifact cache: an artifact the fleet repository names (by checksum) is fetched once
// from its upstream URL, verified against the repository's checksum, stored, then served from
// disk. Concurrent first requests share one download (single flight). Bytes that do not match
// the checksum are never stored or served.
import { rm } from 'node:fs/promises';
import { DroverError, errorMessage } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';
import type { ArtifactEntry, ArtifactKey } from './artifact-index.js';
import type { ArtifactStore, Lease } from './artifact-store.js';
import { redactUrl } from '../../lib/redact-url.js';
import { fetchToFile, type FetchedFile } from './fetch-upstream.js';

export interface ArtifactCacheOptions {
  store: ArtifactStore;
  /** The entry of the last good fleet revision for a checksum; undefined when unknown. */
  lookup: (key: ArtifactKey) => ArtifactEntry | undefined;
  log?: Logger;
  /** Largest artifact accepted from upstream when the repository gives no size (default 4 GiB). */
  maxArtifactBytes?: number;
  /** Upstream response and idle timeout (default 60 s). */
  idleTimeoutMs?: number;
  /** A failed fetch is answered from memory this long before upstream is tried again (default 5 s). */
  failureBackoffMs?: number;
  now?: () => number;
}

export interface CacheStats {
  hits: number;
  misses: number;
  upstreamFetches: number;
  upstreamFailures: number;
}

export class ArtifactCache {
  readonly stats: CacheStats = { hits: 0, misses: 0, upstreamFetches: 0, upstreamFailures: 0 };
  private readonly flights = new Map<string, Promise<string>>();
  private readonly failures = new Map<string, { at: number; error: DroverError }>();
  private readonly opts: Required<Omit<ArtifactCacheOptions, 'log'>> & { log?: Logger };

  constructor(opts: ArtifactCacheOptions) {
    this.opts = {
      maxArtifactBytes: 4 * 1024 ** 3,
      idleTimeoutMs: 60_000,
      failureBackoffMs: 5000,
      now: Date.now,
      ...opts,
    };
  }

  get store(): ArtifactStore {
    return this.opts.store;
  }

  /** The repository entry for a checksum, or a 404 DroverError. */
  entryFor(key: ArtifactKey): ArtifactEntry {
    const entry = this.opts.lookup(key);
    if (!entry) {
      const [algo, hex] = 'sha256' in key ? ['sha256', key.sha256] : ['md5', key.md5];
      throw new DroverError('ARTIFACT_UNKNOWN', `no package in the current fleet revision has the ${algo} ${hex}`);
    }
    return entry;
  }

  /**
   * Leases the verified file for a checksum the repository knows, fetching it first when needed.
   * The caller must release the lease when it is done reading.
   */
  async open(key: ArtifactKey): Promise<Lease> {
    const entry = this.entryFor(key);
    for (let attempt = 0; attempt < 3; attempt++) {
      const stored = this.storedSha(entry);
      const lease = stored ? this.store.acquire(stored) : undefined;
      if (lease) {
        this.stats.hits++;
        return lease;
      }
      this.stats.misses++;
      const sha = await this.fetchOnce(entry);
      const after = this.store.acquire(sha);
      if (after) return after;
      // evicted between the download and this request (a tiny cache under pressure): try again
    }
    throw new DroverError('ARTIFACT_CACHE_BUSY', 'the artifact cache is too small for the artifacts being requested');
  }

  private storedSha(entry: ArtifactEntry): string | undefined {
    if (entry.sha256) return this.store.has(entry.sha256) ? entry.sha256 : undefined;
    const sha = this.store.sha256OfMd5(entry.md5!);
    return sha && this.store.has(sha) ? sha : undefined;
  }

  /** One download per artifact at a time; every concurrent caller waits for the same one. */
  private fetchOnce(entry: ArtifactEntry): Promise<string> {
    const flightKey = entry.sha256 ? `sha256:${entry.sha256}` : `md5:${entry.md5}`;
    const running = this.flights.get(flightKey);
    if (running) return running;
    const failed = this.failures.get(flightKey);
    if (failed && this.opts.now() - failed.at < this.opts.failureBackoffMs) return Promise.reject(failed.error);
    const flight = this.download(entry).then(
      (sha) => {
        this.failures.delete(flightKey);
        return sha;
      },
      (err: unknown) => {
        const error = err instanceof DroverError ? err : new DroverError('ARTIFACT_UPSTREAM_FAILED', errorMessage(err));
        this.failures.set(flightKey, { at: this.opts.now(), error });
        throw error;
      },
    );
    const done = (): void => void this.flights.delete(flightKey);
    flight.then(done, done);
    this.flights.set(flightKey, flight);
    return flight;
  }

  /** Tries each upstream URL in turn until one gives the right bytes. Resolves to the sha256. */
  private async download(entry: ArtifactEntry): Promise<string> {
    const reasons: string[] = [];
    let mismatch = false;
    for (const url of entry.urls) {
      const tmp = this.store.tmpPath();
      const shown = redactUrl(url);
      this.stats.upstreamFetches++;
      try {
        const got = await fetchToFile(url, tmp, {
          maxBytes: entry.size ?? this.opts.maxArtifactBytes,
          idleTimeoutMs: this.opts.idleTimeoutMs,
        });
        const wrong = verify(entry, got);
        if (wrong) {
          mismatch = true;
          throw new DroverError('ARTIFACT_CHECKSUM_MISMATCH', wrong);
        }
        const lease = await this.store.admit(tmp, got);
        // Held until every caller waiting on this download has taken its own lease (their
        // continuations run before the next macrotask), so eviction cannot slip in between.
        setImmediate(() => lease.release());
        this.opts.log?.info({ url: shown, sha256: got.sha256, size: got.size }, 'artifact fetched and verified');
        return got.sha256;
      } catch (err) {
        this.stats.upstreamFailures++;
        await rm(tmp, { force: true }).catch(() => undefined);
        reasons.push(`${shown}: ${errorMessage(err)}`);
        this.opts.log?.warn({ url: shown, err: errorMessage(err) }, 'artifact upstream failed');
      }
    }
    const what = entry.sha256 ? `sha256 ${entry.sha256}` : `md5 ${entry.md5}`;
    throw new DroverError(
      mismatch ? 'ARTIFACT_CHECKSUM_MISMATCH' : 'ARTIFACT_UPSTREAM_FAILED',
      `could not get a verified copy of the artifact with ${what}: ${reasons.join('; ') || 'no upstream URL'}`,
    );
  }
}

/** Why fetched bytes are not the artifact the repository names, or undefined when they are. */
export function verify(entry: Pick<ArtifactEntry, 'sha256' | 'md5' | 'size'>, got: FetchedFile): string | undefined {
  if (entry.size !== undefined && got.size !== entry.size) return `upstream sent ${got.size} bytes, the repository says ${entry.size}`;
  if (entry.sha256 && got.sha256 !== entry.sha256) return `upstream bytes have sha256 ${got.sha256}, the repository says ${entry.sha256}`;
  if (entry.md5 && got.md5 !== entry.md5) return `upstream bytes have md5 ${got.md5}, the repository says ${entry.md5}`;
  return undefined;
}
