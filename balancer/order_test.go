package balancer

import (
	"slices"
	"testing"

	"pgregory.net/rapid"
)

// sortBest puts first the k candidates a full sort puts first, in the
// same order, whatever the ranks: ties in rank (decided by VM, then
// destination), ranks that repeat, lists already sorted or reversed.
func TestSortBestIsTheSortsPrefix(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(0, 3000).Draw(t, "n")
		ranks := rapid.IntRange(1, 50).Draw(t, "distinct ranks")
		c := make([]candidate, n)
		for i := range c {
			c[i] = candidate{vm: rapid.IntRange(0, 400).Draw(t, "vm"), to: rapid.IntRange(0, 63).Draw(t, "to"),
				gain: float64(rapid.IntRange(0, ranks).Draw(t, "gain")) / 4}
		}
		// A VM and destination are one candidate.
		c = slices.CompactFunc(slices.SortedFunc(slices.Values(c), func(x, y candidate) int {
			if x.vm != y.vm {
				return x.vm - y.vm
			}
			return x.to - y.to
		}), func(x, y candidate) bool { return x.vm == y.vm && x.to == y.to })
		switch rapid.IntRange(0, 2).Draw(t, "start") {
		case 1:
			sortCandidates(c)
		case 2:
			sortCandidates(c)
			slices.Reverse(c)
		default:
			for i := len(c) - 1; i > 0; i-- {
				j := rapid.IntRange(0, i).Draw(t, "shuffle")
				c[i], c[j] = c[j], c[i]
			}
		}
		k := rapid.IntRange(1, 300).Draw(t, "k")
		want := slices.Clone(c)
		sortCandidates(want)
		got := slices.Clone(c)
		sortBest(got, k)
		if m := min(k, len(c)); !slices.Equal(got[:m], want[:m]) {
			t.Fatalf("the best %d of %d differ from a full sort's", m, len(c))
		}
		slices.SortFunc(got, better)
		if !slices.Equal(got, want) {
			t.Fatalf("sortBest lost or duplicated candidates")
		}
	})
}
