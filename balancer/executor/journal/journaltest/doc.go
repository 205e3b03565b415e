// Package journaltest is the conformance suite of journal.Store: Run
// proves, against any implementation, what the executor and the daemon
// rely on — a move id is journaled once, only the executor's transitions
// are made, of writers racing on one move exactly one wins, the queries
// answer as the executor expects, reopening keeps everything, and a
// fenced writer that lost its leadership changes nothing. The local
// journal and the etcd journal both run it.
package journaltest
