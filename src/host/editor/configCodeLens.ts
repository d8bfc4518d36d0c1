// CodeLenses on experiment configs: "Train this config" ("Train on SLURM"
// when modelLab.executor names a scheduler) and, when the config has runs,
// "Open dashboard"; while it trains, its progress and "Stop".

import * as vscode from 'vscode';
import { CommandId } from '../shell/commandIds';
import { RedrawPacer } from '../shell/redrawPacer';
import { configLensSpan } from './configLensRange';
import { learningRateSpan } from '../../core/learningRateEdit';
import { shownEpoch } from '../../core/trainingProgress';
import { executorSetting } from '../shell/settings';
import { schedulerLabel } from '../cluster/executorSettings';
import type { RunIndex } from '../runs/runIndex';
import { PROGRESS_TICK_MS } from '../training/trainingSessions';
import type { TrainingSessions } from '../training/trainingSessions';

export class ConfigCodeLensProvider implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly changeEmitter = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changeEmitter.event;
  private readonly disposables: vscode.Disposable[] = [this.changeEmitter];
  /** What the progress lenses said when the editor last asked for them. */
  private lastShown = '';
  /** The editor restarts its wait on every change event: progress asks for a redraw only once the last one was taken. */
  private readonly pacer = new RedrawPacer(
    () => this.progressSignature() !== this.lastShown,
    () => this.changeEmitter.fire(),
    { minGapMs: PROGRESS_TICK_MS },
  );

  constructor(
    private readonly trainings: TrainingSessions,
    private readonly runIndex: RunIndex,
    private readonly runsDirFor: (configUri: vscode.Uri) => string,
  ) {
    this.disposables.push(
      trainings.onDidStart(() => this.refresh(true)),
      trainings.onDidEnd(() => this.refresh(true)),
      // On the sessions' progress clock, as the status bar and the notification.
      trainings.onDidProgress(() => this.pacer.changed()),
      this.pacer,
    );
  }

  /** Redraws the lenses; `runsChanged` when a run folder may have appeared or gone. */
  refresh(runsChanged = false): void {
    if (runsChanged) this.runIndex.invalidate();
    this.pacer.redrawNow();
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    this.lastShown = this.progressSignature();
    this.pacer.taken();
    const span = configLensSpan(document.getText());
    const range = new vscode.Range(document.positionAt(span.offset), document.positionAt(span.offset + span.length));
    const session = this.trainings.get(document.uri);
    if (session) {
      const p = session.process;
      const shown = shownEpoch(p.progress);
      const title = p.stopRequested
        ? vscode.l10n.t('Stopping…')
        : shown
          ? vscode.l10n.t('Training… epoch {0}/{1}', shown.epoch, shown.epochs)
          : vscode.l10n.t('Training…');
      return [
        new vscode.CodeLens(range, {
          title,
          tooltip: vscode.l10n.t('Open the dashboard of this training'),
          command: CommandId.openDashboard,
          arguments: [document.uri],
        }),
        new vscode.CodeLens(range, { title: vscode.l10n.t('Stop'), command: CommandId.stop, arguments: [document.uri] }),
      ];
    }
    const executor = executorSetting(document.uri);
    const lenses = [
      new vscode.CodeLens(
        range,
        executor === 'local'
          ? {
              title: vscode.l10n.t('Train this config'),
              tooltip: vscode.l10n.t('Validate this config, then train it and show the dashboard'),
              command: CommandId.train,
              arguments: [document.uri],
            }
          : {
              // modelLab.executor names a scheduler: Train submits a job.
              title: vscode.l10n.t('Train on {0}', schedulerLabel(executor)),
              tooltip: vscode.l10n.t('Validate this config, then submit it to {0} as a job (modelLab.executor)', schedulerLabel(executor)),
              command: CommandId.train,
              arguments: [document.uri],
            },
      ),
    ];
    if (this.runIndex.runsForConfig(this.runsDirFor(document.uri), document.uri.fsPath).length > 0) {
      lenses.push(
        new vscode.CodeLens(range, {
          title: vscode.l10n.t('Open dashboard'),
          tooltip: vscode.l10n.t('Show the latest run of this config'),
          command: CommandId.openDashboard,
          arguments: [document.uri],
        }),
      );
    }
    // Find Learning Rate over the optimizer's learningRate (or the optimizer, when it has none).
    const rate = learningRateSpan(document.getText());
    if (rate) {
      lenses.push(
        new vscode.CodeLens(new vscode.Range(document.positionAt(rate.offset), document.positionAt(rate.offset + rate.length)), {
          title: vscode.l10n.t('Find Learning Rate'),
          tooltip: vscode.l10n.t('A short run with a growing learning rate: the loss against it, and a suggested value to apply'),
          command: CommandId.findLearningRate,
          arguments: [document.uri],
        }),
      );
    }
    return lenses;
  }

  /** What the progress lenses say, for every training. */
  private progressSignature(): string {
    return this.trainings
      .all()
      .map((s) => {
        const shown = shownEpoch(s.process.progress);
        return `${s.configUri.toString()}|${shown ? `${shown.epoch}/${shown.epochs}` : ''}|${s.process.stopRequested}`;
      })
      .join(';');
  }

  dispose(): void {
    vscode.Disposable.from(...this.disposables).dispose();
  }
}
