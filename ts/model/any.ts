import type { FullRankRNN } from './fullrank.js';
import type { LowRankRNN } from './lowrank.js';

/** Either kind of net. */
export type AnyModel = LowRankRNN | FullRankRNN;
