// scripts/slurm-test-cluster.sh itself: a second start finds the cluster
// running and leaves it be, a job runs on it, and stop leaves no daemon or
// job process of it behind.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { startTestCluster } from '../helpers/slurmCluster';

const script = join(import.meta.dirname, '..', '..', 'scripts', 'slurm-test-cluster.sh');

/**
 * Pids of the cluster's processes: a command line naming its folder (munged,
 * slurmctld, slurmd, the job script), or a job's environment naming its
 * slurm.conf (the job's own children, like its `sleep`). Not this test process.
 */
function processesOf(dir: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const environ = readFileSync(`/proc/${name}/environ`, 'utf8').split('\0');
      const jobOfCluster = environ.some((v) => v.startsWith('SLURM_JOB_ID=')) && environ.some((v) => v.startsWith(`SLURM_CONF=${dir}`));
      if (jobOfCluster || readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(dir)) pids.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

test('the test cluster: a second start leaves it running as it was, a job runs, stop leaves nothing running', async () => {
  const cluster = await startTestCluster();
  try {
    const scriptEnv = { ...process.env, MODELLAB_SLURM_DIR: cluster.dir, MODELLAB_SLURM_PORT: /SlurmctldPort=(\d+)/.exec(readFileSync(cluster.env.SLURM_CONF!, 'utf8'))![1] };
    const pidFiles = ['munged', 'slurmctld', 'slurmd'].map((d) => join(cluster.dir, 'run', `${d}.pid`));
    const before = pidFiles.map((f) => readFileSync(f, 'utf8').trim());
    const again = execFileSync('bash', [script, 'start'], { env: scriptEnv, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    assert.match(again, new RegExp(`^export SLURM_CONF=${cluster.env.SLURM_CONF}$`, 'm'));
    assert.deepEqual(pidFiles.map((f) => readFileSync(f, 'utf8').trim()), before, 'the same daemons');

    // A job that would run for a minute is still running when the cluster stops.
    const out = join(cluster.dir, 'sleeper.out');
    execFileSync('sbatch', ['--parsable', `--output=${out}`, '--wrap', 'echo started; sleep 60'], { env: cluster.env, encoding: 'utf8' });
    const deadline = Date.now() + 60_000;
    while (!(existsSync(out) && readFileSync(out, 'utf8').includes('started'))) {
      assert.ok(Date.now() < deadline, 'the job never started');
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(processesOf(cluster.dir).length >= 5, 'the three daemons, the job script and its sleep are running');
    execFileSync('bash', [script, 'stop'], { env: scriptEnv, stdio: ['ignore', 'ignore', 'pipe'] });
    assert.deepEqual(processesOf(cluster.dir), [], 'nothing of the cluster runs');
    assert.throws(() => execFileSync('bash', [script, 'status'], { env: scriptEnv, stdio: 'pipe' }), 'status says it is not running');
  } finally {
    cluster.stop();
  }
});
