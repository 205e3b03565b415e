// Package ha elects one leader among the daemons that share an etcd
// cluster, so that exactly one of them collects, plans and executes while
// the others stand by.
//
// An Elector holds an etcd session (a lease with the configured TTL) and
// campaigns under <prefix>/leader in the background; any part of the
// daemon reads who leads with State, waits for a change with Changed, and
// conditions its writes on this daemon still leading with Fence: etcd
// refuses a write whose fence names a leader key that expired, was
// resigned or was replaced, so a deposed leader that has not noticed yet
// cannot change the shared state. Check asks etcd the same question
// before an action that is not an etcd write, such as starting a
// migration.
//
// The package never decides what a leader does, never stores anything but
// its own leader key, and never reads the configuration file: the daemon
// builds its Config.
package ha
