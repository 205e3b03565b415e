// Package etcdjournal keeps the executor's journal in etcd, so that
// daemons that take over from each other share one record of every
// migration: a journal.Store over a clientv3 client, under a key prefix
// of its own (sites with separate fleets use separate prefixes).
//
// Every write is one etcd transaction that compares the mod revisions of
// what it read, so that of two writers racing on one entry exactly one
// succeeds (the other reads again and sees what the first wrote), and
// that also compares the caller's Fence (the leader key of an election):
// when the fence fails the write changes nothing and returns ErrFenced,
// so a deposed leader that has not noticed yet cannot journal an intent
// or a start.
//
// Keys and values, under the prefix P (values are JSON or plain text):
//
//	P journal/seq               the last sequence number given, in decimal
//	P journal/entries/<inv>     one journal.Entry as JSON, the same JSON as the local
//	                            journal's; <inv> is the entry's sequence number
//	                            subtracted from 2^64-1, as 16 hex digits, so that
//	                            the newest entry comes first in key order
//	P journal/ids/<move id>     <inv> of the move id's entry
//
// Listings (Entries, Queued, Unresolved, LastMoved, Prune) read the
// entries a page at a time (Options.PageSize, by key range and limit, all
// at the revision of the first read), never the whole journal in one
// response; each read's range spans a window of sequence numbers, since
// etcd counts every key of a read's range, so that no read costs the
// server the whole journal.
package etcdjournal
