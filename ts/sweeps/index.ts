/**
 * Sweeps: grids of lowrank jobs (train, fit, populations, partial observation) from one plan, run on the local cores
 * or as SLURM job arrays, resumable job by job, collected into one table. Plans, backends and a cluster recipe:
 * docs/sweeps.md.
 * @module
 */
export { checkPlan, loadPlan, jobArguments, jobId, kindOptions, takesThreads, JOB_KINDS, type JobKind, type LoadedPlan, type SlurmResources, type SweepJob, type SweepPlan } from './plan.js';
export { readRecord, jobsDir, type JobRecord, type JobState } from './results.js';
export { runJob, runLocal, jobStates, jobsToRun, cliScript, type RunJobOptions, type RunLocalOptions, type SweepProgress } from './run.js';
export { submitSlurm, slurmStates, slurmArrays, cancelSlurm, waitSlurm, sbatchLines, type SlurmArray, type WaitSlurmOptions } from './slurm.js';
export { collectTable, writeTable, type SweepTable } from './collect.js';
