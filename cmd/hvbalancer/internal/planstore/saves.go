package planstore

import "sync"

// saves counts the Saves under way in a store, by plan, so that Sweep
// leaves their files. It is read and changed under the store's mutex mu:
// a store whose Sweep holds mu while it judges (Dir) makes a Save that
// begins meanwhile wait until the sweep is done.
type saves map[string]int

// begin counts a Save of id as under way until the returned func is
// called.
func (v saves) begin(mu *sync.Mutex, id string) func() {
	mu.Lock()
	v[id]++
	mu.Unlock()
	return func() {
		mu.Lock()
		if v[id]--; v[id] == 0 {
			delete(v, id)
		}
		mu.Unlock()
	}
}
