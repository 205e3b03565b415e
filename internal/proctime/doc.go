// Package proctime reads how much CPU time the process has used, for the
// benchmarks that report CPU per operation: on a machine that other work
// shares, CPU time varies far less than wall time. It counts every
// thread of the process (the garbage collector's, and an embedded etcd
// server's beside its client's), user and system. Where the operating
// system gives no such count, it says so rather than guess.
package proctime
