// The run header: name, status, backend, epoch progress, Stop/Resume/Train buttons,
// and the pipeline's stage strip.

import type { RunMeta, StageName, StageStatus } from '../../src/core/types';
import type { DashboardFollow } from '../../src/core/protocol/dashboard';
import { secondsAgo } from '../../src/core/clusterRuns';
import { shownEpoch, type TrainingProgress } from '../../src/core/trainingProgress';
import { h } from './dom';
import type { Translate } from '../../src/core/dashboardStringTable';

const STAGES: readonly StageName[] = ['data', 'preprocess', 'training', 'evaluation', 'deployment', 'application'];
const STAGE_ICONS: Record<StageStatus, string> = { pending: '○', running: '◐', done: '✓', failed: '✕', skipped: '–' };

/** The last part of a path, either separator: `/runs/x` → `x`. */
function lastPart(path: string): string {
  const parts = path.split(/[\\/]+/).filter(Boolean);
  return parts[parts.length - 1] ?? path;
}

export interface HeaderActions {
  stop(): void;
  train(): void;
  resume(): void;
}

export class HeaderView {
  readonly element: HTMLElement;
  private readonly name = h('h1', { id: 'run-name' });
  private readonly status = h('span', { id: 'run-status', class: 'run-status' });
  private readonly spinner = h('vscode-progress-ring', { id: 'run-spinner', 'aria-hidden': 'true' });
  private readonly backend = h('span', { id: 'backend-badge', class: 'badge' });
  private readonly epoch = h('span', { id: 'epoch-progress', class: 'epoch-progress' });
  /** A cluster job's line: its id, node or reason, and how long ago its files changed (ticks every second). */
  private readonly follow = h('span', { id: 'run-follow', class: 'muted run-follow' });
  private followTimer: ReturnType<typeof setInterval> | undefined;
  private readonly details = h('p', { id: 'run-details', class: 'muted' });
  private readonly stopButton = h('vscode-button', { id: 'stop-button', appearance: 'secondary' });
  private readonly trainButton = h('vscode-button', { id: 'train-button', appearance: 'primary' });
  private readonly resumeButton = h('vscode-button', { id: 'resume-button', appearance: 'primary' });
  private readonly stages = h('ol', { id: 'stages', class: 'stages' });

  constructor(actions: HeaderActions) {
    this.stopButton.addEventListener('click', () => actions.stop());
    this.resumeButton.addEventListener('click', () => {
      if (!this.resumeButton.hidden) actions.resume();
    });
    this.trainButton.addEventListener('click', () => {
      if (!this.trainButton.hasAttribute('disabled')) actions.train();
    });
    this.element = h(
      'header',
      { class: 'run-header' },
      h(
        'div',
        { class: 'title-row' },
        this.name,
        this.status,
        this.spinner,
        this.backend,
        this.epoch,
        this.follow,
        h('span', { class: 'spacer' }),
        this.stopButton,
        this.resumeButton,
        this.trainButton,
      ),
      this.details,
      this.stages,
    );
  }

