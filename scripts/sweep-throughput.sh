#!/bin/bash
# Throughput of `lowrank sweep` (docs/sweeps.md): a demo-sized fit grid (a full-rank dm teacher of 128 units, LINT
# fits at ranks 1-3 x 8 seeds, 400 epochs on 40 trials, one thread each), run (a) one job at a time by hand, a shell
# loop of `lowrank fit`, (b) by the local backend with 1 worker, (c) by the local backend with 2 workers.
# Usage: scripts/sweep-throughput.sh [DIR]  (needs dist/cli.js: npm run build:ts)
set -euo pipefail
cli="$(cd "$(dirname "$0")/.." && pwd)/dist/cli.js"
dir=${1:-$(mktemp -d)}; mkdir -p "$dir"; cd "$dir"
node "$cli" train --task dm --preset lint --full-rank --size 128 --epochs 30 --trials 500 --seed 1 --threads 1 --out teacher.npz >/dev/null 2>&1
opts='"teacher": "teacher.npz", "task": "dm", "preset": "lint", "trials": 40, "epochs": 400'
grid='"rank": [1, 2, 3], "seed": [0, 1, 2, 3, 4, 5, 6, 7]'
jobs=24
rate() { python3 -c "print(f'{$jobs / ($2 - $1) * 3600:.0f} jobs/hour ({$2 - $1:.1f} s for $jobs jobs)')"; }
t0=$(date +%s.%N)
for rank in 1 2 3; do for seed in 0 1 2 3 4 5 6 7; do
  node "$cli" fit --teacher teacher.npz --task dm --preset lint --trials 40 --epochs 400 --rank $rank --seed $seed --threads 1 --json --out "byhand-$rank-$seed.npz" >/dev/null
done; done
t1=$(date +%s.%N); echo "one job at a time (shell loop of lowrank fit): $(rate $t0 $t1)"
echo "{\"kind\": \"fit\", \"options\": {$opts}, \"grid\": {$grid}, \"threads\": 1, \"workers\": 1, \"out\": \"w1.sweep\"}" > w1.json
echo "{\"kind\": \"fit\", \"options\": {$opts}, \"grid\": {$grid}, \"threads\": 1, \"workers\": 2, \"out\": \"w2.sweep\"}" > w2.json
t0=$(date +%s.%N); node "$cli" sweep w1.json 2>/dev/null; t1=$(date +%s.%N)
echo "lowrank sweep, local backend, 1 worker:     $(rate $t0 $t1)"
t0=$(date +%s.%N); node "$cli" sweep w2.json 2>/dev/null; t1=$(date +%s.%N)
echo "lowrank sweep, local backend, 2 workers:    $(rate $t0 $t1)"
node "$cli" sweep collect w2.json --out table.csv 2>/dev/null
python3 - <<'PY'
import csv
rows = list(csv.DictReader(open('table.csv')))
for r in (1, 2, 3):
    v = sorted(float(x['rows.0.r2']) for x in rows if x['rank'] == str(r))
    print(f'rank {r}: median held-out R2 over 8 seeds {v[len(v)//2 - 1] / 2 + v[len(v)//2] / 2:.3f}')
PY
