package collector

import (
	"slices"
	"time"
)

// sample is one value at one time.
type sample struct {
	t time.Time
	v float64
}

// window holds the samples of one metric, oldest first. It is private
// mutable state: snapshots get Stat values, never the window itself.
type window struct {
	samples []sample
}

// add appends v at t and drops the samples older than span at t. A sample
// older than the newest one is ignored, so a window only moves forward in
// time.
func (w *window) add(t time.Time, v float64, span time.Duration) {
	if n := len(w.samples); n > 0 && t.Before(w.samples[n-1].t) {
		return
	}
	w.samples = append(w.samples, sample{t: t, v: v})
	w.expire(t, span)
}

// expire drops the samples older than span at now: a sample is kept while
// now minus its time is at most span.
func (w *window) expire(now time.Time, span time.Duration) {
	cut := now.Add(-span)
	i := 0
	for i < len(w.samples) && w.samples[i].t.Before(cut) {
		i++
	}
	if i > 0 {
		w.samples = slices.Delete(w.samples, 0, i)
	}
}

// len returns how many samples the window holds.
func (w *window) len() int { return len(w.samples) }

// stat summarizes the window; the zero Stat when it is empty.
func (w *window) stat() Stat {
	vals := make([]float64, len(w.samples))
	for i, s := range w.samples {
		vals[i] = s.v
	}
	return summarize(vals)
}

// summarize returns the last value (the slice's final element), the mean,
// the nearest-rank 95th percentile and the maximum of vals.
func summarize(vals []float64) Stat {
	n := len(vals)
	if n == 0 {
		return Stat{}
	}
	last := vals[n-1]
	var sum float64
	for _, v := range vals {
		sum += v
	}
	sorted := slices.Clone(vals)
	slices.Sort(sorted)
	rank := (95*n + 99) / 100 // nearest rank ⌈0.95·n⌉, 1-based, in integers
	return Stat{
		Last: last,
		Mean: sum / float64(n),
		P95:  sorted[rank-1],
		Max:  sorted[n-1],
	}
}

// oldest returns the time of the window's oldest sample; false when empty.
func (w *window) oldest() (time.Time, bool) {
	if len(w.samples) == 0 {
		return time.Time{}, false
	}
	return w.samples[0].t, true
}

// lastBefore returns the time of the newest sample taken before t; false
// when there is none.
func (w *window) lastBefore(t time.Time) (time.Time, bool) {
	for i := len(w.samples) - 1; i >= 0; i-- {
		if w.samples[i].t.Before(t) {
			return w.samples[i].t, true
		}
	}
	return time.Time{}, false
}

// shifted returns the window's values with each sample moved by the
// deltas of the changes made after it was taken (deltas[i] belongs to
// changes[i]).
func (w *window) shifted(changes []change, deltas []float64) []float64 {
	vals := make([]float64, len(w.samples))
	for i, s := range w.samples {
		v := s.v
		for j, ch := range changes {
			if s.t.Before(ch.at) {
				v += deltas[j]
			}
		}
		vals[i] = v
	}
	return vals
}
