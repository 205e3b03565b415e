// Package executor carries out a plan's moves: live migrations of
// moves.Move, as a streaming queue within every limit (migrations in
// flight overall and per host, a token bucket, per-host circuit breakers,
// cooldowns and holds, a pause switch). Each move is re-validated against
// the fleet just before it starts, compared by Compare-VM on its source (a
// destination that cannot take the VM skips the move with the reason's
// typed cause, and Move-VM is never sent), journaled in the crash-safe journal
// (package journal) before and after Move-VM, and verified by locating the
// VM; a move whose outcome is lost blocks its VM until locating it tells
// the outcome. The Migrator interface is how it reaches the hosts; HyperV
// is the one over WinRM. It never plans: the moves come from the planner,
// and it knows nothing of the planner but the Move.
package executor
