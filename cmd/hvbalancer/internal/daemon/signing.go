package daemon

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/config"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/seal"
)

// SignatureFile is the name of a plan file's signature: plan.json is
// signed by plan.sig beside it.
func SignatureFile(planFile string) string {
	return strings.TrimSuffix(planFile, filepath.Ext(planFile)) + ".sig"
}

// SigningKey is the configuration's plan-signing key, made on first use.
func SigningKey(c *config.Config) (*seal.Key, error) {
	return seal.LoadOrCreate(c.Signing.KeyFile)
}

// TrustedKeys are the keys whose plans this configuration runs: its own
// signing key's public half (when the key exists) and the configured
// trusted keys.
func TrustedKeys(c *config.Config) ([]seal.PublicKey, error) {
	var keys []seal.PublicKey
	switch own, err := seal.Load(c.Signing.KeyFile); {
	case err == nil:
		keys = append(keys, own.Public())
	case !errors.Is(err, os.ErrNotExist):
		return nil, err
	}
	for _, f := range c.Signing.TrustedKeys {
		k, err := seal.LoadPublic(f)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// ReadSignedPlan reads a plan file and checks it twice: its content
// against its digest (balancer.ReadPlan), then its signature file against
// the keys the configuration trusts. A plan that is unsigned, signed by
// another key, or edited — even with its digest computed again — is
// refused with the reason.
func ReadSignedPlan(path string, c *config.Config) (*balancer.Plan, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	plan, err := balancer.ReadPlan(f)
	f.Close()
	if err != nil {
		return nil, err
	}
	trusted, err := TrustedKeys(c)
	if err != nil {
		return nil, err
	}
	if err := verifyPlan(plan, SignatureFile(path), trusted); err != nil {
		return nil, err
	}
	return plan, nil
}

// verifyPlan checks plan's signature file against the trusted keys.
func verifyPlan(plan *balancer.Plan, sigFile string, trusted []seal.PublicKey) error {
	sig, err := os.ReadFile(sigFile)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("read the plan's signature: %w", err)
	}
	return verifySignature(plan, sig, sigFile, trusted)
}

// verifySignature checks plan's signature sig, read from sigFile (nil
// when it is missing), against the trusted keys.
func verifySignature(plan *balancer.Plan, sig []byte, sigFile string, trusted []seal.PublicKey) error {
	if _, err := seal.Verify(sig, plan.ID, plan.Digest(), trusted); err != nil {
		if errors.Is(err, seal.ErrUnsigned) {
			return fmt.Errorf("%w: %s is missing; a plan runs only with the signature hvbalancer plan wrote beside it", err, sigFile)
		}
		return fmt.Errorf("plan %s: %w", plan.ID, err)
	}
	return nil
}
