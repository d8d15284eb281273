// From a recording to condition-averaged rates: alignment, window, conditions from trial columns, unit selection by a
// column and by rate, observation intervals, and what was dropped and why; inputs from the condition columns.
import { describe, expect, test } from 'vitest';
import { conditionInputs, prepareRecording } from '../../ts/recordings/prepare.js';
import { prepareSeries } from '../../ts/recordings/prepare-series.js';
import type { Recording } from '../../ts/recordings/recording.js';

/** Three trials (two of coherence 1, one of -1), three units; unit 12 is not observed in trial 2. */
function recording(): Recording {
  return {
    source: 'synthetic.nwb',
    format: 'nwb',
    units: {
      ids: [10, 11, 12],
      // trial starts at 0, 10, 20 s; the go cue 1 s after the start
      spikeTimes: [
        Float64Array.from([1.005, 1.015, 1.025, 11.005, 21.035]),
        Float64Array.from([1.5, 11.5]),
        Float64Array.from([1.001, 11.001, 11.011]),
      ],
      columns: { location: ['PFC', 'PFC', 'FEF'], quality: [0.9, 0.2, 0.8] },
      observationIntervals: [[[0, 30]], [[0, 30]], [[0, 15]]],
    },
    trials: {
      start: Float64Array.from([0, 10, 20]),
      stop: Float64Array.from([5, 15, 25]),
      columns: { coherence: [1, 1, -1], go: [1, 11, 21], context: ['a', 'a', 'b'] },
    },
    timeSeries: [],
  };
}

