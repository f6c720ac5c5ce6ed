import fc from 'fast-check';

/**
 * Property tests run with a fixed seed by default, so that CI is reproducible: a failure shows up on
 * every run until it is fixed. FC_SEED=random explores new cases (do it locally from time to time);
 * FC_SEED=<n> replays a reported counterexample.
 */
const seed = process.env.FC_SEED;
if (seed !== 'random') fc.configureGlobal({ seed: seed ? Number(seed) : 20261122 });
