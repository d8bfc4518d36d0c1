// The status bar item: live progress of the latest training (click: stop),
// then its result for a while (click: open the dashboard).

import * as vscode from 'vscode';
import type { RunMeta } from '../../core/types';
import { CommandId } from '../shell/commandIds';
import { formatMetric } from '../../core/metrics';
import { shownEpoch } from '../../core/trainingProgress';
import { headlineMetric } from '../shell/format';
import type { TrainingEnd, TrainingSessions } from './trainingSessions';

/** How long a finished training's result stays in the status bar. */
const RESULT_VISIBLE_MS = 120_000;

export class TrainingStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('modelLab.training', vscode.StatusBarAlignment.Left, 10);
  private readonly disposables: vscode.Disposable[] = [];
  private hideTimer: NodeJS.Timeout | undefined;

  constructor(private readonly trainings: TrainingSessions) {
    this.item.name = 'Model Lab';
    this.disposables.push(
      this.item,
      trainings.onDidStart(() => this.showProgress()),
      // On the sessions' progress clock, as the CodeLens and the notification.
      trainings.onDidProgress(() => this.showProgress()),
      trainings.onDidEnd((end) => (trainings.size > 0 ? this.showProgress() : this.showResult(end))),
    );
  }

  private showProgress(): void {
    const sessions = this.trainings.all();
    const session = sessions[0];
    if (!session) return;
    clearTimeout(this.hideTimer);
    const p = session.process;
    const more = sessions.length > 1 ? ` ${vscode.l10n.t('(+{0} more)', sessions.length - 1)}` : '';
    const shown = shownEpoch(p.progress);
    const detail = p.stopRequested
      ? vscode.l10n.t('stopping…')
      : shown
        ? p.progress.loss !== undefined
          ? vscode.l10n.t('epoch {0}/{1} · loss {2}', shown.epoch, shown.epochs, formatMetric(p.progress.loss))
          : vscode.l10n.t('epoch {0}/{1}', shown.epoch, shown.epochs)
        : vscode.l10n.t('starting…');
    this.item.text = `$(sync~spin) Model Lab: ${detail}${more}`;
    this.item.tooltip = vscode.l10n.t('Training {0}. Click to stop.', session.name);
    this.item.command = { title: vscode.l10n.t('Stop Training'), command: CommandId.stop, arguments: [session.configUri] };
    this.item.backgroundColor = undefined;
    this.item.show();
  }

  private showResult({ session, outcome }: TrainingEnd): void {
    const meta: RunMeta | undefined = outcome.meta;
    const headline = headlineMetric(meta?.lastMetrics ?? session.process.lastLogs);
    const result = headline ? ` · ${headline.name} ${formatMetric(headline.value)}` : '';
    switch (outcome.status) {
      case 'completed':
        this.item.text = `$(check) Model Lab: ${session.name}${result}`;
        this.item.tooltip = vscode.l10n.t('Training {0} completed. Click to open the dashboard.', session.name);
        this.item.backgroundColor = undefined;
        break;
      case 'stopped':
        this.item.text = `$(debug-stop) Model Lab: ${vscode.l10n.t('{0} stopped', session.name)}${result}`;
        this.item.tooltip = vscode.l10n.t('Training {0} was stopped. Click to open the dashboard.', session.name);
        this.item.backgroundColor = undefined;
        break;
      case 'pruned':
        // A sweep point that fell behind at a rung: the sweep meant it, nothing went wrong.
        this.item.text = `$(filter) Model Lab: ${vscode.l10n.t('{0} pruned', session.name)}${result}`;
        this.item.tooltip = vscode.l10n.t("Training {0} was pruned: it fell behind the sweep's other runs at a rung. Click to open the dashboard.", session.name);
        this.item.backgroundColor = undefined;
        break;
      default:
        this.item.text = `$(error) Model Lab: ${vscode.l10n.t('{0} failed', session.name)}`;
        this.item.tooltip = vscode.l10n.t('Training {0} failed: {1}. Click to open the dashboard.', session.name, meta?.error ?? outcome.reason ?? '');
        this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
        break;
    }
    const runId = meta?.id ?? session.process.runId;
    this.item.command = { title: vscode.l10n.t('Open Dashboard'), command: CommandId.openDashboard, arguments: runId ? [runId] : [session.configUri] };
    this.item.show();
    clearTimeout(this.hideTimer);
    this.hideTimer = setTimeout(() => this.item.hide(), RESULT_VISIBLE_MS);
  }

  dispose(): void {
    clearTimeout(this.hideTimer);
    vscode.Disposable.from(...this.disposables).dispose();
  }
}