describe('prepareRecording', () => {
  test('aligns, bins and averages per condition; sorts conditions; drops units by column, rate and observation', () => {
    const p = prepareRecording(recording(), { conditions: ['coherence'], align: 'go', window: [0, 40], binMs: 10 });
    expect(p.conditions).toEqual({ coherence: [-1, 1] });
    expect(p.trialsPerCondition).toEqual([1, 2]);
    expect(p.units).toEqual([10, 11]); // 12 was not observed in the -1 trial (20-25 s)
    expect(p.dropped.units).toEqual([{ id: 12, why: 'not observed in every condition' }]);
    expect(p.rates.shape).toEqual([2, 4, 2]);
    // unit 10: coherence -1 -> one spike at 35 ms (bin 3) = 100 Hz; coherence 1 -> spikes at 5, 15, 25 and 5 ms over two trials
    const unit10 = (c: number) => Array.from({ length: 4 }, (_, t) => p.rates.data[(c * 4 + t) * 2]);
    expect(unit10(0)).toEqual([0, 0, 0, 100]);
    expect(unit10(1)).toEqual([100, 50, 50, 0]);
    expect(Array.from({ length: 4 }, (_, t) => p.rates.data[(4 + t) * 2 + 1])).toEqual([0, 0, 0, 0]); // unit 11 spikes at 500 ms
    const pfc = prepareRecording(recording(), { conditions: ['coherence', 'context'], align: 'go', window: [0, 40], binMs: 10, units: { column: 'location', values: ['PFC'] }, minRate: 1 });
    expect(pfc.units).toEqual([10]);
    expect(pfc.conditions).toEqual({ coherence: [-1, 1], context: ['b', 'a'] });
    expect(pfc.dropped.units).toEqual([{ id: 12, why: 'location = FEF' }, { id: 11, why: 'mean rate 0.00 Hz < minRate 1 Hz' }]);
  });

  test('trials without an event time are dropped with the reason; unknown columns and missing tables are errors', () => {
    const rec = recording();
    (rec.trials!.columns as Record<string, number[]>).go = [1, Number.NaN, 21];
    const p = prepareRecording(rec, { conditions: ['coherence'], align: 'go', window: [0, 40], binMs: 10 });
    expect(p.dropped.trials).toEqual([{ id: 1, why: 'no go time' }]);
    expect(p.trialsPerCondition).toEqual([1, 1]);
    expect(() => prepareRecording(recording(), { conditions: ['coh'], align: 'go', window: [0, 40], binMs: 10 })).toThrow(
      /synthetic\.nwb has no trial column 'coh'; its trial columns: start_time, stop_time, coherence, go, context/,
    );
    expect(() => prepareRecording(recording(), { conditions: ['coherence'], align: 'go', window: [0, 40], binMs: 10, units: { column: 'area', values: ['PFC'] } })).toThrow(/no unit column 'area'; its unit columns: location, quality/);
    expect(() => prepareRecording({ ...recording(), units: undefined }, { conditions: ['coherence'], align: 'go', window: [0, 40], binMs: 10 })).toThrow(/synthetic\.nwb has no units table/);
    const silent = recording();
    (silent.units!.spikeTimes as Float64Array[])[0] = Float64Array.from([1.005, 1.015, 1.025, 21.035]); // nothing in trial 1
    expect(prepareRecording(silent, { conditions: ['coherence'], align: 'go', window: [0, 40], binMs: 10, units: { column: 'location', values: ['PFC'] } }).dropped.trials).toEqual([
      { id: 1, why: 'no spike of any kept unit in the window' },
    ]);
    const unsorted = recording();
    (unsorted.units!.spikeTimes as Float64Array[])[1] = Float64Array.from([11.5, 1.5]);
    expect(() => prepareRecording(unsorted, { conditions: ['coherence'], align: 'go', window: [0, 40], binMs: 10 })).toThrow(/the spike times of unit 11 in synthetic\.nwb are not in ascending order/);
    const emptyCondition = recording();
    (emptyCondition.units!.spikeTimes as Float64Array[])[0] = Float64Array.from([1.005, 11.005]); // the -1 trial is silent
    expect(() => prepareRecording(emptyCondition, { conditions: ['coherence'], align: 'go', window: [0, 40], binMs: 10, units: { column: 'location', values: ['PFC'] } })).toThrow(
      /condition coherence = -1 has no trial left \(trial 2: no spike of any kept unit in the window\)/,
    );
    expect(() => prepareRecording(recording(), { conditions: ['coherence'], align: 'go', window: [5000, 6000], binMs: 10 })).toThrow(
      /no trial of synthetic\.nwb has a spike in the window \[5000, 6000\] ms around 'go' \(times in the file are in seconds, the window in ms\)/,
    );
    expect(() => prepareRecording(recording(), { conditions: ['coherence'], align: 'go', window: [40, 0], binMs: 10 })).toThrow(/option 'window' must be \[start, end\] in ms with start < end; got \[40, 0\]/);
    expect(() => prepareRecording(recording(), { conditions: ['coherence'], align: 'go', binMs: 10 } as never)).toThrow(/option 'window' must be/);
    expect(() => prepareRecording(recording(), { conditions: ['coherence'], align: 'go', window: [0, 40], binMs: 10, bin: 3 } as never)).toThrow(/unknown option 'bin'/);
  });

  test('conditionInputs: one channel per numeric condition column, on in the bins of `during`', () => {
    const p = prepareRecording(recording(), { conditions: ['coherence'], align: 'go', window: [0, 40], binMs: 10 });
    const u = conditionInputs(p, { columns: ['coherence'], during: [10, 30], scale: 0.5 });
    expect(u.shape).toEqual([2, 4, 1]);
    expect(Array.from(u.data)).toEqual([0, -0.5, -0.5, 0, 0, 0.5, 0.5, 0]);
    const both = prepareRecording(recording(), { conditions: ['coherence', 'context'], align: 'go', window: [0, 40], binMs: 10 });
    expect(() => conditionInputs(both, { columns: ['context'] })).toThrow(/condition column 'context' is not numeric/);
    expect(() => conditionInputs(both, { columns: ['go'] })).toThrow(/'go' is not a condition column; they are coherence, context/);
  });

  test('prepareSeries: a sampled signal (e.g. dF/F) binned around the event and averaged per condition', () => {
    const rec = recording();
    // 2 channels sampled at 200 Hz from 0 to 30 s: channel 0 = trial's coherence after the go cue, channel 1 = time
    const times = Float64Array.from({ length: 6000 }, (_, i) => i / 200);
    const trialOf = (t: number) => Math.floor(t / 10);
    const data = new Float64Array(6000 * 2);
    times.forEach((t, i) => {
      const k = trialOf(t);
      data[i * 2] = t >= k * 10 + 1 ? [1, 1, -1][k] : 0;
      data[i * 2 + 1] = t;
    });
    rec.timeSeries = [{ name: 'processing/ophys/DfOverF/RoiResponseSeries', data: { data, shape: [6000, 2] }, timestamps: times }];
    const p = prepareSeries(rec, { series: 'RoiResponseSeries', conditions: ['coherence'], align: 'go', window: [-20, 20], binMs: 10 });
    expect(p.rates.shape).toEqual([2, 4, 2]);
    expect(p.trialsPerCondition).toEqual([1, 2]);
    const channel = (c: number, k: number) => Array.from({ length: 4 }, (_, t) => p.rates.data[(c * 4 + t) * 2 + k]);
    expect(channel(0, 0)).toEqual([0, 0, -1, -1]);
    expect(channel(1, 0)).toEqual([0, 0, 1, 1]);
    // the time channel: mean of the two samples of each bin, averaged over trials at go = 1 s and 11 s
    expect(channel(1, 1).map((v) => +v.toFixed(6))).toEqual([5.9825, 5.9925, 6.0025, 6.0125]);
    expect(() => prepareSeries(rec, { series: 'nope', conditions: ['coherence'], align: 'go', window: [0, 20], binMs: 10 })).toThrow(/has no time series 'nope'; its series: processing\/ophys/);
    expect(() => prepareSeries(rec, { series: 'RoiResponseSeries', conditions: ['coherence'], align: 'go', window: [0, 20000], binMs: 10 })).toThrow(/condition coherence = -1 has no trial left/);
  });
});
