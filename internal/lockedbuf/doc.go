// Package lockedbuf is a bytes.Buffer that goroutines may write to and
// read at once: the sink of a log whose writers (a daemon's rounds, an
// executor's moves, a policy session's helpers) run on their own
// goroutines while a test reads what they logged.
package lockedbuf
