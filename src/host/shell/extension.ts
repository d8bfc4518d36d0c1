// Entry point of the extension host side. Activation builds the context
// (which owns every disposable) and registers the command table; everything
// else hangs off the context.

import * as vscode from 'vscode';
import { registerCommands } from './commands';
import { ModelLabContext } from './ctx';
import { COMPARE_VIEW_TYPE } from '../panels/comparePanel';
import { DASHBOARD_VIEW_TYPE } from '../panels/dashboardPanel';
import { ResumeOffers } from '../training/resumeCommands';

let context: ModelLabContext | undefined;

export function activate(extensionContext: vscode.ExtensionContext): void {
  const ctx = new ModelLabContext(extensionContext);
  context = ctx;
  extensionContext.subscriptions.push(ctx);
  registerCommands(ctx);
  ctx.push(
    vscode.window.registerWebviewPanelSerializer(DASHBOARD_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel, state: unknown) => ctx.dashboard.revive(panel, state),
    }),
  );
  ctx.push(
    vscode.window.registerWebviewPanelSerializer(COMPARE_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel, state: unknown) => ctx.compare.revive(panel, state),
    }),
  );
  ctx.log.info(`Model Lab ${String(extensionContext.extension.packageJSON.version)} activated`);
  // Runs an earlier window left interrupted (reload, quit) are offered for resuming, once each.
  const offers = ctx.push(new ResumeOffers(ctx));
  ctx.push(ctx.onDidChangeRuns(() => offers.check()));
  // A config's base may have finished, failed or gone: its problems follow.
  ctx.push(ctx.onDidChangeRuns(() => void ctx.diagnostics.revalidateBases()));
  ctx.push(ctx.cluster.onDidChange(() => offers.check()));
  ctx.push(vscode.workspace.onDidGrantWorkspaceTrust(() => offers.check()));
  offers.check();
  // Problems for every config in the workspace, not only the open ones.
  void ctx.diagnostics.validateWorkspace().then(
    (counts) => ctx.log.info(`validated ${counts.files} experiment config(s): ${counts.errors} error(s), ${counts.warnings} warning(s)`),
    (err: unknown) => ctx.log.error(`validating the workspace failed: ${String(err)}`),
  );
}

/** Gives running trainers a moment to stop and record their runs as interrupted. */
export async function deactivate(): Promise<void> {
  const ctx = context;
  context = undefined;
  await ctx?.shutdown();
}