  /** `resumable`: the run ended interrupted or stopped with a checkpoint, so Resume is offered. */
  /** `progress`: while the run trains, its progress as the host's surfaces show it ("epoch N/M" is the epoch being trained). */
  render(meta: RunMeta, training: boolean, resumable: boolean, stages: Partial<Record<StageName, StageStatus>> | undefined, t: Translate, progress?: TrainingProgress): void {
    this.name.textContent = meta.name;
    this.name.title = meta.configPath;

    this.status.textContent = t(`status.${meta.status}`);
    this.status.dataset.status = meta.status;
    this.spinner.hidden = !training;
    this.spinner.setAttribute('aria-label', t('header.spinner'));

    this.backend.textContent = !meta.backend ? t('header.backend.none') : meta.threads === undefined ? meta.backend : meta.threads === 1 ? t('header.backend.oneThread', meta.backend) : t('header.backend.threads', meta.backend, meta.threads);
    this.backend.title = t('header.backend.title');

    const live = progress && shownEpoch(progress);
    const epochs = Math.max(meta.epochsPlanned, meta.epochsDone);
    this.epoch.textContent = live ? t('header.epoch', live.epoch, live.epochs) : epochs > 0 && !progress ? t('header.epoch', meta.epochsDone, epochs) : '';

    const started = new Date(meta.createdAt);
    const when = Number.isNaN(started.getTime()) ? meta.createdAt : started.toLocaleString();
    const base = meta.base;
    // Where a fine-tuned run came from: the base's task and run id, or its export folder's name.
    const from = !base ? '' : base.kind === 'run' ? t('header.baseRun', base.task, base.id ?? lastPart(base.path.replace(/[\\/]model[\\/]*$/, ''))) : t('header.baseExport', base.task, lastPart(base.path));
    this.details.textContent = `${meta.task} · ${meta.id} · ${when}${from ? ` · ${from}` : ''}`;
    if (base) this.details.title = base.path;
    else this.details.removeAttribute('title');

    this.stopButton.textContent = t('button.stop');
    this.stopButton.title = t('button.stop.title');
    this.stopButton.setAttribute('aria-label', t('button.stop.title'));
    this.stopButton.hidden = !training;

    this.resumeButton.textContent = t('button.resume');
    this.resumeButton.title = t('button.resume.title');
    this.resumeButton.setAttribute('aria-label', t('button.resume.title'));
    this.resumeButton.hidden = training || !resumable;
    // Resume is the primary action of a run that can carry on; Train again then steps back.
    this.trainButton.setAttribute('appearance', this.resumeButton.hidden ? 'primary' : 'secondary');

    this.trainButton.textContent = t('button.train');
    this.trainButton.title = t('button.train.title');
    this.trainButton.setAttribute('aria-label', t('button.train.title'));
    if (training) this.trainButton.setAttribute('disabled', '');
    else this.trainButton.removeAttribute('disabled');

    this.renderStages(stages, t);
  }

  /** The followed run's job and the age of its files, or nothing for a run that is not followed. After render(). */
  renderFollow(follow: DashboardFollow | undefined, t: Translate, now: () => number = Date.now): void {
    if (this.followTimer !== undefined) clearInterval(this.followTimer);
    this.followTimer = undefined;
    this.follow.hidden = !follow;
    if (!follow) {
      this.follow.textContent = '';
      delete this.follow.dataset.updatedAt;
      return;
    }
    const job = follow.node ? t('header.jobOn', follow.jobId, follow.node) : follow.reason ? t('header.jobWaiting', follow.jobId, follow.reason) : t('header.job', follow.jobId);
    this.follow.title = t('header.follow.title');
    this.follow.dataset.updatedAt = String(follow.updatedAt);
    // A followed cluster job is stopped by cancelling it: the Stop button says so (the host cancels the job).
    this.stopButton.hidden = false;
    this.stopButton.textContent = t('button.cancelJob');
    this.stopButton.title = t('button.cancelJob.title');
    this.stopButton.setAttribute('aria-label', t('button.cancelJob.title'));
    const draw = () => {
      this.follow.textContent = `${job} · ${t('header.updatedAgo', secondsAgo(follow.updatedAt, now()))}`;
    };
    draw();
    this.followTimer = setInterval(draw, 1000);
  }

  private renderStages(stages: Partial<Record<StageName, StageStatus>> | undefined, t: Translate): void {
    this.stages.setAttribute('aria-label', t('stages.label'));
    this.stages.hidden = !stages || Object.keys(stages).length === 0;
    const items = STAGES.map((stage) => {
      const status = stages?.[stage] ?? 'pending';
      const label = `${t(`stage.${stage}`)}: ${t(`stageStatus.${status}`)}`;
      return h(
        'li',
        { class: `stage stage-${status}`, 'data-stage': stage, 'data-status': status, title: label, 'aria-label': label },
        h('span', { class: 'stage-icon', 'aria-hidden': 'true' }, STAGE_ICONS[status]),
        t(`stage.${stage}`),
      );
    });
    this.stages.replaceChildren(...items);
  }
}
