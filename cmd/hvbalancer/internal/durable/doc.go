// Package durable writes the state directory's files so that a crash or a
// power cut leaves each either as it was or as it was meant to be: through a
// temporary file that is synced, renamed over the old one, and the
// directory synced so that the rename itself is on disk.
package durable
