package balancer

import (
	"cmp"
	"slices"
)

// better orders candidates best first: by rank (gain with the peak relief
// credit, less thrift × the migration cost), then VM ID, then destination
// name (indices follow both orders). The order is total (a VM and
// destination are one candidate), so any sort gives the same.
func better(x, y candidate) int {
	if a, b := x.rank(), y.rank(); a != b {
		if a > b {
			return -1
		}
		return 1
	}
	if x.vm != y.vm {
		return cmp.Compare(x.vm, y.vm)
	}
	return cmp.Compare(x.to, y.to)
}

// sortCandidates orders candidates best first (see better).
// slices.SortFunc's direct calls cost less than sort.Slice's swaps
// through reflection.
func sortCandidates(c []candidate) { slices.SortFunc(c, better) }

// sortBest puts the best k candidates first, in order (see better), and
// leaves the others after them in no order. A balancing step reads at
// most its judging budget and one more of the tens of thousands of moves
// a dense fleet's hot hosts offer (see pass.choose): sorting them all was
// a millisecond a step on the search's own goroutine. Selecting the best
// k first takes a pass or two over the rest; the first k are those a
// full sort puts first, the order being total.
func sortBest(c []candidate, k int) {
	if k >= len(c) || len(c) <= 4*k {
		sortCandidates(c)
		return
	}
	selectBest(c, k)
	sortCandidates(c[:k])
}

// selectBest moves the best k candidates of c (0 < k < len(c)) to the
// front, in no order: Hoare's selection, partitioning around the median
// of three until the boundary falls at k.
func selectBest(c []candidate, k int) {
	lo, hi := 0, len(c)-1 // the boundary k lies in c[lo..hi]
	for hi-lo > 8 {
		mid := lo + (hi-lo)/2
		// The median of three at mid, the least of them at lo and the
		// greatest at hi, as sentinels for the scans below.
		if better(c[mid], c[lo]) < 0 {
			c[mid], c[lo] = c[lo], c[mid]
		}
		if better(c[hi], c[lo]) < 0 {
			c[hi], c[lo] = c[lo], c[hi]
		}
		if better(c[hi], c[mid]) < 0 {
			c[hi], c[mid] = c[mid], c[hi]
		}
		pivot := c[mid]
		i, j := lo, hi
		for i <= j {
			for better(c[i], pivot) < 0 {
				i++
			}
			for better(pivot, c[j]) < 0 {
				j--
			}
			if i <= j {
				c[i], c[j] = c[j], c[i]
				i++
				j--
			}
		}
		// c[lo..j] are no worse than pivot's place, c[i..hi] no better.
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default: // j < k < i: c[j+1..i-1] is the pivot alone
			return
		}
	}
	slices.SortFunc(c[lo:hi+1], better)
}
