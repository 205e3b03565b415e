package journal_test

import (
	"path/filepath"
	"testing"

	"github.com/hvbalancer/hvbalancer/balancer/executor/journal"
	"github.com/hvbalancer/hvbalancer/balancer/executor/journal/journaltest"
)

// TestConformance runs the Store suite against the local file: racing
// writers share the one open journal, and it has no fence (its lock
// admits one process).
func TestConformance(t *testing.T) {
	journaltest.Run(t, journaltest.Harness{
		Fresh: func(t *testing.T) journaltest.Opener {
			path := filepath.Join(t.TempDir(), "journal.db")
			return func(t *testing.T) journal.Store {
				j, err := journal.Open(path)
				if err != nil {
					t.Fatal(err)
				}
				return j
			}
		},
	})
}
