// The one name of a population, used by the populations results (inactivation groups), the CLI and every figure.
import { checkValue, is } from '../core/validate.js';

/**
 * The name of population `k` as every result, figure and report writes it: 0-based, as the `labels` array numbers
 * the populations ("population 0" for label 0).
 */
export function populationName(k: number): string {
  checkValue('populationName', 'k', k, is.integer(0), 'argument');
  return `population ${k}`;
}
