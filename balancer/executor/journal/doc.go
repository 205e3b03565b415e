// Package journal is the executor's crash-safe record of live migrations: the
// moves submitted and waiting for their turn (queued, so that a restart
// loses none), the intent before Move-VM is sent, the start, and the outcome, each written and
// synced before the executor goes on. After a crash or a
// lost connection the unresolved entries tell which VMs must be located
// before anything moves them again. A move id is journaled once: asking again
// returns the existing entry, so one decision never migrates a VM twice. It
// records; it never decides or migrates.
//
// Store is the journal's interface; Journal, a local bbolt file held by
// one process, is its default implementation, and package etcdjournal
// keeps the same entries in etcd for daemons that take over from each
// other. Package journaltest is the suite every Store passes.
package journal
