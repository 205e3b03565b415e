// Package planstoretest is the conformance suite of planstore.Store: Run
// proves, against any implementation, what the daemon relies on — a saved
// plan's files and record read back whole, a record is updated only at
// the version its writer read (of writers racing on one plan exactly one
// wins), removal takes record and files, reopening keeps everything, and
// a fenced writer that lost its leadership changes nothing. The
// directory store and the etcd store both run it.
package planstoretest
