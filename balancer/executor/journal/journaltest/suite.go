package journaltest

import "testing"

// Run runs every test of the suite against h.
func Run(t *testing.T, h Harness) {
	tests := []struct {
		name string
		run  func(*testing.T, Harness)
	}{
		{"IntentIsRecordedOnce", testIntentOnce},
		{"Transitions", testTransitions},
		{"ReconciledOutcomeIsMarked", testReconciled},
		{"UnknownAndMissingMoveIDs", testMissing},
		{"Queries", testQueries},
		{"QueuedMoves", testQueued},
		{"ManyEntriesNewestFirst", testMany},
		{"RacingIntentsOneWins", testRaceIntend},
		{"RacingTransitionsOneWins", testRaceTransition},
		{"RacingQueuesQueueOnce", testRaceQueue},
		{"QueuedBatchIsAllOrNothing", testQueueBatchAtomic},
		{"ReopenKeepsEverything", testReopen},
		{"DeposedWriterIsFenced", testFenced},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, h) })
	}
}
