// Package policy loads hvbalancer's Rego policies (package hvbalancer, Rego
// v1) from a directory or an OPA bundle, compiles them once against the
// published input schema, and evaluates the decision contract: config,
// requests, frozen, held, and per candidate move deny and penalty. It keeps the last
// good policy when a changed one fails to compile, and runs the policies' own
// unit tests. It never plans or moves anything: the balancer asks, it answers.
package policy
