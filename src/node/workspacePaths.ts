// Paths that come from a workspace's files (configs) or from webview messages
// are untrusted: a config someone else wrote must not make the extension read
// or write files outside the workspace ("../../.ssh/id_rsa", "/etc/passwd", or
// a symbolic link inside the workspace that points out of it) unless the user
// allowed it with the modelLab.allowPathsOutsideWorkspace setting.

import { realpathSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';

export interface PathPolicy {
  /** The workspace folder the paths must stay in; no check without one. */
  workspaceRoot?: string;
  /** The user's modelLab.allowPathsOutsideWorkspace: no check at all. */
  allowOutside?: boolean;
}

function isInside(root: string, target: string): boolean {
  const rel = relative(root, target);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** The real path of `p`, or of its nearest existing ancestor joined with the rest (for files not written yet). */
function realPathOfNearest(p: string): string {
  const rest: string[] = [];
  let cur = p;
  for (;;) {
    try {
      return resolve(realpathSync.native(cur), ...rest.reverse());
    } catch {
      const parent = dirname(cur);
      if (parent === cur) return p;
      rest.push(relative(parent, cur));
      cur = parent;
    }
  }
}

/**
 * Why `target` (absolute, or relative to `baseDir`) is not allowed under the
 * policy, or undefined when it is. Checks the path as written (`..`, absolute)
 * and the path the file system resolves it to (symbolic links).
 */
export function pathEscapesWorkspace(target: string, baseDir: string, policy: PathPolicy | undefined): string | undefined {
  if (!policy?.workspaceRoot || policy.allowOutside) return undefined;
  const root = resolve(policy.workspaceRoot);
  const abs = resolve(baseDir, target);
  if (!isInside(root, abs)) return `${target} is outside the workspace (${root})`;
  const realRoot = realPathOfNearest(root);
  if (!isInside(realRoot, realPathOfNearest(abs))) return `${target} leads outside the workspace through a symbolic link`;
  return undefined;
}

export const OUTSIDE_WORKSPACE_HINT = 'paths must stay inside the workspace; the setting "modelLab.allowPathsOutsideWorkspace" allows more';
