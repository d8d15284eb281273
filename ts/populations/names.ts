// The one name of a population, used by the populations results (inactivation groups), the CLI and every figure.

/**
 * The name of population `k` as every result, figure and report writes it: 0-based, as the `labels` array numbers
 * the populations ("population 0" for label 0).
 */
export function populationName(k: number): string {
  return `population ${k}`;
}
