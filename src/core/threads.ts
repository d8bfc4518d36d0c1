// How many threads one run's engine uses: the pure rule. The trainer (or the
// inference child) applies it with its machine's cores and SLURM's CPUs, then
// fixes the count with setEngineThreads (src/trainer/threads.ts) before the
// backend starts.
//
// Precedence, first said wins: the CLI's --threads N (one invocation), the
// config's training.threads (one experiment), the editor's modelLab.threads or
// the CLI's MODELLAB_THREADS (this machine; 0 means every core). With none of
// them the run takes its share of the CPUs it may use: the SLURM job's CPUs
// per task when set, else the machine's cores, divided among the runs that
// train at once (a sweep's concurrency). A count the user set is kept even
// when the runs together ask for more threads than there are CPUs; the
// decision then says so.

/** What the user asked of a run's threads besides its config's training.threads; undefined: not said there. */
export interface ThreadRequest {
  /** The CLI's --threads N: wins over everything. */
  cli?: number;
  /** modelLab.threads (the editor) or MODELLAB_THREADS (the CLI): the machine's default, below the config; 0: every core. */
  setting?: number;
  /** How many runs train at once on these CPUs (a sweep's concurrency); default 1. */
  sharedBy?: number;
}

/** The CPUs a process may use. */
export interface ThreadMachine {
  /** The machine's cores (os.availableParallelism()). */
  cores: number;
  /** SLURM_CPUS_PER_TASK of the job this process runs in, when set. */
  slurmCpusPerTask?: number;
}

export const THREAD_SOURCES = ['cli', 'config', 'setting', 'share'] as const;
export type ThreadSource = (typeof THREAD_SOURCES)[number];

export interface ThreadDecision {
  threads: number;
  /** Where the count came from: --threads, training.threads, the setting, or the run's share of the CPUs. */
  source: ThreadSource;
  /** The CPUs the runs share: the job's CPUs per task, else the machine's cores. */
  cpus: number;
  cpusFrom: 'slurm' | 'cores';
  sharedBy: number;
  /** In English, when the runs together ask for more threads than `cpus`: they then wait on one another. */
  oversubscribed?: string;
}

/** The CLI's own default count, as modelLab.threads is the editor's (0: every core); the editor sets it for the CLI children it forks. */
export const THREADS_ENV = 'MODELLAB_THREADS';

/** The largest count anyone may ask for: beyond it a number is a typo, not a machine. */
export const MAX_THREADS = 1024;

/** Threads of the inference child (attention, saliency, predictions): one small request at a time; more would only take cores from a training. */
export const INFERENCE_THREADS = 2;

/** Why `n` is no thread count (undefined: it is one). `zeroMeansAll`: the setting's 0, every core. */
export function threadCountProblem(n: unknown, zeroMeansAll = false): string | undefined {
  const rule = zeroMeansAll ? `a whole number from 0 (every core) to ${MAX_THREADS}` : `a whole number from 1 to ${MAX_THREADS}`;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < (zeroMeansAll ? 0 : 1) || n > MAX_THREADS) return `must be ${rule}`;
  return undefined;
}

/** The inference child's threads: the setting's count (or every core), at most INFERENCE_THREADS. */
export function inferenceThreads(setting: number | undefined, machine: ThreadMachine): number {
  return Math.min(INFERENCE_THREADS, resolveThreads(setting !== undefined ? { setting } : {}, undefined, machine).threads);
}

/** The thread count of one run. Throws a RangeError naming the source of a count that is no whole number ≥ 1. */
export function resolveThreads(request: ThreadRequest, configThreads: number | undefined, machine: ThreadMachine): ThreadDecision {
  const check = (name: string, n: number | undefined, zeroMeansAll = false) => {
    const problem = n === undefined ? undefined : threadCountProblem(n, zeroMeansAll);
    if (problem) throw new RangeError(`${name} ${problem}, not ${n}`);
  };
  check('--threads', request.cli);
  check('training.threads', configThreads);
  check('the threads setting', request.setting, true);
  for (const [name, n] of [['the machine\'s cores', machine.cores], ['SLURM_CPUS_PER_TASK', machine.slurmCpusPerTask]] as const) {
    if (n !== undefined && (!Number.isInteger(n) || n < 1)) throw new RangeError(`${name} must be a whole number ≥ 1, not ${n}`);
  }
  const sharedBy = request.sharedBy ?? 1;
  if (!Number.isInteger(sharedBy) || sharedBy < 1) throw new RangeError(`runs at once must be a whole number ≥ 1, not ${sharedBy}`);

  const cpusFrom = machine.slurmCpusPerTask !== undefined ? 'slurm' : 'cores';
  const cpus = machine.slurmCpusPerTask ?? machine.cores;
  const setting = request.setting === 0 ? undefined : request.setting;
  const asked: [ThreadSource, number] | undefined =
    request.cli !== undefined ? ['cli', request.cli] : configThreads !== undefined ? ['config', configThreads] : setting !== undefined ? ['setting', setting] : undefined;
  if (!asked) return { threads: Math.max(1, Math.floor(cpus / sharedBy)), source: 'share', cpus, cpusFrom, sharedBy };

  const [source, threads] = asked;
  const total = threads * sharedBy;
  const decision: ThreadDecision = { threads, source, cpus, cpusFrom, sharedBy };
  if (total > cpus) {
    const where = cpusFrom === 'slurm' ? `the job's ${cpus} CPU(s) (SLURM_CPUS_PER_TASK)` : `this machine's ${cpus} core(s)`;
    const runs = sharedBy > 1 ? `${sharedBy} runs at once × ${threads} threads = ${total} threads` : `${threads} threads`;
    decision.oversubscribed = `${SOURCE_NAMES[source]} asks for ${threads} thread(s): ${runs} on ${where}, so they wait on one another; ${Math.max(1, Math.floor(cpus / sharedBy))} would fit`;
  }
  return decision;
}

const SOURCE_NAMES: Record<ThreadSource, string> = { cli: '--threads', config: 'training.threads', setting: 'the threads setting', share: 'the share of the CPUs' };

/** How a run's threads read beside its backend: "2 threads", "1 thread". */
export function threadsText(threads: number): string {
  return `${threads} thread${threads === 1 ? '' : 's'}`;
}
