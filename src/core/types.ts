// Shared domain types: the experiment config, the run store records and the
// metric points. Pure data, no behaviour: imported by core, trainer, host and webview.

import type { MetricGoal } from './metrics';
import type { RunLogLine } from './runLog';

/** Every task a config can name; the schema, the validator and the run store follow this list. */
export const TASKS = ['regression', 'classification', 'language-model', 'masked-language-model', 'recommendation'] as const;
export type Task = (typeof TASKS)[number];
/** The engines a run can train on, fastest first. */
export const BACKEND_NAMES = ['tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];
/** What a user may ask for: a backend, or `auto` (the fastest that starts). */
export const BACKEND_CHOICES = ['auto', ...BACKEND_NAMES] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

export type PreprocessStep =
  | { standardize: 'features' | string[] }
  | { minMax: 'features' | string[] }
  | { oneHot: string[] }
  | { fillMissing: { strategy: 'mean' | 'median' | 'mode' | 'constant' | 'drop'; value?: number | string; columns?: string[] } };

export interface SplitConfig {
  validation?: number;
  test?: number;
  seed?: number;
  shuffle?: boolean;
}

export type TokenizerType = 'char' | 'word';
/** What happens to punctuation: kept in place, removed, or (word mode) made tokens of their own. */
export type PunctuationMode = 'keep' | 'strip' | 'split';

export interface TokenizerConfig {
  type?: TokenizerType;
  lowercase?: boolean;
  punctuation?: PunctuationMode;
  /** Largest vocabulary, special tokens included; the rarest tokens become <unk>. */
  vocabSize?: number;
  /** Tokens per sequence: longer texts are truncated, shorter ones padded. */
  maxLength?: number;
}

export interface DataConfig {
  source?: string;
  train?: string;
  validation?: string;
  test?: string;
  format?: 'csv' | 'json' | 'jsonl' | 'txt';
  features?: string[];
  /** Text classification: the column holding the text (instead of `features`). */
  text?: string;
  target?: string;
  /** Recommendation: the column naming the user of each interaction. */
  user?: string;
  /** Recommendation: the column naming the item of each interaction. */
  item?: string;
  preprocess?: PreprocessStep[];
  split?: SplitConfig;
  /** Text tasks: how text becomes tokens. */
  tokenizer?: TokenizerConfig;
  /**
   * Image classification: the data are images. `source` / `train` / `validation` / `test`
   * then name a folder with one sub-folder per class (its name is the label), or a CSV/JSONL
   * listing whose `image.column` holds each image's path (relative to the config) and whose
   * `target` column holds its label.
   */
  image?: ImageDataConfig;
  /** masked-language-model: the share of tokens masked in each sequence (BERT's rule: of those, 80% become [MASK], 10% a random token, 10% stay), drawn anew each epoch from the training seed. Default 0.15. */
  masking?: { share?: number };
}

/** How images become a model's input. */
export interface ImageDataConfig {
  /** [height, width] every image is resized to (bilinear). */
  size: [number, number];
  /** 1: grayscale, 3: RGB (an alpha channel is dropped). Default 3. */
  channels?: 1 | 3;
  /** `unit`: pixels / 255 (default); `standardize`: per channel, with the mean and std of the training split (saved with the model). */
  scaling?: 'unit' | 'standardize';
  /** A listing's column of image paths. Default "path". */
  column?: string;
  /** An unreadable or non-image file: `fail` (default, the error names the file) or `skip` (counted in the run's log). */
  onError?: 'fail' | 'skip';
  /** Seeded augmentation of the training split only, drawn anew each epoch. */
  augment?: ImageAugmentConfig;
}

export interface ImageAugmentConfig {
  /** Mirror left–right with probability 1/2. */
  flip?: boolean;
  /** Largest shift up/down and left/right, as a share of the size (0.1 = 10%). */
  shift?: number;
  /** Largest rotation either way, in degrees. */
  rotate?: number;
  /** Largest brightness change either way, as a share of the full range (0.1 = ±10%). */
  brightness?: number;
}

export type Activation = 'linear' | 'relu' | 'sigmoid' | 'tanh' | 'softmax' | 'elu' | 'selu' | 'gelu' | 'softplus' | 'swish';

/** A size of a 2-D window (kernel, pool, stride): one number for a square, or [height, width]. */
export type Size2D = number | [number, number];

export type LayerConfig =
  | { type: 'dense'; units: number; activation?: Activation; useBias?: boolean; kernelInitializer?: string; name?: string }
  | { type: 'conv2d'; filters: number; kernelSize: Size2D; strides?: Size2D; padding?: 'same' | 'valid'; activation?: Activation; useBias?: boolean; kernelInitializer?: string; name?: string }
  | { type: 'maxPooling2d'; poolSize?: Size2D; strides?: Size2D; padding?: 'same' | 'valid'; name?: string }
  | { type: 'averagePooling2d'; poolSize?: Size2D; strides?: Size2D; padding?: 'same' | 'valid'; name?: string }
  | { type: 'globalAveragePooling2d'; name?: string }
  | { type: 'flatten'; name?: string }
  | { type: 'dropout'; rate: number; name?: string }
  | { type: 'batchNormalization'; momentum?: number; epsilon?: number; name?: string }
  | { type: 'layerNormalization'; epsilon?: number; name?: string }
  | { type: 'activation'; activation: Activation; name?: string };

/** A stack of layers (the MLP of the first lessons). */
export interface SequentialModelConfig {
  type?: undefined;
  layers: LayerConfig[];
}

export type TransformerType = 'transformerEncoder' | 'transformerDecoder';

/** A Transformer: an encoder classifies text, a decoder (causal) models language. */
export interface TransformerModelConfig {
  type: TransformerType;
  /** Number of blocks (attention + feed-forward). */
  layers?: number;
  heads?: number;
  dModel?: number;
  ffDim?: number;
  dropout?: number;
  /** Longest sequence the positional embedding covers. */
  maxLength?: number;
  positional?: 'learned' | 'sinusoidal';
  /** Encoder: how the sequence becomes one vector for the classifier. */
  pooling?: 'mean' | 'first';
}

export type RecommenderType = 'matrixFactorization' | 'neuralRecommender';

/**
 * A recommender: user and item embeddings scored by their dot product
 * (matrix factorization) or by a small MLP over their concatenation.
 */
export interface RecommenderModelConfig {
  type: RecommenderType;
  /** Size of each user and item embedding. Default 16. */
  embeddingDim?: number;
  /** neuralRecommender: units of the hidden layers. Default [32]. */
  hidden?: number[];
  /** Sampled non-interactions per interaction in training. Default 4. */
  negatives?: number;
}

/**
 * Fine-tuning: the run (its id, or its folder) or the export folder whose model
 * this one starts from. A Transformer takes the base's tokenizer and its encoder
 * (or decoder) blocks and adds a new head for the task; a layer stack takes the
 * base's layers up to its head (an image model's convolutions). The string form
 * is `{ "from": … }` with the defaults.
 */
export interface BaseModelConfig {
  from: string;
  /** Epochs with the base's weights frozen (only the new head trains), then all train. Default 0. */
  freezeEpochs?: number;
  /** Learning rate of the base's weights once they train (often lower than the head's). Default: the optimizer's. */
  learningRate?: number;
}

export type ModelConfig = (SequentialModelConfig | TransformerModelConfig | RecommenderModelConfig) & {
  /** Start from a trained model (fine-tuning). */
  base?: string | BaseModelConfig;
};

export type OptimizerType = 'sgd' | 'momentum' | 'adam' | 'rmsprop' | 'adagrad';
export interface OptimizerConfig {
  type: OptimizerType;
  learningRate?: number;
  momentum?: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

export type LossName =
  | 'mse' | 'mae' | 'huber'
  | 'binaryCrossentropy' | 'categoricalCrossentropy' | 'sparseCategoricalCrossentropy';

export type MetricName = 'mse' | 'mae' | 'rmse' | 'r2' | 'accuracy' | 'precision' | 'recall' | 'f1';

export interface TrainingConfig {
  optimizer?: OptimizerConfig;
  loss?: LossName;
  metrics?: MetricName[];
  epochs?: number;
  batchSize?: number;
  seed?: number;
  shuffle?: boolean;
  earlyStopping?: { monitor?: string; patience?: number; minDelta?: number; restoreBestWeights?: boolean };
  reduceLrOnPlateau?: { monitor?: string; factor?: number; patience?: number; minLr?: number };
  checkpoint?: { monitor?: string };
  /** Distributions of weights and gradients in distributions.jsonl: every `every` epochs (default, and `true`: every epoch), or `false` for none. */
  distributions?: { every?: number } | boolean;
  /** k-fold cross-validation: k runs, each validated on its own fold of the training data (seeded; stratified for classification); the test split is untouched. */
  crossValidation?: { folds: number };
  /** Threads of the WebAssembly engine (src/core/threads.ts: below the CLI's --threads, above the modelLab.threads setting). Default: the run's share of the cores. */
  threads?: number;
}

export interface EvaluationConfig {
  metrics?: MetricName[];
}

export interface DeploymentConfig {
  export?: string;
}

export interface ExperimentConfig {
  name: string;
  description?: string;
  task: Task;
  data: DataConfig;
  model: ModelConfig;
  training: TrainingConfig;
  evaluation?: EvaluationConfig;
  deployment?: DeploymentConfig;
  /** Train once per point of a grid or of random draws over config paths. */
  sweep?: SweepConfig;
}

/** How a sweep picks its points: every combination, seeded random draws, or Bayesian search (a tree-structured Parzen estimator over the runs finished so far). */
export const SWEEP_METHODS = ['grid', 'random', 'bayes'] as const;
export type SweepMethod = (typeof SWEEP_METHODS)[number];

/** A range a random or bayes sweep draws from; `log` draws evenly in log space (learning rates). */
export interface SweepRange {
  min: number;
  max: number;
  scale?: 'linear' | 'log';
  integer?: boolean;
}

/** A list of values (any method), or a range (random and bayes). */
export type SweepParameter = unknown[] | SweepRange;

export interface SweepConfig {
  /** Default "grid". */
  method?: SweepMethod;
  /** Keyed by config path, e.g. "training.optimizer.learningRate" or "model.layers[0].units". */
  parameters: Record<string, SweepParameter>;
  /** Random and bayes: how many points to draw (the budget of runs). */
  count?: number;
  /** Random and bayes: seeds the draws; a grid with early termination: the shuffled order its points run in. Default 1. */
  seed?: number;
  /** Epoch metric that ranks the runs. Default "val_loss" ("loss" without validation data). */
  metric?: string;
  /** Default "maximize" for accuracies, else "minimize". */
  goal?: MetricGoal;
  /** Runs training at the same time. Default 1. */
  concurrency?: number;
  /** Stops runs that fall behind at a rung (an epoch budget), freeing their slot: asynchronous successive halving. */
  earlyTermination?: EarlyTerminationConfig;
}

/** How a sweep stops runs early: `asha`, asynchronous successive halving (Hyperband's rule, as Ray Tune's ASHA and Optuna's pruner). */
export const EARLY_TERMINATION_TYPES = ['asha'] as const;
export type EarlyTerminationType = (typeof EARLY_TERMINATION_TYPES)[number];

export interface EarlyTerminationConfig {
  type: EarlyTerminationType;
  /** The first rung: epochs every run trains before it can be stopped. Default 1. */
  minEpochs?: number;
  /** η: rungs at minEpochs·η^k epochs, and the top 1/η of the runs at a rung go on. Default 3. */
  reductionFactor?: number;
}

/** A sweep's early termination as each of its runs applies it (SweepMembership.earlyTermination): defaults filled in, with the metric it ranks by. */
export interface SweepEarlyTermination {
  type: EarlyTerminationType;
  minEpochs: number;
  reductionFactor: number;
  metric: string;
  goal: MetricGoal;
}

/** A run's result at a rung of its sweep's early termination (SweepMembership.rungs), recorded before it compares itself with its siblings'. */
export interface RungResult {
  epoch: number;
  value: number;
  /** Filled in once decided: its place among the results recorded at this rung so far (1 = best; ties share the better place), of how many, and how many go on. */
  rank?: number;
  of?: number;
  kept?: number;
}

/** One line of metrics.jsonl. `kind: 'step'` points carry batch losses; `kind: 'epoch'` points carry epoch logs. */
export interface MetricPoint {
  kind: 'step' | 'epoch';
  /** Global optimizer step (batches seen so far, 1-based). */
  step: number;
  /** Epoch index, 1-based. */
  epoch: number;
  /** Milliseconds since the run started. */
  time: number;
  values: Record<string, number>;
}

/** `pruned`: a sweep's early termination stopped the run at a rung because it fell behind the sweep's other runs there. */
export const RUN_STATUSES = ['queued', 'running', 'completed', 'stopped', 'failed', 'interrupted', 'cancelled', 'pruned'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** Where a run trains: on this machine, or as a job of a SLURM cluster. Another scheduler is one more name here and one more executor in src/node/executors. */
export const EXECUTOR_NAMES = ['local', 'slurm'] as const;
export type ExecutorName = (typeof EXECUTOR_NAMES)[number];

/** The scheduler job behind a cluster run (RunMeta.job); absent for a run trained by this machine. */
export interface SchedulerJob {
  executor: Exclude<ExecutorName, 'local'>;
  /** The scheduler's id of this run's job: "1234", or "1234_3" for task 3 of array job 1234. */
  id: string;
  /** For a sweep point: the array job and this point's task index in it. */
  arrayJobId?: string;
  arrayIndex?: number;
  submittedAt: string;
  /** The submitted job script's file name in the run folder (readable, resubmittable). */
  script: string;
}

/** What a scheduler says of a job now. */
export const JOB_STATES = ['queued', 'running', 'completed', 'failed', 'cancelled', 'unknown'] as const;
export type JobStateName = (typeof JOB_STATES)[number];

export interface JobState {
  state: JobStateName;
  /** Why a queued job waits (SLURM's reason: Priority, Resources, …), or why it ended. */
  reason?: string;
  /** The node a running job runs on. */
  node?: string;
  /** When the scheduler was asked (ISO time). */
  checkedAt: string;
}

/** What a fine-tuned run started from, as it found it when it started. */
export interface RunBase {
  /** `run`: a run folder (of this or another runs folder); `export`: an exported model folder. */
  kind: 'run' | 'export';
  /** The base run's id (kind `run`). */
  id?: string;
  /** The folder the weights were read from, absolute. */
  path: string;
  /** The base's task (masked-language-model, language-model, classification, …). */
  task: Task;
  /** Hash of the base's config.json (sha256, hex, first 16), to tell a base that changed since. */
  configHash?: string;
}

export interface RunMeta {
  /** Format version of the run folder; a newer one is listed with a warning, never overwritten. */
  format: 1;
  id: string;
  name: string;
  task: Task;
  configPath: string;
  status: RunStatus;
  createdAt: string;
  endedAt?: string;
  backend?: BackendName;
  /** The engine threads the run trained with (src/core/threads.ts); absent for the native backend (its own threading) and for runs before threads were recorded. */
  threads?: number;
  versions: { modelLab: string; tfjs?: string; node: string };
  seed: number;
  epochsPlanned: number;
  epochsDone: number;
  /** The last epoch's logs (loss, val_loss, …). */
  lastMetrics?: Record<string, number>;
  bestEpoch?: number;
  /** The logs of the best epoch (by the checkpoint monitor): the epoch whose model the run keeps. */
  bestMetrics?: Record<string, number>;
  /** The trainer process's system values over the last epoch (`system/` keys, src/core/systemMetrics.ts). */
  system?: Record<string, number>;
  error?: string;
  /** The trainer process while the run goes (cleared when it ends); a process of `host`. */
  pid?: number;
  /** The machine whose trainer wrote the run last (its host name): a reader on it checks `pid`, a reader elsewhere the heartbeat. */
  host?: string;
  /** Identifies the process `pid` beyond its number (its start time, as src/node/heartbeat.ts reads it), so a recycled pid is not taken for the trainer. */
  pidStart?: string;
  /** When a trainer last started on this run: a new run, a resume, or a requeued job carrying it on. */
  startedAt?: string;
  /** The scheduler job the trainer writing this run runs as (SLURM_JOB_ID), when it runs in one: requeued, the same job knows its own earlier attempt by it. */
  trainerJob?: string;
  /** Status of each pipeline stage, kept up to date while the run goes. */
  stages?: Partial<Record<StageName, StageStatus>>;
  /** Rows (sequences, for a language model) per split once the data is loaded; the pipeline shows them. */
  dataSizes?: { train: number; validation: number; test: number };
  /** Set when the run is one point of a sweep. */
  sweep?: SweepMembership;
  /** Set when the run was fine-tuned from a base (`model.base`). */
  base?: RunBase;
  /** Each time training carried on from a checkpoint: when, and after which finished epoch. */
  resumes?: { at: string; fromEpoch: number }[];
  /** Set for a run submitted to a cluster scheduler. */
  job?: SchedulerJob;
  /** Set when the run is one fold of a cross-validation: readers show the k folds as one group. */
  fold?: FoldMembership;
  /** Set when the run retrains a sweep's best point on all the training data (train + validation). */
  retrain?: RetrainSource;
}

/** One fold of a k-fold cross-validation (RunMeta.fold). */
export interface FoldMembership {
  /** Shared by the k runs of one cross-validation. */
  id: string;
  /** 0-based fold this run validates on, of k. */
  index: number;
  k: number;
}

/** What a retrained run retrains (RunMeta.retrain): trained on train + validation for the epochs the best run stopped at. */
export interface RetrainSource {
  /** The sweep whose best point it is, when it came from one. */
  sweepId?: string;
  /** The run (or, cross-validated, the first fold run) whose point and best epoch it takes. */
  fromRun: string;
  /** The best epoch it trains to. */
  epochs: number;
  /** The metric and value that made the point best. */
  metric: string;
  value: number;
}

export interface SweepMembership {
  /** Shared by every run of one sweep launch. */
  id: string;
  /** 0-based index of this point, and how many points the sweep has. */
  index: number;
  total: number;
  /** The config values this point set, keyed by config path (e.g. "training.optimizer.learningRate"). */
  params: Record<string, unknown>;
  /** The sweep's early termination (the same for every run of the sweep): the run compares itself with its siblings at each rung. */
  earlyTermination?: SweepEarlyTermination;
  /** This run's results at the rungs it reached, in order. */
  rungs?: RungResult[];
}

export interface LayerSummary {
  name: string;
  type: string;
  outputShape: (number | null)[];
  params: number;
}

export interface ModelSummary {
  layers: LayerSummary[];
  totalParams: number;
  trainableParams: number;
  inputShape: (number | null)[];
}

export interface RegressionEvaluation {
  task: 'regression';
  split: 'test' | 'validation';
  count: number;
  metrics: { mse: number; mae: number; rmse: number; r2: number };
  /** A sample (at most a few hundred) of [actual, predicted] pairs in target units for the scatter plot. */
  samples: [number, number][];
}

export interface ClassificationEvaluation {
  task: 'classification';
  split: 'test' | 'validation';
  count: number;
  labels: string[];
  metrics: { accuracy: number; macroPrecision: number; macroRecall: number; macroF1: number };
  perClass: { label: string; precision: number; recall: number; f1: number; support: number }[];
  /** confusion[actual][predicted] */
  confusion: number[][];
  /** Image classifiers: each evaluated image (path relative to the config's folder) with its true and predicted label. */
  images?: ImagePrediction[];
}

/** The file beside an image model's weights that says how to read an image for it (ImageModelInfo). */
export const IMAGE_INFO_FILE = 'image.json';

/**
 * What an image model needs beside its weights to read an image as it was
 * trained (`image.json` in the model folder and in an export).
 */
export interface ImageModelInfo {
  format: 'modellab-image';
  version: 1;
  /** [height, width] of the model's input. */
  size: [number, number];
  channels: 1 | 3;
  scaling: 'unit' | 'standardize';
  /** Per channel, on the 0..255 scale, when scaling is 'standardize'. */
  mean?: number[];
  std?: number[];
  /** Class names in the order of the model's outputs. */
  labels: string[];
}

/** Saliency methods: Grad-CAM on the last convolution, or the gradient of the class score with respect to the pixels. */
export const SALIENCY_METHODS = ['gradcam', 'gradient'] as const;
export type SaliencyMethod = (typeof SALIENCY_METHODS)[number];

/** An image classifier's prediction for one image, with where in the image it looked. */
export interface SaliencyResult {
  /** The image as the model saw it: its path, and the model's input size. */
  file: string;
  size: [number, number];
  prediction: { label: string; probabilities: { label: string; probability: number }[] };
  method: SaliencyMethod;
  /** The class the map explains (the predicted one). */
  explains: string;
  /** size[0] rows × size[1] columns, each in 0..1 (1 = most salient). */
  saliency: number[][];
}

export interface ImagePrediction {
  file: string;
  label: string;
  predicted: string;
  /** The predicted class's probability. */
  confidence: number;
}

export interface LanguageModelEvaluation {
  task: 'language-model';
  split: 'test' | 'validation';
  /** Tokens predicted (each scored against the one that really follows). */
  count: number;
  /** Mean next-token cross-entropy (nats) and its exponential. */
  metrics: { loss: number; perplexity: number };
  /** A few texts generated from prompts taken from the split; each starts with its prompt. */
  samples: string[];
  /** The prompt each sample starts with (same order as `samples`). */
  prompts?: string[];
}

export interface RecommendationEvaluation {
  task: 'recommendation';
  split: 'test' | 'validation';
  /** Held-out interactions ranked (one per user: the user's last). */
  count: number;
  /** Cut-off of the ranking metrics. */
  k: number;
  /** Of the model; items the user interacted with in training are not ranked. */
  metrics: { hitRate: number; ndcg: number };
  /** The same metrics for recommending the most popular items (the baseline to beat). */
  baseline: { hitRate: number; ndcg: number };
}

/** A masked-language model on a fixed (seeded) masking of the split: BERT's 80/10/10 over `data.masking.share` of the tokens. */
export interface MaskedLanguageModelEvaluation {
  task: 'masked-language-model';
  split: 'test' | 'validation';
  /** Masked tokens predicted. */
  count: number;
  /** Mean cross-entropy over the masked tokens (nats), its exponential, and the share of masked tokens predicted exactly. */
  metrics: { loss: number; perplexity: number; masked_accuracy: number };
  /** Always guessing the training split's most frequent token: the accuracy to beat. */
  baseline: { token: string; masked_accuracy: number };
  /** A few sentences of the split with their masked tokens and the model's top guess for each. */
  samples: MaskedSample[];
}

export interface MaskedSample {
  /** The sentence as the model read it, each masked token shown as <mask> (a random replacement as its token). */
  masked: string;
  /** The tokens that were masked, in order. */
  expected: string[];
  /** The model's most likely token at each of them. */
  predicted: string[];
}

export type Evaluation = RegressionEvaluation | ClassificationEvaluation | LanguageModelEvaluation | MaskedLanguageModelEvaluation | RecommendationEvaluation;

/** How many tokens of a text attention is computed over: by default, and at most (the T×T maps grow with its square). */
export const ATTENTION_TOKENS: { readonly default: number; readonly max: number } = { default: 128, max: 4096 };

/** The model's attention over one text, as the dashboard's heatmaps and the CLI show it. */
export interface AttentionResult {
  task: 'classification' | 'regression' | 'language-model' | 'masked-language-model';
  /** Token labels, in order (special tokens such as <cls> included). */
  tokens: string[];
  /** Where each token sits in the text: [start, end) in UTF-16 units; null for tokens not taken from the text. */
  offsets: ([number, number] | null)[];
  /** layers × heads × query tokens × key tokens; every row sums to 1. */
  attention: number[][][][];
  /** The text had more tokens than were shown. */
  truncated: boolean;
  /** Classifier only: the predicted label and every class's probability (in label order). */
  prediction?: { label: string; probabilities: { label: string; probability: number }[] };
  /** Text regression only: the predicted value of the target, in its units. */
  predictedValue?: { target: string; value: number };
}

export interface GenerationResult {
  prompt: string;
  /** The generated continuation (without the prompt). */
  text: string;
  /** Tokens generated. */
  tokens: number;
}

export type StageName = 'data' | 'preprocess' | 'training' | 'evaluation' | 'deployment' | 'application';
export type StageStatus = 'pending' | 'running' | 'done' | 'failed' | 'skipped';

/** What the dashboard needs to draw one run, whether live or loaded from disk. */
export interface RunSnapshot {
  meta: RunMeta;
  summary?: ModelSummary;
  metrics: MetricPoint[];
  evaluation?: Evaluation;
  stages?: Partial<Record<StageName, StageStatus>>;
  /** Why some of the run folder could not be read (truncated JSONL, unknown format…). */
  warnings?: string[];
  /** How a reader judged whether the run still trains (its last heartbeat, why it is shown as it is). */
  liveness?: RunLiveness;
  /** The last lines of the run's log (log.jsonl, src/core/runLog.ts), oldest first. */
  logs?: RunLogLine[];
}

/** The file a running trainer rewrites every few seconds in its run folder (RunHeartbeat). */
export const HEARTBEAT_FILE = 'heartbeat.json';
/** How often a running trainer rewrites its heartbeat, and how old one may be before a reader on another host takes the run for dead. */
export const HEARTBEAT_TIMING: { readonly intervalMs: number; readonly staleAfterMs: number } = { intervalMs: 5_000, staleAfterMs: 30_000 };

/** A running trainer's sign of life (heartbeat.json): who it is, and when it last wrote. */
export interface RunHeartbeat {
  host: string;
  pid: number;
  /** The process's start (RunMeta.pidStart), when the platform tells it. */
  pidStart?: string;
  /** ISO time of the write, by the writing host's clock. */
  time: string;
}

/** A run's status as a reader shows it, from its meta.json, its heartbeat, its process and its scheduler job (src/core/runLiveness.ts). */
export interface RunLiveness {
  /** The status shown. */
  status: RunStatus;
  /** What meta.json itself says. */
  recorded: RunStatus;
  /** Why the status shown differs from the recorded one, or how it was judged. */
  why?: string;
  /** The last heartbeat of the run's trainer (ISO time), when there is one. */
  lastHeartbeat?: string;
}
