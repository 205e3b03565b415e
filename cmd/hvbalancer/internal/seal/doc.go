// Package seal signs plans and checks their signatures, so that a plan
// edited after it was made is refused even when its digest was computed
// again: the digest says the content is intact, the signature says who
// made it.
//
// The signing key is an Ed25519 key in a PEM file (PKCS #8), by default
// plan-signing.key in the daemon's state directory, made on first use
// with mode 0600. Its public half (PEM, PKIX) is what another machine —
// a CI job that runs `hvbalancer apply` — lists among its trusted keys.
// A signature is a small text file beside the plan (plan.sig) naming the
// plan, its digest, the key and the Ed25519 signature of the three.
//
// It never reads a plan's moves: it signs and checks the plan's identity
// and digest only, which balancer.ReadPlan ties to the content.
package seal
