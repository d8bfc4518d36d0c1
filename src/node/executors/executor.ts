// Where a run trains. `local` is this machine (the trainer child of the
// editor, or the CLI's own process; src/node/executors/local.ts stops such a
// run). A scheduler executor (SLURM today, src/node/executors/slurm.ts;
// Kubernetes Jobs could be one more) hands the run to a cluster instead:
//
//   submit   the run folder is created at once with meta.json `queued` and
//            RunMeta.job (the scheduler's id, the saved job script's name);
//            the job runs the Model Lab CLI on a compute node,
//            `<node> <cli.js> train <config> --run-dir <run folder> …`,
//            which starts the run in that folder, or resumes it from its
//            checkpoint when the job was requeued;
//   query    what the scheduler says of each job now (JobState);
//   cancel   asks the scheduler to stop a job; the run is marked `cancelled`.
//
// Training itself never knows which executor started it: it only sees a run
// folder and a config. Every executor reads and writes run folders through
// src/node/runStore*.ts, so the sidebar, dashboard and CLI follow a cluster
// run from its files exactly as a local one.

import type { BackendChoice, ExecutorName, JobState, RunMeta, SchedulerJob } from '../../core/types';
import type { ConfigDiagnostic } from '../configValidation';

/** The file names an executor writes into a run folder (beside meta.json, metrics.jsonl, …). */
export const JOB_FILES = {
  /** The job script as submitted: readable, and resubmittable with `sbatch job.sh`. */
  script: 'job.sh',
  /** The job's standard output and error, appended across requeues. */
  stdout: 'job.out',
  stderr: 'job.err',
} as const;

/** How many lines of the job's stderr a failed run's error keeps. */
export const JOB_STDERR_TAIL_LINES = 20;

/**
 * What a cluster job asks for. Each field is left to the scheduler's default
 * when absent. From the settings `modelLab.slurm.*`, or the CLI's options.
 */
export interface JobResources {
  partition?: string;
  account?: string;
  /** The scheduler's own time syntax (SLURM: "30", "1:00:00", "1-12"). */
  timeLimit?: string;
  cpusPerTask?: number;
  /** The scheduler's own memory syntax (SLURM: "4G", "500M"). */
  memory?: string;
  /** Generic resources, e.g. "gpu:1". */
  gres?: string;
  /** More scheduler arguments, one per item ("--qos=high"), written into the script as directives. */
  extraArgs?: string[];
  /** Shell lines run on the node before training ("module load nodejs/20"). */
  setupLines?: string[];
}

/** The program a job runs on the compute node: `<nodePath> <cliPath> train …`. Both must exist there. */
export interface JobProgram {
  /** The Node.js binary on the compute node (default: the one running the submitter, process.execPath). */
  nodePath: string;
  /** Model Lab's CLI bundle, dist/cli.js (default: the submitter's own). */
  cliPath: string;
}

/** One training run to submit. */
export interface RunSubmission {
  /** Absolute path of the experiment config; the compute node reads the same path. */
  configPath: string;
  /** Absolute path of the runs folder (…/.modellab/runs), on a file system the compute nodes see. */
  runsDir: string;
  backend: BackendChoice;
  /** Overrides the config's training.epochs (the CLI's --epochs). */
  epochs?: number;
  /**
   * The CLI's --threads: the job's trainer runs with it. Without it the trainer takes the config's
   * training.threads, else the job's CPUs (SLURM_CPUS_PER_TASK, set by JobResources.cpusPerTask), else the node's cores.
   */
  threads?: number;
  resources: JobResources;
  program: JobProgram;
  /** Model Lab's version, recorded in the queued run's meta ("unknown" when not given; the trainer records its own when it starts). */
  modelLabVersion?: string;
}

/** A sweep to submit as one job: every point of the config's sweep section, one task each. */
export interface SweepSubmission extends RunSubmission {
  /** How many points train at once; default: the config's sweep.concurrency, else all. */
  concurrency?: number;
}

/** A run folder created by a submission, `queued`. */
export interface SubmittedRun {
  runDir: string;
  meta: RunMeta;
}

/** What submit returns: the scheduler's job id and the queued runs (one; or one per sweep point, by index). */
export interface Submitted {
  /** The job id, or the array job id of a sweep. */
  jobId: string;
  runs: SubmittedRun[];
  /** The sweep id recorded in each run's meta (a sweep submission only). */
  sweepId?: string;
}

/**
 * A scheduler that trains runs as jobs. Refusals throw ExecutorError with a
 * message a user can act on (the scheduler's own words when it refused).
 */
export interface Executor {
  readonly name: Exclude<ExecutorName, 'local'>;
  /** Validates the config, creates the run folder (`queued`, with RunMeta.job and the script) and submits one job. */
  submitRun(request: RunSubmission): Promise<Submitted>;
  /** Validates the config, creates one queued run folder per sweep point and submits one job array (task i trains point i). */
  submitSweep(request: SweepSubmission): Promise<Submitted>;
  /** What the scheduler says of each job now, keyed by SchedulerJob.id; a job it no longer knows is `unknown`. */
  query(jobs: readonly SchedulerJob[]): Promise<Map<string, JobState>>;
  /** Asks the scheduler to stop the job; resolves once the request is accepted. Marking the run is cancelClusterRun's part (clusterRuns.ts). */
  cancel(job: SchedulerJob): Promise<void>;
}

/** A scheduler refused or is unreachable; the message says what to do. */
export class ExecutorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExecutorError';
  }
}

/** A scheduler's command (sbatch, squeue, scancel) is not on this machine's PATH: the executor names a scheduler this machine cannot reach. The editor says so in the user's language. */
export class SchedulerCommandMissing extends ExecutorError {
  constructor(
    readonly command: string,
    readonly executor: ExecutorName,
    message: string,
  ) {
    super(message);
    this.name = 'SchedulerCommandMissing';
  }
}

/** The config (or one sweep point of it) has errors: nothing was submitted. */
export class SubmissionConfigError extends ExecutorError {
  constructor(
    readonly configPath: string,
    readonly diagnostics: ConfigDiagnostic[],
  ) {
    super(`${configPath} has ${diagnostics.filter((d) => d.severity === 'error').length} error(s); nothing was submitted`);
    this.name = 'SubmissionConfigError';
  }
}
