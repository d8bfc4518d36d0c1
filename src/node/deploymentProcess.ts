// One deployment: `modellab serve <run> --json` in a child process, forked
// with the same executable as the trainer (a real Node when there is one, for
// the native backend; else the editor as Node). Knows nothing of VS Code, so
// it is tested by forking the real CLI.

import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { forkCli } from './cliChild';
import type { CliChildOptions } from './cliChild';

export interface DeploymentOptions extends CliChildOptions {
  /** The run folder (or an export) to serve. */
  modelPath: string;
  name?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  backend?: string;
  /** Folders that may hold @tensorflow/tfjs-node (the extension's storage). */
  nativeModuleDirs?: string[];
}

export interface DeploymentAddress {
  url: string;
  host: string;
  port: number;
  name: string;
  kind: string;
  backend: string;
}

export class DeploymentProcess {
  /** Resolves when the server listens; rejects when the process ends first. */
  readonly listening: Promise<DeploymentAddress>;
  /** Resolves with the exit code (null after a signal) when the process has ended. */
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;
  private readonly stderrTail: string[];
  private ended = false;

  constructor(readonly options: DeploymentOptions) {
    const args = ['serve', options.modelPath, '--json', '--port', String(options.port ?? 0)];
    if (options.name) args.push('--name', options.name);
    if (options.backend) args.push('--backend', options.backend);
    for (const dir of options.nativeModuleDirs ?? []) args.push('--native-modules', dir);
    ({ child: this.child, stderrTail: this.stderrTail } = forkCli(options, args));
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code) => {
        this.ended = true;
        resolve(code);
      });
      this.child.on('error', () => {
        if (this.child.pid === undefined) {
          this.ended = true;
          resolve(-1);
        }
      });
    });
    this.listening = new Promise((resolve, reject) => {
      const lines = createInterface({ input: this.child.stdout! });
      lines.on('line', (line) => {
        try {
          const msg = JSON.parse(line) as Partial<DeploymentAddress> & { type?: string };
          if (msg.type === 'listening' && typeof msg.url === 'string') resolve(msg as DeploymentAddress);
        } catch {
          // not a JSON line: ignore
        }
      });
      void this.exited.then((code) => reject(new Error(`the server ended (exit code ${code})${this.stderrTail.length ? `: ${this.stderrTail.slice(-3).join(' ')}` : ''}`)));
    });
    // Nobody may be waiting yet; the rejection is reported through `listening` when someone does.
    this.listening.catch(() => undefined);
  }

  get running(): boolean {
    return !this.ended;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** The last lines the server wrote to stderr (why it failed). */
  get log(): string[] {
    return [...this.stderrTail];
  }

  /** Asks the server to stop (SIGTERM: it answers requests in flight), killing it after `graceMs`. */
  async stop(graceMs = 6000): Promise<void> {
    if (this.ended) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}
