// Package etcdtest starts real etcd servers (go.etcd.io/etcd/server/v3/embed)
// for tests: one member or a cluster of several, each on 127.0.0.1 ports
// chosen free, with its data in a test's temporary directory and raft
// timings shortened so that a cluster elects its leader in a fraction of a
// second. Members can be stopped one by one, as a machine that dies. It
// never listens beyond the loopback address and is for tests only.
package etcdtest
