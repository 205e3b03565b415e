package daemon

import "time"

// pruneEvery is how often the daemon removes what retention lets go.
const pruneEvery = time.Hour

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
	moves, err := d.journal.Prune(now.Add(-r.JournalAge))
	if err != nil {
		d.log.Error("remove old journal entries", "err", err)
	}
	if plans > 0 || moves > 0 {
		d.log.Info("removed what retention lets go", "plans", plans, "journal_entries", moves)
	}
}

// prune removes the ended plans that ended before cutoff, and those
// beyond the newest keep ended ones, and returns how many it removed.
// Plans that wait for approval or run stay.
func (s *planStore) prune(cutoff time.Time, keep int) (int, error) {
	ended := 0
	removed := 0
	for _, r := range s.records() { // newest first
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
