// Package hatest is what the high-availability tests need beside a real
// etcd (package etcdtest): a TCP proxy on 127.0.0.1 in front of a member
// that a test can cut, so that one client loses etcd as in a network
// partition while the others keep it. It never fakes etcd.
package hatest
