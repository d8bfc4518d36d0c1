// Which executable runs the trainer child process. A real Node is preferred
// because the native TensorFlow addon is built for it; the editor's own
// executable (Electron, run as Node) always exists and is the last resort.
// No `vscode` here: the probe of the machine is injected, so tests can fake it.

import { execFileSync } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { posix, win32 } from 'node:path';
import type { PlatformPath } from 'node:path';

/** The trainer bundle targets Node 20; older Nodes fail on syntax or APIs. */
export const MIN_NODE_MAJOR = 18;

export interface TrainerRuntime {
  /** The executable, for `fork`'s `execPath` option. */
  execPath: string;
  /** Variables to add to the child's environment. */
  env: Record<string, string>;
  source: 'setting' | 'path' | 'editor';
  /** Why a preferred executable was skipped, for the log. */
  notes: string[];
}

export interface RuntimeProbe {
  platform: NodeJS.Platform;
  /** The PATH variable. */
  pathEnv: string | undefined;
  homeDir: string;
  /** process.execPath of the extension host (Electron in desktop VS Code). */
  editorExecPath: string;
  isExecutableFile(file: string): boolean;
  /** Major version reported by `<file> --version`, or undefined when it cannot run. */
  nodeMajorVersion(file: string): number | undefined;
}

export function resolveTrainerRuntime(configuredNodePath: string | undefined, probe: RuntimeProbe): TrainerRuntime {
  const notes: string[] = [];
  const path = pathFor(probe.platform);
  const configured = configuredNodePath?.trim();
  if (configured) {
    const file = expandHome(configured, probe.homeDir, path);
    if (!path.isAbsolute(file)) {
      notes.push(`modelLab.nodePath "${configured}" is not an absolute path; ignored`);
    } else if (!probe.isExecutableFile(file)) {
      notes.push(`modelLab.nodePath "${configured}" is not an executable file; ignored`);
    } else {
      const major = probe.nodeMajorVersion(file);
      if (major !== undefined && major < MIN_NODE_MAJOR) {
        notes.push(`modelLab.nodePath "${configured}" is Node ${major}; Node ${MIN_NODE_MAJOR} or newer is needed; ignored`);
      } else {
        // An unknown version is accepted: the user chose this file on purpose.
        return { execPath: file, env: {}, source: 'setting', notes };
      }
    }
  }
  const onPath = findOnPath(probe.platform === 'win32' ? 'node.exe' : 'node', probe.pathEnv, probe.isExecutableFile, path);
  if (onPath) {
    const major = probe.nodeMajorVersion(onPath);
    if (major === undefined) notes.push(`"${onPath}" found on PATH does not run (\`node --version\` failed)`);
    else if (major < MIN_NODE_MAJOR) notes.push(`"${onPath}" found on PATH is Node ${major}; Node ${MIN_NODE_MAJOR} or newer is needed`);
    else return { execPath: onPath, env: {}, source: 'path', notes };
  } else {
    notes.push('no node executable on PATH');
  }
  return { execPath: probe.editorExecPath, env: { ELECTRON_RUN_AS_NODE: '1' }, source: 'editor', notes };
}

/** The path rules of a platform (the tests use Windows' on any machine). */
export function pathFor(platform: NodeJS.Platform): PlatformPath {
  return platform === 'win32' ? win32 : posix;
}

export function findOnPath(
  name: string,
  pathEnv: string | undefined,
  isExecutableFile: (file: string) => boolean,
  path: PlatformPath = pathFor(process.platform),
): string | undefined {
  for (const dir of (pathEnv ?? '').split(path.delimiter)) {
    // An empty PATH entry means the current directory; never run a binary from there.
    if (!dir || !path.isAbsolute(dir)) continue;
    const candidate = path.join(dir, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

function expandHome(file: string, homeDir: string, path: PlatformPath): string {
  if (file === '~') return homeDir;
  if (file.startsWith('~/') || file.startsWith('~\\')) return path.join(homeDir, file.slice(2));
  return file;
}

export function parseNodeVersion(output: string): number | undefined {
  const m = /^v?(\d+)\.\d+\.\d+/.exec(output.trim());
  return m ? Number(m[1]) : undefined;
}

/** The real machine. Version probes are cached per file and modification time. */
export function systemRuntimeProbe(): RuntimeProbe {
  const versions = new Map<string, number | undefined>();
  return {
    platform: process.platform,
    pathEnv: process.env.PATH ?? process.env.Path,
    homeDir: process.env.HOME ?? process.env.USERPROFILE ?? '',
    editorExecPath: process.execPath,
    isExecutableFile(file) {
      try {
        if (!statSync(file).isFile()) return false;
        if (process.platform !== 'win32') accessSync(file, constants.X_OK);
        return true;
      } catch {
        return false;
      }
    },
    nodeMajorVersion(file) {
      let key = file;
      try {
        key = `${file}|${statSync(file).mtimeMs}`;
      } catch {
        // keep the bare path as the key
      }
      if (versions.has(key)) return versions.get(key);
      let major: number | undefined;
      try {
        const out = execFileSync(file, ['--version'], {
          encoding: 'utf8',
          timeout: 5000,
          windowsHide: true,
          stdio: ['ignore', 'pipe', 'ignore'],
          // A real Node ignores this; Electron needs it to answer like Node.
          env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
        });
        major = parseNodeVersion(out);
      } catch {
        major = undefined;
      }
      versions.set(key, major);
      return major;
    },
  };
}
