/** Latencies of the successful iterations of one row, and what a row line reports about them. */
export class LatencyRecorder {
  private samples = new Float64Array(1 << 14);
  private count = 0;

  get size(): number {
    return this.count;
  }

  record(ms: number): void {
    if (this.count === this.samples.length) {
      const grown = new Float64Array(this.samples.length * 2);
      grown.set(this.samples);
      this.samples = grown;
    }
    this.samples[this.count++] = ms;
  }

  /** Nearest-rank percentile (q in 0..1), ms; 0 when nothing was recorded. */
  percentile(q: number): number {
    if (this.count === 0) return 0;
    const sorted = this.samples.slice(0, this.count).sort();
    const rank = Math.max(1, Math.ceil(q * this.count));
    return sorted[rank - 1] as number;
  }
}

/** Rates to whole operations per second, latencies to the microsecond. */
export function roundRate(perSecond: number): number {
  return Math.round(perSecond);
}

export function roundMs(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

export function ratio(numerator: number, denominator: number): number {
  return denominator === 0 ? 0 : Math.round((numerator / denominator) * 100) / 100;
}
