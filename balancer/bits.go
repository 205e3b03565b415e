package balancer

import (
	"strings"
	"sync/atomic"
)

// Sets of interned names, so that the hard limits compare a VM's needs with
// a host's offers without allocating: switch names, configuration versions,
// SMB shares and destination volumes, numbered once per planning pass.

// bits is a set of small integers (interned names).
type bits []uint64

func (b *bits) add(i int) {
	for len(*b) <= i/64 {
		*b = append(*b, 0)
	}
	(*b)[i/64] |= 1 << (i % 64)
}

func (b bits) has(i int) bool { return i/64 < len(b) && b[i/64]&(1<<(i%64)) != 0 }

// memo is a set of small integers that goroutines may add to and read
// at once, each word read and set atomically: a cache of facts that
// whoever asks first works out the same (see state.reachable).
type memo []atomic.Uint64

// newMemo returns an empty memo of 0..n-1.
func newMemo(n int) memo { return make(memo, (n+63)/64) }

func (m memo) add(i int) { m[i/64].Or(1 << (i % 64)) }

func (m memo) has(i int) bool { return m[i/64].Load()&(1<<(i%64)) != 0 }

// subsetOf reports whether every member of b is in o.
func (b bits) subsetOf(o bits) bool {
	for i, w := range b {
		var ow uint64
		if i < len(o) {
			ow = o[i]
		}
		if w&^ow != 0 {
			return false
		}
	}
	return true
}

// interner numbers names, case-insensitively when fold is set.
type interner struct {
	fold bool
	ids  map[string]int
}

func (n *interner) id(s string) int {
	if n.fold {
		s = strings.ToLower(s)
	}
	if n.ids == nil {
		n.ids = make(map[string]int)
	}
	id, ok := n.ids[s]
	if !ok {
		id = len(n.ids)
		n.ids[s] = id
	}
	return id
}

// interners name the switches, configuration versions and SMB shares of
// one planning pass.
type interners struct {
	switches, versions, shares, volumes interner
}
