// A private Docker Engine for tests: Debian's dockerd with its own data root, exec root and unix
// socket under a temp dir (vfs storage, no iptables, no bridge: it runs in this sandbox and in CI).
// Needs root; test/setup.sh installs docker.io. Stopped in afterAll and when the test process exits.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface TestDockerd {
  socket: string;
  /** `docker ARGS` against this engine */
  docker(args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.on('exit', () => { for (const c of running) c.kill('SIGKILL'); });

export async function startDockerd(): Promise<TestDockerd> {
  if (process.getuid?.() !== 0) throw new Error('dockerd tests need root (the engine manages mounts and namespaces)');
  const dir = mkdtempSync(join(tmpdir(), 'customs-dockerd-'));
  const socket = join(dir, 'docker.sock');
  const child = spawn('dockerd', ['--storage-driver=vfs', '--iptables=false', '--ip6tables=false', '--bridge=none',
    '--data-root', join(dir, 'root'), '--exec-root', join(dir, 'exec'), '--pidfile', join(dir, 'docker.pid'), '-H', `unix://${socket}`],
  { stdio: ['ignore', 'ignore', 'pipe'] });
  running.add(child);
  let log = '';
  child.stderr!.on('data', (c) => { if (log.length < 100_000) log += c; });
  let exited = false;
  child.once('exit', () => { exited = true; running.delete(child); });
  const docker = (args: string[]) => new Promise<{ code: number; stdout: string; stderr: string }>((res) => {
    execFile('docker', ['-H', `unix://${socket}`, ...args], { maxBuffer: 16 << 20, timeout: 120_000 },
      (err, stdout, stderr) => res({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
  });
  for (let i = 0; i < 120 && !exited; i++) {
    if (existsSync(socket) && (await docker(['version', '--format', '{{.Server.Version}}'])).code === 0) {
      return {
        socket, docker,
        stop: async () => {
          child.kill('SIGTERM');
          for (let j = 0; j < 100 && !exited; j++) await sleep(100);
          if (!exited) child.kill('SIGKILL');
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    await sleep(250);
  }
  child.kill('SIGKILL');
  throw new Error(`dockerd did not start: ${log.slice(-2000)}`);
}
