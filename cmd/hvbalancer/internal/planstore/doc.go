// Package planstore keeps the daemon's plans: each plan's files (the
// signed plan, its reports, the snapshot it came from) and its record
// (the daemon's JSON of where the plan stands). Store is the interface;
// Dir, one directory per plan in the state directory, is the default, and
// Etcd keeps the same in etcd for daemons that take over from each other.
// A record is updated only at the version its writer read, so of two
// writers approving or settling one plan at once exactly one succeeds. It
// stores; it never reads a record's meaning (beyond the plan id it names)
// or signs or checks a plan.
//
// Etcd's keys and values, under the prefix P:
//
//	P plans/records/<plan id>                  the record, the daemon's JSON as in record.json
//	P plans/files/<plan id>/<name>/z<nnnn>     the file compressed with zstd, in chunks of
//	                                           at most ChunkSize, numbered from z0000
//	                                           (a store written before files were
//	                                           compressed has <nnnn> from 0000, the
//	                                           bytes as they were: read as they are)
//	P plans/saving/<plan id>                   when a Save began (RFC 3339), until its
//	                                           record is written
//
// A record's version is its key's mod revision. A plan is saved files
// first and record last, and removed record first, so a plan without a
// record (cut short by a crash or a fence) is never listed. Sweep removes
// such a plan's files once older than a cutoff (by the files' times in a
// directory, by the saving key in etcd), never those of a Save under way
// in the same store.
package planstore
