// Where Model Lab keeps its files inside a workspace.

/** The folder Model Lab owns in a workspace: never searched for configs or followed for attention. */
export const MODELLAB_FOLDER = '.modellab';

/** Where run folders go unless the modelLab.runsDirectory setting or --runs-dir says otherwise (relative, `/`-separated). */
export const DEFAULT_RUNS_DIRECTORY = `${MODELLAB_FOLDER}/runs`;
