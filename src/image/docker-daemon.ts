// docker-daemon:IMAGE — an image in the local Docker Engine, exported through its API
// (GET /images/get, the `docker save` stream) over the unix socket ($DOCKER_HOST, default
// /var/run/docker.sock) into a temporary file, then read as a docker-archive. The export is capped
// (limits.maxLayerBytes) and removed when the scan ends.
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Agent, request } from 'undici';
import type { Limits } from '../config/schema.ts';
import { CustomsError } from '../errors.ts';
import { log } from '../log.ts';
import type { Descriptor, ImageSource, Platform, ResolvedImage } from '../types.ts';
import { DockerArchiveSource } from './docker-archive.ts';

/** The Engine's unix socket from $DOCKER_HOST (unix:///path) or the default; TCP endpoints are not supported. */
export function dockerSocket(env = process.env): string {
  const host = env.DOCKER_HOST;
  if (!host) return '/var/run/docker.sock';
  if (host.startsWith('unix://')) return host.slice('unix://'.length);
  throw new CustomsError('unsupported', `DOCKER_HOST=${host.slice(0, 100)}: only unix:// sockets are supported for docker-daemon: (export the image with "docker save" and scan docker-archive:FILE)`);
}

export class DockerDaemonSource implements ImageSource {
  readonly name: string;
  private readonly image: string;
  private readonly limits: Limits;
  private readonly signal: AbortSignal | undefined;
  private archive: Promise<{ dir: string; source: DockerArchiveSource }> | undefined;

  constructor(image: string, limits: Limits, opts: { signal?: AbortSignal } = {}) {
    this.image = image;
    this.limits = limits;
    this.signal = opts.signal;
    this.name = `docker-daemon:${image}`;
  }

  async resolve(opts?: { platform?: Platform }): Promise<ResolvedImage[]> {
    return (await this.exported()).source.resolve(opts);
  }

  async openBlob(desc: Descriptor): Promise<Readable> {
    return (await this.exported()).source.openBlob(desc);
  }

  async close(): Promise<void> {
    const a = await this.archive?.catch(() => undefined);
    if (a) await rm(a.dir, { recursive: true, force: true });
  }

  private exported() {
    this.archive ??= this.export();
    return this.archive;
  }

  private async export(): Promise<{ dir: string; source: DockerArchiveSource }> {
    const socketPath = dockerSocket();
    const dispatcher = new Agent({ connect: { socketPath }, headersTimeout: 60_000, bodyTimeout: 120_000 });
    const dir = await mkdtemp(join(tmpdir(), 'customs-docker-'));
    const file = join(dir, 'image.tar');
    const started = Date.now();
    try {
      let res;
      try {
        res = await request(`http://docker/images/get?names=${encodeURIComponent(this.image)}`, { dispatcher, ...(this.signal ? { signal: this.signal } : {}) });
      } catch (e: any) {
        if (this.signal?.aborted) throw new CustomsError('unreachable', `${this.name}: ${String(this.signal.reason?.message ?? 'deadline passed')}`);
        const code = e?.code ?? e?.cause?.code;
        throw new CustomsError('unreachable', `${this.name}: the Docker Engine is not reachable at ${socketPath} (${code ?? e.message}); is dockerd running, and DOCKER_HOST set?`);
      }
      if (res.statusCode !== 200) {
        const text = (await res.body.text().catch(() => '')).slice(0, 300);
        let message = text;
        try { message = JSON.parse(text).message ?? text; } catch { /* plain text */ }
        if (res.statusCode === 404) throw new CustomsError('not-found', `${this.name}: no such image in the Docker Engine (${message.trim()})`);
        throw new CustomsError('registry', `${this.name}: the Docker Engine answered ${res.statusCode}: ${message.trim()}`);
      }
      await pipeline(res.body, capped(this.limits.maxLayerBytes, this.name), createWriteStream(file, { mode: 0o600 }));
      log.debug({ image: this.name, ms: Date.now() - started }, 'image exported from the Docker Engine');
      return { dir, source: new DockerArchiveSource(file, this.limits) };
    } catch (e) {
      await rm(dir, { recursive: true, force: true });
      if (e instanceof CustomsError) throw e;
      if (this.signal?.aborted) throw new CustomsError('unreachable', `${this.name}: ${String(this.signal.reason?.message ?? 'deadline passed')}`);
      throw new CustomsError('unreachable', `${this.name}: export from the Docker Engine failed: ${(e as Error).message}`, { cause: e });
    } finally {
      await dispatcher.close();
    }
  }
}

function capped(max: number, what: string): Transform {
  let n = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      n += chunk.length;
      if (n > max) cb(new CustomsError('limit', `${what}: the export is larger than limits.maxLayerBytes (${max} bytes)`));
      else cb(null, chunk);
    },
  });
}
