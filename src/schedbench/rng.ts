// Seeded random numbers for the scheduler benchmark: one stream per seed, so a
// run is reproduced exactly by its --seed. sfc32 (Chris Doty-Humphrey's Small
// Fast Counting generator) passes PractRand and needs only 32-bit integer maths.

export type Uniform = () => number;

/** sfc32 seeded through splitmix32; returns doubles in (0, 1] (never 0, so logs are finite). */
export function seededUniform(seed: number): Uniform {
  let s = seed >>> 0;
  const split = (): number => {
    s = (s + 0x9e3779b9) | 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = split();
  let b = split();
  let c = split();
  let d = 1;
  const next = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  for (let i = 0; i < 12; i++) next();
  return () => (next() + 1) / 4294967296;
}

/** Exponential with the given mean. */
export function exponential(u: Uniform, mean: number): number {
  return -Math.log(u()) * mean;
}

/** Standard normal (Box-Muller, one of the pair). */
export function normal(u: Uniform): number {
  return Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

export type LifetimeDist = 'pareto' | 'lognormal' | 'exp';

/**
 * A sampler of service demands with the given mean:
 * - pareto: shape a (> 1), scale xm = mean (a-1)/a; P(X > x) = (xm/x)^a. Heavy-tailed:
 *   a = 1.5 has a finite mean and an infinite variance.
 * - lognormal: sigma s, mu = ln(mean) - s^2/2.
 * - exp: memoryless, for comparison.
 */
export function demandSampler(u: Uniform, dist: LifetimeDist, mean: number, shape: number): () => number {
  if (dist === 'pareto') {
    const xm = (mean * (shape - 1)) / shape;
    const inv = -1 / shape;
    return () => xm * Math.pow(u(), inv);
  }
  if (dist === 'lognormal') {
    const mu = Math.log(mean) - (shape * shape) / 2;
    return () => Math.exp(mu + shape * normal(u));
  }
  return () => exponential(u, mean);
}
