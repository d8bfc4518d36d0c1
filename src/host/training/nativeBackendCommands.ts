// "Install Native TensorFlow Backend": npm-installs @tensorflow/tfjs-node into
// the extension's global storage (the trainer looks there), then checks that
// it loads with the same executable the trainer would use.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { nativeBackendInstallArgs, npmExecutableName, runCommand, TFJS_NODE_PACKAGE } from '../../node/commandRunner';
import type { CommandResult } from '../../node/commandRunner';
import { nodePathSetting } from '../shell/settings';
import type { ModelLabContext } from '../shell/ctx';
import { findOnPath, resolveTrainerRuntime } from '../../node/trainerRuntime';

export async function installNativeBackend(ctx: ModelLabContext): Promise<void> {
  const log = ctx.log;
  const probe = ctx.runtimeProbe;
  const npm = findOnPath(npmExecutableName(probe.platform), probe.pathEnv, (f) => probe.isExecutableFile(f));
  if (!npm) {
    void vscode.window.showErrorMessage(
      vscode.l10n.t('npm was not found on PATH. Install Node.js (it includes npm), then run this command again.'),
    );
    return;
  }
  const prefix = join(ctx.extension.globalStorageUri.fsPath, 'native');
  try {
    mkdirSync(prefix, { recursive: true });
  } catch (err) {
    void vscode.window.showErrorMessage(vscode.l10n.t('Could not create {0}: {1}', prefix, (err as Error).message));
    return;
  }
  const args = nativeBackendInstallArgs(prefix);
  log.show(true);
  log.info(`> ${npm} ${args.join(' ')}`);

  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Installing the native TensorFlow backend'), cancellable: true },
    async (progress, token): Promise<CommandResult | { kind: 'loadFailed'; detail: string }> => {
      const abort = new AbortController();
      const cancel = token.onCancellationRequested(() => abort.abort());
      try {
        progress.report({ message: TFJS_NODE_PACKAGE });
        const installed = await runCommand(npm, args, {
          cwd: prefix,
          signal: abort.signal,
          onLine: (stream, line) => {
            if (stream === 'stderr') log.warn(`npm: ${line}`);
            else log.info(`npm: ${line}`);
            if (line.trim()) progress.report({ message: line.length > 80 ? `${line.slice(0, 79)}…` : line });
          },
        });
        if (installed.kind !== 'succeeded') return installed;
        progress.report({ message: vscode.l10n.t('checking that it loads…') });
        return await checkLoads(ctx, abort.signal);
      } finally {
        cancel.dispose();
      }
    },
  );

  const showLog = vscode.l10n.t('Show Log');
  switch (result.kind) {
    case 'succeeded':
      log.info('native TensorFlow backend installed and loads');
      void vscode.window.showInformationMessage(
        vscode.l10n.t('The native TensorFlow backend is installed. New trainings with the backend "auto" or "tensorflow" use it.'),
      );
      break;
    case 'cancelled':
      log.info('installation cancelled');
      void vscode.window.showInformationMessage(vscode.l10n.t('Installation of the native TensorFlow backend was cancelled.'));
      break;
    case 'notFound':
      void vscode.window.showErrorMessage(
        vscode.l10n.t('npm was not found on PATH. Install Node.js (it includes npm), then run this command again.'),
      );
      break;
    case 'loadFailed': {
      log.error(`the native backend was installed but does not load: ${result.detail}`);
      const choice = await vscode.window.showErrorMessage(
        vscode.l10n.t('The native TensorFlow backend was installed but does not load on this machine: {0}. Training keeps using the WebAssembly backend.', result.detail),
        showLog,
      );
      if (choice === showLog) log.show();
      break;
    }
    case 'failed': {
      const how = result.signal ?? String(result.code ?? '?');
      log.error(`npm install failed (${how})`);
      const choice = await vscode.window.showErrorMessage(
        vscode.l10n.t('Installing the native TensorFlow backend failed (npm exited with {0}). The log shows npm\'s output.', how),
        showLog,
      );
      if (choice === showLog) log.show();
      break;
    }
  }
}

/** Loads the installed addon with the trainer's executable: npm succeeding does not prove the binary works here. */
async function checkLoads(ctx: ModelLabContext, signal: AbortSignal): Promise<CommandResult | { kind: 'loadFailed'; detail: string }> {
  const runtime = resolveTrainerRuntime(nodePathSetting(), ctx.runtimeProbe);
  const modulePath = join(ctx.nativeModulesDir, '@tensorflow', 'tfjs-node');
  const stderr: string[] = [];
  const result = await runCommand(runtime.execPath, ['-e', `require(${JSON.stringify(modulePath)})`], {
    cwd: ctx.extension.globalStorageUri.fsPath,
    signal,
    env: { ...process.env, ...runtime.env },
    onLine: (stream, line) => {
      if (stream === 'stderr' && line.trim()) stderr.push(line.trim());
      ctx.log.info(`check: ${line}`);
    },
  });
  if (result.kind === 'failed') {
    const detail = stderr.find((l) => /Error/.test(l)) ?? stderr.at(-1) ?? `exit code ${result.code}`;
    return { kind: 'loadFailed', detail };
  }
  return result;
}
