// Package hatest runs what the high-availability tests need on 127.0.0.1:
// a real single-member etcd server (embedded) in a test's temporary
// directory, and a TCP proxy in front of it that a test can cut, so that
// one client loses etcd while the others keep it. It never fakes etcd.
package hatest
