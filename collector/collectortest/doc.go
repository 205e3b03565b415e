// Package collectortest holds test doubles for the collector: an in-memory
// Source with settable answers, errors and blocking, a Meter that counts
// calls in flight, a manual Clock, and Snapshot, which builds a
// collector.Snapshot in one call for other packages' tests. It is for tests
// only and never talks to a host.
package collectortest
