// The experiment templates bundled under examples/: each `*.experiment.json`
// in a folder under it is one (a folder may hold several over the same data).
// "New Experiment" copies a template's config and data, keeping their
// relative layout (the config names its data relative to itself).

import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { parse, parseTree } from 'jsonc-parser';
import { CONFIG_FILE_SUFFIX } from '../../node/configValidation';
import { MODELLAB_FOLDER } from '../../core/workspaceLayout';

export interface ExperimentTemplate {
  id: string;
  dir: string;
  /** The config, relative to `dir`. */
  configFile: string;
  name: string;
  description?: string;
  task?: string;
}

export interface PlannedFile {
  from: string;
  to: string;
  /** Relative to the destination, with forward slashes, for messages. */
  relative: string;
  exists: boolean;
}

/** Folders never copied out of a template (run outputs, installs). */
const SKIPPED_FOLDERS = new Set([MODELLAB_FOLDER, 'node_modules', '.git']);

export function listTemplates(examplesDir: string): ExperimentTemplate[] {
  let entries: string[];
  try {
    entries = readdirSync(examplesDir);
  } catch {
    return [];
  }
  const templates: ExperimentTemplate[] = [];
  for (const folder of entries.sort()) {
    const dir = join(examplesDir, folder);
    if (!isDirectory(dir)) continue;
    // A folder may hold several configs over the same data (e.g. a model and its sweep); each is a template.
    const configs = readdirSync(dir)
      .filter((f) => f.endsWith(CONFIG_FILE_SUFFIX))
      .sort((a, b) => Number(b === `${folder}${CONFIG_FILE_SUFFIX}`) - Number(a === `${folder}${CONFIG_FILE_SUFFIX}`) || a.localeCompare(b));
    for (const configFile of configs) {
      const base = configFile.slice(0, -CONFIG_FILE_SUFFIX.length);
      const id = base === folder || configs.length === 1 ? folder : `${folder}/${base}`;
      let name = configs.length === 1 ? folder : base;
      let description: string | undefined;
      let task: string | undefined;
      try {
        const config = parse(readFileSync(join(dir, configFile), 'utf8')) as Record<string, unknown> | undefined;
        if (typeof config?.name === 'string') name = config.name;
        if (typeof config?.description === 'string') description = config.description;
        if (typeof config?.task === 'string') task = config.task;
      } catch {
        // an unreadable template is still offered under its file name
      }
      templates.push({ id, dir, configFile, name, description, task });
    }
  }
  return templates;
}

/**
 * Every file of the template and where it would go; `exists` marks files that
 * would be overwritten. The folder's other configs are left behind: they are
 * templates of their own.
 */
export function planTemplateCopy(template: ExperimentTemplate, destDir: string): PlannedFile[] {
  const files: PlannedFile[] = [];
  // A trained example leaves its exported model beside its config: an output, not part of any
  // template of the folder (the sweep config's template too, though only the main config exports).
  const exportDirs = new Set(
    readdirSync(template.dir)
      .filter((name) => name.endsWith(CONFIG_FILE_SUFFIX))
      .map((name) => exportFolderOf(join(template.dir, name)))
      .filter((d): d is string => d !== undefined),
  );
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const from = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!SKIPPED_FOLDERS.has(entry.name) && !exportDirs.has(from)) walk(from);
      } else if (entry.isFile()) {
        if (dir === template.dir && entry.name.endsWith(CONFIG_FILE_SUFFIX) && entry.name !== template.configFile) continue;
        const rel = relative(template.dir, from);
        const to = join(destDir, rel);
        files.push({ from, to, relative: rel.split(sep).join('/'), exists: existsSync(to) });
      }
    }
  };
  walk(template.dir);
  return files;
}

/** The absolute folder a config exports its model to (`deployment.export`), if it names one inside the template. */
function exportFolderOf(configPath: string): string | undefined {
  try {
    const config = parse(readFileSync(configPath, 'utf8')) as { deployment?: { export?: unknown } } | undefined;
    const target = config?.deployment?.export;
    if (typeof target !== 'string' || target.trim() === '') return undefined;
    const abs = resolve(dirname(configPath), target);
    return abs === dirname(configPath) ? undefined : abs.replace(/[\\/]+$/, '');
  } catch {
    return undefined;
  }
}

/** Copies the planned files; existing ones only when `overwrite`. Returns what was written and skipped. */
export function copyPlannedFiles(files: readonly PlannedFile[], overwrite: boolean): { written: string[]; skipped: string[] } {
  const written: string[] = [];
  const skipped: string[] = [];
  for (const f of files) {
    if (existsSync(f.to) && !overwrite) {
      skipped.push(f.relative);
      continue;
    }
    mkdirSync(dirname(f.to), { recursive: true });
    if (f.to.endsWith(CONFIG_FILE_SUFFIX)) writeFileSync(f.to, withoutRelativeSchema(readFileSync(f.from, 'utf8')));
    else copyFileSync(f.from, f.to);
    written.push(f.relative);
  }
  return { written, skipped };
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/**
 * A template's `"$schema": "../../schema/…"` points into the extension's
 * source tree; copied elsewhere it would not resolve and VS Code would warn.
 * The schema is contributed for every *.experiment.json anyway, so drop it
 * (comments and layout kept). Schema URLs (http…) are left alone.
 */
export function withoutRelativeSchema(text: string): string {
  const root = parseTree(text, [], { allowTrailingComma: true, disallowComments: false });
  const schema = root?.type === 'object' ? root.children?.find((p) => p.children?.[0]?.value === '$schema') : undefined;
  const value = schema?.children?.[1]?.value;
  if (!schema || typeof value !== 'string' || /^[a-z][a-z0-9+.-]*:/i.test(value)) return text;
  // By hand rather than jsonc-parser's modify(), which also deletes a comment after the property.
  let start = schema.offset;
  let end = schema.offset + schema.length;
  const after = /^[ \t]*,[ \t]*(\r?\n)?/.exec(text.slice(end));
  if (after) {
    end += after[0].length;
    let lineStart = start;
    while (lineStart > 0 && (text[lineStart - 1] === ' ' || text[lineStart - 1] === '\t')) lineStart--;
    if (after[1] && (lineStart === 0 || text[lineStart - 1] === '\n')) start = lineStart;
  } else {
    const before = /,\s*$/.exec(text.slice(0, start));
    if (before) start -= before[0].length;
  }
  return text.slice(0, start) + text.slice(end);
}
