package daemon

import "time"

// pruneEvery is how often the daemon removes what retention lets go.
const pruneEvery = time.Hour

// sweepGrace is how old the files of a plan without a record (a Save cut
// short by a crash or a fence) must be before they are removed: far
// longer than a Save may take (the store's timeout), so that a plan being
// saved, here or by a daemon that led until just now, is never touched.
const sweepGrace = time.Hour

// prune removes the ended plans and journal entries the retention
// settings let go, at most once per pruneEvery.
func (d *Daemon) prune(now time.Time) {
	if !d.lastPrune.IsZero() && now.Sub(d.lastPrune) < d.fleet.Scale(pruneEvery) {
		return
	}
	d.lastPrune = now
	cfg, _, _ := d.current()
	r := cfg.Retention
	plans, err := d.plans.prune(now.Add(-r.PlanAge), r.Plans)
	if err != nil {
		d.log.Error("remove old plans", "err", err)
	}
	// Files and saving stamps carry the wall clock's times, whatever
	// clock the fleet runs on.
	orphans, err := d.plans.sweep(time.Now().Add(-sweepGrace))
	if err != nil {
		d.log.Error("remove the files of plans saved without a record", "err", err)
	}
	moves, err := d.journal.Prune(now.Add(-r.JournalAge))
	if err != nil {
		d.log.Error("remove old journal entries", "err", err)
	}
	if plans > 0 || moves > 0 || orphans > 0 {
		d.log.Info("removed what retention lets go", "plans", plans, "plans_without_record", orphans, "journal_entries", moves)
	}
}

// sweep removes the files of plans without a record written before
// before (planstore.Store.Sweep).
func (s *planStore) sweep(before time.Time) (int, error) {
	return s.st.Sweep(before)
}

// prune removes the ended plans that ended before cutoff, and those
// beyond the newest keep ended ones, and returns how many it removed.
// Plans that wait for approval or run stay.
func (s *planStore) prune(cutoff time.Time, keep int) (int, error) {
	ended := 0
	removed := 0
	for _, r := range s.leadRecords() { // newest first
		if !r.State.Final() {
			continue
		}
		ended++
		at := r.Ended
		if at.IsZero() {
			at = r.Created
		}
		if ended <= keep && !at.Before(cutoff) {
			continue
		}
		if err := s.remove(r.ID); err != nil {
			return removed, err
		}
		removed++
	}
	return removed, nil
}

// remove deletes a plan's record, then its files: a crash between the
// two leaves files without a record, which the store skips.
func (s *planStore) remove(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.Remove(id)
}
