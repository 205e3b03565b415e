// Package moves holds what a plan hands to the executor: the Move (one
// planned live migration, with why it was chosen and what it buys), the
// Rejection of a candidate, the move triggers, and Hyper-V's default
// number of migrations a host runs at once.
//
// It is the seam between deciding and acting: the planner (package
// balancer, which names these types balancer.Move and balancer.Rejection)
// produces them, the executor consumes them, and this package depends on
// nothing, so the executor needs nothing else of the planner. It never
// plans, judges or migrates.
package moves
